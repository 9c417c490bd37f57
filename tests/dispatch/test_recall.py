"""Recall through the pages: township proposes, org dept decides, unit recalls and replaces (R-M5a, R-S6, R-O4)."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from dispatch import selectors, services
from dispatch.flows import DispatchFlow, RecallFlow
from dispatch.models import Dispatch, DispatchState, Recall, RecallReason, RecallState
from tests.dispatch.test_team import carry_to_stationed, stationed
from workflows.flows import open_tasks_for, process_of
from workflows.models import AuditEvent, Cadre

FLOWS = [DispatchFlow, RecallFlow]
RECALLED_ON = datetime.date(2026, 11, 20)


def _recall_tasks(user, recall):
    return [t for t in open_tasks_for(user, FLOWS) if t.process.artifact == recall]


def _task_url(user, recall):
    tasks = _recall_tasks(user, recall)
    assert len(tasks) == 1, tasks
    return tasks[0].execute_url


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _propose(
    client,
    user,
    dispatch,
    *,
    reason=RecallReason.ABSENT_WITHOUT_REASON,
    details="连续五个工作日无故不在村",
    own_fault=True,
):
    client.force_login(user)
    data = {"reason": reason, "details": details}
    if own_fault:
        data["own_fault"] = "on"
    return client.post(reverse("dispatch:recall_propose", args=[dispatch.pk]), data)


def _recall_through_pages(client, world, dispatch, *, own_fault=True) -> Recall:
    """Township proposes, org dept approves, the deputy in charge recalls; all through the pages."""
    p = world["people"]
    assert _propose(client, p["town_a"], dispatch, own_fault=own_fault).status_code == 302
    recall = Recall.objects.get(dispatch=dispatch, state=RecallState.PROPOSED)
    client.force_login(p["org"])
    assert client.post(_task_url(p["org"], recall), {"decision": "approve", "comment": "同意"}).status_code == 302
    client.force_login(p["deputy_a"])
    response = client.post(_task_url(p["deputy_a"], recall), {"recalled_on": RECALLED_ON.isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Recall.objects.get(pk=recall.pk)


@pytest.fixture
def on_post(world):
    """cadre_a (a reserve cadre of unit_a) stationed in village_a, a weak-leadership village of town_a."""
    world["village_a"].is_weak_leadership = True
    world["village_a"].save()
    return stationed(world["cadre_a"], world["village_a"])


def _uncovered(world, year):
    return set(selectors.uncovered_target_villages(world["county"], year))


# --- The whole process ----------------------------------------------------------------------------


def test_r_m5a_recall_end_to_end_through_the_pages(client, world, year, on_post):
    p, dispatch = world["people"], on_post
    assert world["village_a"] not in _uncovered(world, year)

    # 1. The township proposes, with a reason from the list and the details.
    client.force_login(p["town_a"])
    detail = client.get(reverse("dispatch:detail", args=[dispatch.pk]))
    assert detail.context["can_propose_recall"] is True
    response = _propose(client, p["town_a"], dispatch)
    assert response.status_code == 302
    assert "召回建议已报县委组织部决定。" in _messages(response)
    recall = Recall.objects.get(dispatch=dispatch)
    assert (recall.state, recall.reason, recall.own_fault, recall.proposed_by) == (
        RecallState.PROPOSED,
        RecallReason.ABSENT_WITHOUT_REASON,
        True,
        p["town_a"],
    )
    assert AuditEvent.objects.filter(action="recall.propose", actor=p["town_a"]).exists()
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.STATIONED

    # 2. The decision lands in the org dept's queue only.
    for role in ("town_a", "town_b", "head_a", "deputy_a", "head_b", "auditor", "cadre_a"):
        assert _recall_tasks(p[role], recall) == [], role
    url = _task_url(p["org"], recall)
    for role in ("head_a", "town_a", "auditor"):
        client.force_login(p[role])
        assert client.get(url).status_code == 403, role
        assert client.post(url, {"decision": "approve"}).status_code == 403, role
    assert Recall.objects.get(pk=recall.pk).state == RecallState.PROPOSED
    client.force_login(p["org"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"decision": "approve", "comment": "情况属实,同意召回"})
    assert response.status_code == 302
    recall = Recall.objects.get(pk=recall.pk)
    assert (recall.state, recall.decided_by, recall.decision_comment) == (
        RecallState.APPROVED,
        p["org"],
        "情况属实,同意召回",
    )

    # 3. The carrying out lands in the unit's queue: head or deputy in charge, not another unit, not the others.
    assert len(_recall_tasks(p["head_a"], recall)) == 1
    for role in ("head_b", "org", "town_a", "auditor"):
        assert _recall_tasks(p[role], recall) == [], role
    url = _task_url(p["deputy_a"], recall)
    for role in ("town_a", "head_b", "org"):
        client.force_login(p[role])
        assert client.get(url).status_code == 403, role
        assert client.post(url, {"recalled_on": RECALLED_ON.isoformat()}).status_code == 403, role
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.STATIONED

    # 4. The unit recalls; it is sent on to nominate a replacement for the same village.
    client.force_login(p["deputy_a"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"recalled_on": RECALLED_ON.isoformat()})
    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('dispatch:nominate')}?unit={world['unit_a'].pk}&village={world['village_a'].pk}"
    )
    recalled = Dispatch.objects.get(pk=dispatch.pk)
    assert recalled.state == DispatchState.RECALLED
    assert recalled.ended_on == RECALLED_ON
    assert recalled.end_reason == "无故脱岗:连续五个工作日无故不在村"
    recall = Recall.objects.get(pk=recall.pk)
    assert (recall.state, recall.recalled_on) == (RecallState.DONE, RECALLED_ON)
    for role in ("org", "head_a", "deputy_a", "town_a"):
        assert _recall_tasks(p[role], recall) == [], role
    assert AuditEvent.objects.filter(action="dispatch.recall", to_state=DispatchState.RECALLED).exists()

    # The nomination page opens with the same village chosen.
    nominate = client.get(response["Location"])
    assert nominate.status_code == 200
    assert str(nominate.context["form"].initial["village"]) == str(world["village_a"].pk)

    # 5. The village is uncovered until a replacement is stationed (R-S6).
    assert world["village_a"] in _uncovered(world, year)

    # 6. A reserve cadre recalled through own fault loses reserve status, with an audit record.
    assert Cadre.objects.get(pk=world["cadre_a"].pk).is_reserve is False
    lost = AuditEvent.objects.get(action="cadre.reserve_lost")
    assert (lost.object_id, lost.actor, lost.from_state) == (str(world["cadre_a"].pk), p["deputy_a"], "reserve")

    # 7. The replacement for the same village is accepted: the recalled dispatch no longer holds it.
    response = client.post(
        response["Location"], {"cadre": world["plain_a"].pk, "village": world["village_a"].pk, "note": "接替召回干部"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    replacement = Dispatch.objects.get(cadre=world["plain_a"], state=DispatchState.NOMINATED)
    assert replacement.village == world["village_a"]
    assert world["village_a"] in _uncovered(world, year)  # nominated is not yet stationed
    carry_to_stationed(replacement, on=datetime.date(2026, 11, 25))
    assert world["village_a"] not in _uncovered(world, year)


def test_r_m5a_recall_not_through_own_fault_keeps_reserve_status(client, world, on_post):
    recall = _recall_through_pages(client, world, on_post, own_fault=False)
    assert recall.state == RecallState.DONE and recall.own_fault is False
    assert Dispatch.objects.get(pk=on_post.pk).state == DispatchState.RECALLED
    assert Cadre.objects.get(pk=world["cadre_a"].pk).is_reserve is True
    assert not AuditEvent.objects.filter(action="cadre.reserve_lost").exists()


def test_r_m5a_non_reserve_cadre_recalled_through_own_fault_has_no_reserve_event(client, world):
    dispatch = stationed(world["plain_a"], world["village_a2"])
    p = world["people"]
    assert _propose(client, p["town_a"], dispatch).status_code == 302
    recall = Recall.objects.get(dispatch=dispatch)
    client.force_login(p["org"])
    client.post(_task_url(p["org"], recall), {"decision": "approve"})
    client.force_login(p["head_a"])  # the unit head may carry it out as well as the deputy
    assert client.post(_task_url(p["head_a"], recall), {"recalled_on": RECALLED_ON.isoformat()}).status_code == 302
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.RECALLED
    assert not AuditEvent.objects.filter(action="cadre.reserve_lost").exists()


def test_r_m5a_org_dept_declines_with_a_reason_and_the_flow_ends(client, world, on_post):
    p = world["people"]
    _propose(client, p["town_a"], on_post)
    recall = Recall.objects.get(dispatch=on_post)
    url = _task_url(p["org"], recall)
    client.force_login(p["org"])
    response = client.post(url, {"decision": "reject", "comment": " "})
    assert response.status_code == 200
    assert "不同意召回时请写明理由。" in response.content.decode()
    assert Recall.objects.get(pk=recall.pk).state == RecallState.PROPOSED
    assert len(_recall_tasks(p["org"], recall)) == 1  # the refused attempt left the task in the queue

    response = client.post(url, {"decision": "reject", "comment": "已谈话提醒,暂不召回"})
    assert response.status_code == 302
    recall = Recall.objects.get(pk=recall.pk)
    assert (recall.state, recall.decision_comment) == (RecallState.DECLINED, "已谈话提醒,暂不召回")
    assert AuditEvent.objects.filter(action="recall.decline", reason="已谈话提醒,暂不召回").exists()
    for role in ("org", "head_a", "deputy_a", "town_a"):
        assert _recall_tasks(p[role], recall) == [], role
    assert process_of(RecallFlow, recall).finished is not None
    assert Dispatch.objects.get(pk=on_post.pk).state == DispatchState.STATIONED
    assert Cadre.objects.get(pk=world["cadre_a"].pk).is_reserve is True
    # A declined recall is closed: the township may propose again later.
    assert _propose(client, p["town_a"], on_post, details="再次无故脱岗").status_code == 302
    assert Recall.objects.filter(dispatch=on_post, state=RecallState.PROPOSED).count() == 1


def test_r_m5a_recall_date_before_stationing_refused_and_task_stays(client, world, on_post):
    p = world["people"]
    _propose(client, p["town_a"], on_post)
    recall = Recall.objects.get(dispatch=on_post)
    client.force_login(p["org"])
    client.post(_task_url(p["org"], recall), {"decision": "approve"})
    url = _task_url(p["deputy_a"], recall)
    client.force_login(p["deputy_a"])
    response = client.post(url, {"recalled_on": "2026-03-01"})
    assert response.status_code == 200
    assert "召回日期不能早于到村日期。" in response.content.decode()
    assert Dispatch.objects.get(pk=on_post.pk).state == DispatchState.STATIONED
    assert Recall.objects.get(pk=recall.pk).state == RecallState.APPROVED
    assert len(_recall_tasks(p["deputy_a"], recall)) == 1


# --- The proposal's conditions --------------------------------------------------------------------


def test_r_m5a_proposal_needs_a_listed_reason_and_details(client, world, on_post):
    town_a = world["people"]["town_a"]
    response = _propose(client, town_a, on_post, details="  ")
    assert response.status_code == 302
    assert "请选择召回原因并写明具体情况。" in _messages(response)
    response = _propose(client, town_a, on_post, reason="dislike")
    assert "请选择召回原因并写明具体情况。" in _messages(response)
    assert not Recall.objects.exists()
    with pytest.raises(ValidationError, match="请写明具体情况"):
        services.recall_propose(dispatch=on_post, by=town_a, reason=RecallReason.OTHER, details="")
    with pytest.raises(ValidationError, match="请选择召回原因"):
        services.recall_propose(dispatch=on_post, by=town_a, reason="dislike", details="不喜欢")
    assert not Recall.objects.exists()


@pytest.mark.parametrize("reason", RecallReason.values)
def test_r_m5a_every_listed_reason_is_accepted(world, on_post, reason):
    recall = services.recall_propose(dispatch=on_post, by=world["people"]["town_a"], reason=reason, details="情况说明")
    assert recall.reason == reason


def test_r_m5a_recall_refused_for_a_cadre_not_stationed(client, world, year):
    p = world["people"]
    nominated = services.dispatch_nominate(
        cadre=world["cadre_a"], village=world["village_a"], by=p["head_a"], year=year
    )
    client.force_login(p["town_a"])
    assert client.get(reverse("dispatch:detail", args=[nominated.pk])).context["can_propose_recall"] is False
    response = _propose(client, p["town_a"], nominated)
    assert "只能对驻村中的干部提出召回。" in _messages(response)
    assert not Recall.objects.exists()


def test_r_m5a_recalled_cadre_cannot_be_recalled_again(client, world, on_post):
    _recall_through_pages(client, world, on_post)
    response = _propose(client, world["people"]["town_a"], on_post)
    assert "只能对驻村中的干部提出召回。" in _messages(response)
    assert Recall.objects.count() == 1


def test_r_m5a_second_open_recall_refused(client, world, on_post):
    p = world["people"]
    _propose(client, p["town_a"], on_post)
    response = _propose(client, p["town_a"], on_post, reason=RecallReason.INCOMPETENT, details="另一理由")
    assert "该干部已有待处理的召回。" in _messages(response)
    assert Recall.objects.count() == 1
    # Still open once the org dept approved it.
    recall = Recall.objects.get()
    client.force_login(p["org"])
    client.post(_task_url(p["org"], recall), {"decision": "approve"})
    response = _propose(client, p["town_a"], on_post)
    assert "该干部已有待处理的召回。" in _messages(response)
    assert Recall.objects.count() == 1


@pytest.mark.parametrize("role", ["town_b", "head_a", "deputy_a", "org", "auditor", "cadre_a", "outsider"])
def test_r_o4_only_the_cadres_township_may_propose_a_recall(client, world, on_post, role):
    response = _propose(client, world["people"][role], on_post)
    assert response.status_code == 403
    assert not Recall.objects.exists()
    assert AuditEvent.objects.filter(action="recall.propose.refused").exists()


def test_r_o4_other_township_does_not_see_the_recall_form(client, world, on_post):
    client.force_login(world["people"]["town_b"])
    assert client.get(reverse("dispatch:detail", args=[on_post.pk])).status_code == 403
