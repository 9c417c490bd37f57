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
    response = client.post(reverse("dispatch:nominate"), {
        "cadre": world["cadre_a"].pk, "village": world["village_a"].pk, "note": "熟悉农业",
    })
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
    batch = services.training_batch_create(county=world["county"], year=year, name="2026年第一期岗前培训班",
                                           starts_on=datetime.date(2026, 3, 1), ends_on=datetime.date(2026, 3, 3),
                                           content="政策", by=p["org"])
    services.dispatch_enrol(dispatches=[dispatch], batch=batch, by=p["org"])
    services.dispatch_complete_training(dispatches=[dispatch], completed_on=datetime.date(2026, 3, 3), by=p["org"])

    url = _task_url(p["deputy_a"], dispatch)
    client.force_login(p["deputy_a"])
    response = client.post(url, {
        "insurer": "中国人寿汤阴支公司", "insurance_policy_no": "PA2026-001", "insurance_starts_on": "2026-03-01",
        "insurance_ends_on": "2027-03-31", "party_relation_transferred_on": "2026-03-04",
        "living_allowance_yuan": "600",
    })
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
