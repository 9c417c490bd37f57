"""A new task is announced to whoever may act on it after the commit; the cadre hears the decision; the bell."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse

from leave.services import leave as leaves
from tests.dispatch.test_team import stationed
from tests.factories import UserFactory
from workflows.models import Notification

D = datetime.date


@pytest.fixture
def w(world):
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"])
    return w


def _request(w):
    return leaves.leave_request(
        dispatch=w["d_a"],
        starts_on=D(2026, 4, 14),
        ends_on=D(2026, 4, 15),
        reason="家中老人住院",
        by=w["people"]["cadre_a"],
    )


def test_r_m2_a_new_leave_request_is_announced_to_the_township_after_the_commit(w, django_capture_on_commit_callbacks):
    town = w["people"]["town_a"]
    with django_capture_on_commit_callbacks(execute=True):
        leave = _request(w)
        assert not Notification.objects.exists()
    notice = Notification.objects.get(recipient=town)
    assert notice.kind == "task_new" and w["cadre_a"].name in notice.title and notice.read_at is None
    assert notice.url.startswith("/leave/flow/") and notice.url.endswith("/execute/")
    # Both members of the township committee hear of it; nobody else: not the other township, the unit or the cadre.
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"town_a", "town_a_deputy"}
    assert leave.pk


def test_r_m2_a_rolled_back_request_announces_nothing(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _request(w)
            raise RuntimeError("the request failed after the flow started")
    assert not Notification.objects.exists()


def test_r_m2_the_cadre_hears_the_decision(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        leave = _request(w)
    with django_capture_on_commit_callbacks(execute=True):
        leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True, comment="注意安全")
    notice = Notification.objects.get(recipient=w["people"]["cadre_a"], kind="leave_approved")
    assert notice.title == "您 2026-04-14 至 2026-04-15 的请假已批准"
    assert (notice.body, notice.url) == ("注意安全", reverse("leave:leave"))


def test_the_bell_counts_unread_and_opening_a_notice_marks_it_read(client, w, django_capture_on_commit_callbacks):
    town = w["people"]["town_a"]
    with django_capture_on_commit_callbacks(execute=True):
        _request(w)
    client.force_login(town)
    home = client.get(reverse("home:index")).content.decode()
    assert 'data-testid="bell-count">1<' in home
    listing = client.get(reverse("tasks:notifications")).content.decode()
    notice = Notification.objects.get(recipient=town)
    assert notice.title in listing
    response = client.post(reverse("tasks:notification_open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == notice.url
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'data-testid="bell-count"' not in client.get(reverse("home:index")).content.decode()


def test_a_person_cannot_open_or_read_another_persons_notice(client, w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request(w)
    notice = Notification.objects.filter(recipient=w["people"]["town_a"]).get()
    client.force_login(w["people"]["org"])
    assert client.post(reverse("tasks:notification_open", args=[notice.pk])).status_code == 404
    client.post(reverse("tasks:notifications_read_all"))
    notice.refresh_from_db()
    assert notice.read_at is None
    assert notice.title not in client.get(reverse("tasks:notifications")).content.decode()


def test_read_all_marks_every_own_notice_read(client, w, django_capture_on_commit_callbacks):
    town = w["people"]["town_a"]
    with django_capture_on_commit_callbacks(execute=True):
        _request(w)
        leaves.leave_request(
            dispatch=w["d_a"], starts_on=D(2026, 5, 6), ends_on=D(2026, 5, 6), reason="就医", by=w["people"]["cadre_a"]
        )
    client.force_login(town)
    response = client.post(reverse("tasks:notifications_read_all"), follow=True)
    assert "已将 2 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=town, read_at__isnull=True).exists()


def test_someone_with_no_post_sees_no_bell(client, db):
    client.force_login(UserFactory())
    assert 'data-testid="bell"' not in client.get(reverse("home:index")).content.decode()
