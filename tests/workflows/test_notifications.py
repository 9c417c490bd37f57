"""Notifications are saved only after the transaction that caused them commits, once per key."""

import datetime

import pytest
from django.db import transaction

from tests.factories import UserFactory
from workflows import jobs, notifications
from workflows.models import Notification
from workflows.notifications import create_now, notify, register_channel, unread_count

pytestmark = pytest.mark.django_db


def test_a_notification_is_saved_when_the_transaction_commits(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            notify([user], kind="leave_submitted", title="张三 的请假待审批", url="/leave/")
            assert not Notification.objects.exists()
    n = Notification.objects.get()
    assert (n.recipient, n.kind, n.url, n.read_at) == (user, "leave_submitted", "/leave/", None)
    assert unread_count(user) == 1


def test_a_rolled_back_step_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify([user], kind="leave_submitted", title="待审批")
            raise RuntimeError("the step failed")
    assert callbacks == []
    assert not Notification.objects.exists()


def test_the_same_key_reaches_a_person_once_and_inactive_accounts_get_nothing():
    user, gone = UserFactory(), UserFactory(is_active=False)
    first = create_now([user, gone], kind="task_reminder", title="提醒", key="task:1:2026-12-04")
    again = create_now([user, gone], kind="task_reminder", title="提醒", key="task:1:2026-12-04")
    assert [n.recipient for n in first] == [user]
    assert again == []
    assert Notification.objects.filter(recipient=user).count() == 1


def test_channels_get_the_saved_notifications_and_the_tier(django_capture_on_commit_callbacks, two_tiers):
    user, seen = UserFactory(), []

    def channel(saved, tier):
        seen.append(([n.recipient for n in saved], tier))

    register_channel(channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            notify([user], kind="leave_submitted", title="待审批", tier=two_tiers["town_a"])
    finally:
        notifications._channels.remove(channel)
    assert seen == [([user], two_tiers["town_a"])]


def test_a_registered_job_runs_for_the_day_it_is_given():
    days = []

    def sweep(*, on):
        days.append(on)
        return f"swept {on}"

    jobs.register_job("test_sweep", sweep, hour=6)
    try:
        assert jobs.run_job("test_sweep", on=datetime.date(2026, 12, 4)) == "swept 2026-12-04"
        assert jobs.jobs()["test_sweep"].hour == 6
    finally:
        jobs._jobs.pop("test_sweep")
    assert days == [datetime.date(2026, 12, 4)]
