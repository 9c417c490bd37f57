"""The dispatch flow through the pages: each step in its tier's queue, wrong tier refused (R-S1, R-O4)."""

import datetime

from django.urls import reverse

from dispatch import services
from dispatch.flows import DispatchFlow, RecallFlow
from dispatch.models import Dispatch, DispatchState
from workflows.flows import open_tasks_for

FLOWS = [DispatchFlow, RecallFlow]


def _task_url(user, dispatch):
    tasks = [t for t in open_tasks_for(user, FLOWS) if t.process.artifact == dispatch]
    assert len(tasks) == 1, tasks
    return tasks[0].execute_url


def test_r_s1_nomination_to_stationing_through_the_pages(client, world, year):
    p = world["people"]
    client.force_login(p["deputy_a"])
    response = client.post(
        reverse("dispatch:nominate"),
        {
            "cadre": world["cadre_a"].pk,
            "village": world["village_a"].pk,
            "note": "熟悉农业",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dispatch = Dispatch.objects.get(cadre=world["cadre_a"])
    assert dispatch.state == DispatchState.NOMINATED

    # The approval lands in the unit head's queue, not the deputy's or the other unit head's.
    assert open_tasks_for(p["deputy_a"], FLOWS) == []
    assert open_tasks_for(p["head_b"], FLOWS) == []
    url = _task_url(p["head_a"], dispatch)
    client.force_login(p["head_b"])
    assert client.get(url).status_code == 403
    client.force_login(p["head_a"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"decision": "approve", "comment": "同意"})
    assert response.status_code == 302
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.APPROVED

    # Training: the org dept enrols and records completion; the flow moves on by itself.
    batch = services.training_batch_create(
        county=world["county"],
        year=year,
        name="2026年第一期岗前培训班",
        starts_on=datetime.date(2026, 3, 1),
        ends_on=datetime.date(2026, 3, 3),
        content="政策",
        by=p["org"],
    )
    services.dispatch_enrol(dispatches=[dispatch], batch=batch, by=p["org"])
    services.dispatch_complete_training(dispatches=[dispatch], completed_on=datetime.date(2026, 3, 3), by=p["org"])

    url = _task_url(p["deputy_a"], dispatch)
    client.force_login(p["deputy_a"])
    response = client.post(
        url,
        {
            "insurer": "中国人寿汤阴支公司",
            "insurance_policy_no": "PA2026-001",
            "insurance_starts_on": "2026-03-01",
            "insurance_ends_on": "2027-03-31",
            "party_relation_transferred_on": "2026-03-04",
            "living_allowance_yuan": "600",
        },
    )
    assert response.status_code == 302

    url = _task_url(p["town_a"], dispatch)
    client.force_login(p["town_b"])
    assert client.get(url).status_code == 403
    client.force_login(p["town_a"])
    response = client.post(url, {"stationed_on": "2026-03-05"})
    assert response.status_code == 302
    stationed = Dispatch.objects.get(pk=dispatch.pk)
    assert stationed.state == DispatchState.STATIONED
    assert stationed.term_ends_on == datetime.date(2027, 3, 4)
    assert open_tasks_for(p["town_a"], FLOWS) == []


def test_r_o4_process_lists_are_for_the_county_tier_only(client, world, year):
    p = world["people"]
    services.dispatch_nominate(cadre=world["cadre_a"], village=world["village_a"], by=p["deputy_a"], year=year)
    for role, status in [("org", 200), ("auditor", 200), ("head_a", 403), ("town_a", 403), ("cadre_a", 403)]:
        client.force_login(p[role])
        assert client.get("/dispatch/flow/flows/").status_code == status, role
        assert client.get("/dispatch/flow/tasks/").status_code == status, role


def test_r_o4_task_outside_the_tier_is_refused_and_audited(client, world, year):
    from workflows.models import AuditEvent

    p = world["people"]
    dispatch = services.dispatch_nominate(
        cadre=world["cadre_a"], village=world["village_a"], by=p["deputy_a"], year=year
    )
    url = _task_url(p["head_a"], dispatch)
    for role in ("head_b", "deputy_a", "town_a", "auditor", "org", "cadre_a"):
        client.force_login(p[role])
        assert client.post(url, {"decision": "approve"}).status_code == 403, role
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.NOMINATED
    assert AuditEvent.objects.filter(action="task.refused").count() == 6


def test_r_s1_second_submission_of_a_decided_task_says_already_decided(client, world, year):
    p = world["people"]
    dispatch = services.dispatch_nominate(
        cadre=world["cadre_a"], village=world["village_a"], by=p["deputy_a"], year=year
    )
    url = _task_url(p["head_a"], dispatch)
    client.force_login(p["head_a"])
    assert client.post(url, {"decision": "approve"}).status_code == 302
    response = client.post(url, {"decision": "reject", "comment": "改主意"}, follow=True)
    assert response.status_code == 200
    assert "已经办结" in response.content.decode()
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.APPROVED


def test_r_s4_refused_approval_keeps_the_task_in_the_queue(client, world, year):
    p = world["people"]
    dispatch = services.dispatch_nominate(
        cadre=world["plain_a"],
        village=world["village_a"],
        by=p["deputy_a"],
        year=year,
        exclusion="unwilling",
        exclusion_note="本人不愿意",
    )
    url = _task_url(p["head_a"], dispatch)
    client.force_login(p["head_a"])
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 200 and "不宜选派" in response.content.decode()
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.NOMINATED
    assert _task_url(p["head_a"], dispatch) == url
    assert client.post(url, {"decision": "reject", "comment": "本人不愿意"}).status_code == 302
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.REJECTED


def test_home_page_lists_open_tasks_with_a_count(client, world, year):
    p = world["people"]
    services.dispatch_nominate(cadre=world["cadre_a"], village=world["village_a"], by=p["deputy_a"], year=year)
    client.force_login(p["head_a"])
    page = client.get("/home/").content.decode()
    assert "待办事项(1)" in page and "审批推荐" in page
    client.force_login(p["head_b"])
    assert "待办事项(0)" in client.get("/home/").content.decode()


def _waiting_at(dispatch):
    from viewflow.workflow.status import STATUS

    from workflows.flows import process_of

    process = process_of(DispatchFlow, dispatch)
    return sorted(t.flow_task.name for t in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]))


