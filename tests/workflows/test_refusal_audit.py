"""Refusals on the audit trail: signed-in users once per repeat window, anonymous visitors sent to sign in (R-X1)."""

import datetime

import time_machine
from django.urls import reverse

from dispatch import services
from dispatch.flows import DispatchFlow, RecallFlow
from workflows.audit import audit_refusal
from workflows.flows import open_tasks_for
from workflows.models import AuditEvent


def _approval_url(world, year):
    p = world["people"]
    dispatch = services.dispatch_nominate(
        cadre=world["cadre_a"], village=world["village_a"], by=p["deputy_a"], year=year
    )
    [task] = [t for t in open_tasks_for(p["head_a"], [DispatchFlow, RecallFlow]) if t.process.artifact == dispatch]
    return task.execute_url


def test_r_x1_anonymous_visitor_of_a_task_is_sent_to_sign_in_without_an_audit_event(client, world, year):
    url = _approval_url(world, year)
    before = AuditEvent.objects.count()
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "next=" in response["Location"]
    assert client.post(url, {"decision": "approve"}).status_code == 302
    assert AuditEvent.objects.count() == before


def test_r_x1_repeated_refusal_of_the_same_user_is_audited_once_within_the_window(client, world, year, settings):
    settings.AUDIT_REFUSAL_REPEAT_SECONDS = 600
    url = _approval_url(world, year)
    client.force_login(world["people"]["head_b"])
    for _ in range(5):
        assert client.get(url).status_code == 403
    assert client.post(url, {"decision": "approve"}).status_code == 403
    assert AuditEvent.objects.filter(action="task.refused").count() == 1


def test_r_x1_refusal_repeated_after_the_window_is_audited_again(client, world, year, settings):
    settings.AUDIT_REFUSAL_REPEAT_SECONDS = 600
    url = _approval_url(world, year)
    client.force_login(world["people"]["head_b"])
    assert client.get(url).status_code == 403
    with time_machine.travel(datetime.timedelta(seconds=601)):
        assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(action="task.refused").count() == 2


def test_r_x1_refusals_of_different_users_or_objects_are_each_audited(world):
    p = world["people"]
    for user in (p["head_b"], p["town_a"]):
        for obj in (world["village_a"], world["village_b"]):
            audit_refusal(action="test.refused", actor=user, obj=obj, reason="越权")
            audit_refusal(action="test.refused", actor=user, obj=obj, reason="越权")
    assert AuditEvent.objects.filter(action="test.refused").count() == 4


def test_r_x1_refusal_of_an_anonymous_caller_writes_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    audit_refusal(action="test.refused", actor=AnonymousUser(), obj=world["village_a"])
    audit_refusal(action="test.refused", actor=None, obj=world["village_a"])
    assert not AuditEvent.objects.filter(action="test.refused").exists()