def test_r_s1_services_called_outside_the_pages_move_the_flow_too(world, year):
    """An API or command calling a service leaves no flow waiting on work already done."""
    p = world["people"]
    dispatch = services.dispatch_nominate(
        cadre=world["cadre_a"], village=world["village_a"], by=p["deputy_a"], year=year
    )
    assert _waiting_at(dispatch) == ["approve"]
    services.dispatch_approve(dispatch=dispatch, by=p["head_a"])
    assert _waiting_at(dispatch) == ["training"]
    batch = services.training_batch_create(
        county=world["county"],
        year=year,
        name="一期",
        content="",
        starts_on=datetime.date(2026, 3, 1),
        ends_on=datetime.date(2026, 3, 3),
        by=p["org"],
    )
    services.dispatch_enrol(dispatches=[dispatch], batch=batch, by=p["org"])
    # The unit arranges insurance during training: once training ends, the flow goes straight to the township.
    services.dispatch_record_arrangements(
        dispatch=dispatch,
        by=p["deputy_a"],
        insurer="中国人寿",
        insurance_policy_no="P-1",
        insurance_starts_on=datetime.date(2026, 3, 1),
        insurance_ends_on=datetime.date(2027, 3, 31),
        party_relation_transferred_on=datetime.date(2026, 3, 4),
        living_allowance_yuan=600,
    )
    services.dispatch_complete_training(dispatches=[dispatch], completed_on=datetime.date(2026, 3, 3), by=p["org"])
    assert _waiting_at(dispatch) == ["station"]
    services.dispatch_station(dispatch=dispatch, by=p["town_a"], on=datetime.date(2026, 3, 5))
    assert _waiting_at(dispatch) == []
    assert open_tasks_for(p["town_a"], FLOWS) == []
