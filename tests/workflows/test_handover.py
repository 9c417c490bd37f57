"""Who works on a task: take it over, hand it to a colleague, hand everything over, release it; all audited."""

import datetime
import threading
import time

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.test import Client
from viewflow.workflow.status import STATUS

from leave.flows import LeaveFlow
from leave.models import LeaveRequest, LeaveState
from leave.services import leave as leaves
from tests.dispatch.test_team import stationed
from tests.factories import UserFactory, appoint
from workflows import services
from workflows.audit import audit_verify
from workflows.flows import open_task, open_tasks_for
from workflows.handover import (
    colleagues_for,
    may_act,
    task_hand_over,
    task_release,
    task_take,
    tasks_hand_over_all,
)
from workflows.models import AuditEvent, Post, Role, User

D = datetime.date

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs two real PostgreSQL connections and row locks"
)


@pytest.fixture
def w(world):
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"])
    w["d_plain"] = stationed(w["plain_a"], w["village_a2"])
    return w


def _leave(w, cadre="cadre_a", dispatch="d_a") -> LeaveRequest:
    by = w["people"][cadre] if cadre in w["people"] else w[cadre].user
    return leaves.leave_request(
        dispatch=w[dispatch], starts_on=D(2026, 12, 1), ends_on=D(2026, 12, 3), reason="家中有事", by=by
    )


def _decision(leave):
    return open_task(LeaveFlow, "decide_township", leave)


def _task(pk):
    return LeaveFlow.task_class.objects.select_related("process", "owner").get(pk=pk)


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_a_township_member_takes_a_queued_task_and_it_is_audited(w):
    town_a = w["people"]["town_a"]
    task = _decision(_leave(w))
    assert task.status == STATUS.NEW and may_act(town_a, task)
    task_take(task=task, by=town_a)
    task = _task(task.pk)
    assert task.status == STATUS.ASSIGNED and task.owner == town_a
    [event] = _events("task.take")
    assert event.actor == town_a and event.data["to"] == "town_a" and event.data["from"] == ""
    assert (event.from_state, event.to_state) == ("NEW", "ASSIGNED")
    assert event.township_id == w["town_a"].pk
    assert audit_verify().ok


def test_a_colleague_of_the_tier_takes_over_a_task_a_colleague_holds(w):
    town_a, mentor = w["people"]["town_a"], w["mentor_a"]
    task = _decision(_leave(w))
    task_take(task=task, by=town_a)
    task_take(task=task, by=mentor)
    assert _task(task.pk).owner == mentor
    event = _events("task.take")[-1]
    assert event.data["from"] == "town_a" and event.data["to"] == mentor.username


def test_taking_over_is_refused_outside_the_tier_and_audited(w):
    task = _decision(_leave(w))
    for role in ("town_b", "head_a", "org", "cadre_a", "outsider"):
        with pytest.raises(PermissionDenied):
            task_take(task=task, by=w["people"][role])
    assert _task(task.pk).status == STATUS.NEW and _task(task.pk).owner is None
    assert _events("task.take") == []
    assert len(_events("task.refused")) == 5


def test_hand_over_to_a_named_colleague_with_a_note(w):
    town_a, mentor = w["people"]["town_a"], w["mentor_a"]
    task = _decision(_leave(w))
    task_take(task=task, by=town_a)
    task_hand_over(task=task, by=town_a, to=mentor, note="我下周外出学习,请周书记办理")
    task = _task(task.pk)
    assert task.owner == mentor and task.status == STATUS.ASSIGNED
    [event] = _events("task.hand_over")
    assert event.actor == town_a and event.reason == "我下周外出学习,请周书记办理"
    assert event.data["from"] == "town_a" and event.data["to_name"] == "菜园镇周副书记"
    # The task is now the colleague's: it is in their list and no longer in the former holder's.
    assert [t.pk for t in open_tasks_for(mentor, [LeaveFlow])] == [task.pk]
    assert open_tasks_for(town_a, [LeaveFlow]) == []


def test_hand_over_is_refused_to_a_colleague_without_the_permission(w):
    town_a = w["people"]["town_a"]
    task = _decision(_leave(w))
    task_take(task=task, by=town_a)
    for role in ("town_b", "head_a", "org", "cadre_a"):
        with pytest.raises(ValidationError) as refused:
            task_hand_over(task=task, by=town_a, to=w["people"][role], note="")
        assert "无权办理此事项,不能转交给他" in refused.value.messages[0]
    assert _task(task.pk).owner == town_a
    assert _events("task.hand_over") == []
    assert set(colleagues_for(task, exclude=(town_a,))) == {w["mentor_a"]}


def test_hand_over_by_someone_outside_the_tier_is_refused(w):
    task = _decision(_leave(w))
    task_take(task=task, by=w["people"]["town_a"])
    with pytest.raises(PermissionDenied):
        task_hand_over(task=task, by=w["people"]["town_b"], to=w["mentor_a"], note="")
    assert _task(task.pk).owner == w["people"]["town_a"]


def test_release_puts_the_task_back_in_the_tiers_queue(w):
    town_a, mentor = w["people"]["town_a"], w["mentor_a"]
    task = _decision(_leave(w))
    task_take(task=task, by=town_a)
    with pytest.raises(PermissionDenied):
        task_release(task=task, by=mentor)
    task_release(task=task, by=town_a)
    task = _task(task.pk)
    assert task.status == STATUS.NEW and task.owner is None
    assert [t.pk for t in open_tasks_for(mentor, [LeaveFlow])] == [task.pk]
    [event] = _events("task.release")
    assert (event.from_state, event.to_state) == ("ASSIGNED", "NEW")
    with pytest.raises(ValidationError, match="尚无人办理"):
        task_release(task=task, by=town_a)


def test_a_finished_task_cannot_be_taken_or_handed_over(w):
    town_a = w["people"]["town_a"]
    leave = _leave(w)
    task = _decision(leave)
    leaves.leave_decide(leave=leave, by=town_a, approve=True)
    for act in (
        lambda: task_take(task=task, by=w["mentor_a"]),
        lambda: task_hand_over(task=task, by=town_a, to=w["mentor_a"]),
        lambda: task_release(task=task, by=town_a),
    ):
        with pytest.raises(ValidationError, match="已经办结"):
            act()


def test_a_cadres_own_task_cannot_be_handed_over(w):
    leave = _leave(w)
    leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True)
    report = open_task(LeaveFlow, "report_back", leave)
    assert report.owner == w["people"]["cadre_a"]
    with pytest.raises(ValidationError, match="只能由本人办理"):
        task_release(task=report, by=w["people"]["cadre_a"])


def test_hand_over_all_hands_each_task_with_its_own_event_and_lists_the_refused(w):
    town_a, mentor = w["people"]["town_a"], w["mentor_a"]
    first, second = _decision(_leave(w)), _decision(_leave(w, cadre="plain_a", dispatch="d_plain"))
    for task in (first, second):
        task_take(task=task, by=town_a)
    # One more task on another tier, which the colleague may not act on: town_a also sits in 宜沟镇.
    appoint(town_a, Role.TOWNSHIP_COMMITTEE, w["town_b"])
    d_b = stationed(w["cadre_b"], w["village_b"])
    other = leaves.leave_request(
        dispatch=d_b, starts_on=D(2026, 12, 1), ends_on=D(2026, 12, 2), reason="家中有事", by=w["people"]["cadre_b"]
    )
    third = _decision(other)
    task_take(task=third, by=town_a)

    result = tasks_hand_over_all(by=town_a, to=mentor, note="休假一周")
    assert sorted(t.pk for t in result.handed) == sorted([first.pk, second.pk])
    assert [(t.pk, reason) for t, reason in result.refused] == [(third.pk, "菜园镇周副书记 无权办理此事项。")]
    assert {_task(first.pk).owner, _task(second.pk).owner, _task(third.pk).owner} == {mentor, town_a}
    assert _task(third.pk).owner == town_a
    events = _events("task.hand_over")
    assert len(events) == 2 and all(e.reason == "休假一周" and e.data["all"] for e in events)
    assert audit_verify().ok


def test_hand_over_all_to_oneself_is_refused(w):
    town_a = w["people"]["town_a"]
    with pytest.raises(ValidationError, match="不能转交给自己"):
        tasks_hand_over_all(by=town_a, to=town_a)


def test_r_o4_when_a_post_ends_the_tasks_its_holder_took_go_back_to_the_queue_for_the_successor(w):
    town_a = w["people"]["town_a"]
    leave = _leave(w)
    task = _decision(leave)
    task_take(task=task, by=town_a)
    successor = UserFactory(username="town_a_new", name="菜园镇党委新书记")
    services.post_appoint(user=successor, role=Role.TOWNSHIP_COMMITTEE, tier=w["town_a"], by=w["people"]["org"])
    assert open_tasks_for(successor, [LeaveFlow]) == []  # held by the former secretary
    post = Post.objects.active().get(user=town_a, township=w["town_a"])
    services.post_end(post=post, by=w["people"]["org"], reason="调任")

    task = _task(task.pk)
    assert task.status == STATUS.NEW and task.owner is None
    [event] = _events("task.return")
    assert event.actor == w["people"]["org"] and event.data["from"] == "town_a"
    successor = User.objects.get(pk=successor.pk)
    assert [t.pk for t in open_tasks_for(successor, [LeaveFlow])] == [task.pk]
    leaves.leave_decide(leave=leave, by=successor, approve=True)
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.APPROVED


def test_a_post_end_keeps_tasks_of_another_tier_with_their_holder(w):
    town_a = w["people"]["town_a"]
    appoint(town_a, Role.TOWNSHIP_COMMITTEE, w["town_b"])
    task = _decision(_leave(w))
    task_take(task=task, by=town_a)
    post = Post.objects.active().get(user=town_a, township=w["town_b"])
    services.post_end(post=post, by=w["people"]["org"])
    assert _task(task.pk).owner == town_a
    assert _events("task.return") == []


# --- Through the pages ----------------------------------------------------------------------------


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_task_page_shows_who_works_on_it_and_offers_take_over_to_the_tier(client, w):
    town_a, mentor = w["people"]["town_a"], w["mentor_a"]
    leave = _leave(w)
    task = _decision(leave)
    url = task.reverse("execute")
    client.force_login(town_a)
    page = client.get(url).content.decode()
    assert 'data-testid="task-owner">待认领' in page and 'data-testid="task-take"' in page
    assert client.post(f"/tasks/{task.pk}/take/").status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="task-owner">菜园镇党委陈书记' in page and 'data-testid="task-release"' in page
    assert f'<option value="{mentor.pk}">菜园镇周副书记</option>' in page

    client.force_login(mentor)
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="held-by-other"' in page and "接手办理" in page
    # Submitting while a colleague holds it changes nothing.
    response = client.post(url, {"decision": "approve", "comment": ""})
    assert _messages(response) == ["该事项已转交 菜园镇党委陈书记 办理,您的提交未保存。"]
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.REQUESTED


def test_the_former_holder_submitting_after_a_hand_over_is_told_and_changes_nothing(client, w):
    town_a, mentor = w["people"]["town_a"], w["mentor_a"]
    leave = _leave(w)
    task = _decision(leave)
    url = task.reverse("execute")
    client.force_login(town_a)
    client.post(f"/tasks/{task.pk}/take/")
    response = client.post(f"/tasks/{task.pk}/hand-over/", {"to": mentor.pk, "note": "请代办"})
    assert response.status_code == 302 and _messages(response)[-1] == "已转交 菜园镇周副书记 办理。"
    response = client.post(url, {"decision": "approve", "comment": "同意"})
    assert _messages(response)[-1] == "该事项已转交 菜园镇周副书记 办理,您的提交未保存。"
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.REQUESTED
    assert _task(task.pk).owner == mentor


def test_handing_over_through_the_page_to_someone_not_offered_is_refused_with_a_message(client, w):
    town_a = w["people"]["town_a"]
    task = _decision(_leave(w))
    client.force_login(town_a)
    client.post(f"/tasks/{task.pk}/take/")
    response = client.post(f"/tasks/{task.pk}/hand-over/", {"to": w["people"]["town_b"].pk})
    assert response.status_code == 302 and _messages(response)[-1] == "请选择一位可以办理此事项的同事。"
    assert _task(task.pk).owner == town_a
    response = client.get(f"/tasks/{task.pk}/hand-over/")
    assert response.status_code == 405


def test_taking_over_through_the_page_outside_the_tier_is_403(client, w):
    task = _decision(_leave(w))
    client.force_login(w["people"]["town_b"])
    assert client.post(f"/tasks/{task.pk}/take/").status_code == 403
    assert client.post("/tasks/999999/take/").status_code == 404


# --- The race on PostgreSQL ------------------------------------------------------------------------

HOLD_SECONDS = 0.3


def _run_together(workers):
    start = threading.Barrier(len(workers), timeout=10)
    outcomes: list = [None] * len(workers)

    def run(n):
        try:
            start.wait()
            outcomes[n] = workers[n]()
        except Exception as exc:  # reported to the test through `outcomes`
            outcomes[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung: deadlock?"
    return outcomes


@needs_postgresql
@pytest.mark.parametrize("first", ["hand_over", "submit"])
def test_a_hand_over_while_the_holder_submits_one_wins_and_the_other_is_told(transactional_db, w, first):
    town_a, mentor = w["people"]["town_a"], w["mentor_a"]
    leave = _leave(w)
    task = _decision(leave)
    task_take(task=task, by=town_a)
    url = task.reverse("execute")
    holder = Client()
    holder.force_login(town_a)

    def hand_over():
        if first == "submit":
            time.sleep(HOLD_SECONDS / 3)
        with transaction.atomic():
            result = task_hand_over(task=_task(task.pk), by=User.objects.get(pk=town_a.pk), to=mentor, note="")
            time.sleep(HOLD_SECONDS)
        return result

    def submit():
        if first == "hand_over":
            time.sleep(HOLD_SECONDS / 3)
        return holder.post(url, {"decision": "approve", "comment": "同意"})

    handed, response = _run_together([hand_over, submit])
    stored = LeaveRequest.objects.get(pk=leave.pk)
    said = _messages(response) if not isinstance(response, Exception) else [repr(response)]
    if first == "hand_over":
        assert not isinstance(handed, Exception), handed
        assert said == ["该事项已转交 菜园镇周副书记 办理,您的提交未保存。"]
        assert stored.state == LeaveState.REQUESTED and _task(task.pk).owner == mentor
    else:
        assert response.status_code == 302 and stored.state == LeaveState.APPROVED
        assert isinstance(handed, ValidationError) and "已经办结" in handed.messages[0]
        assert _events("task.hand_over") == []
    assert audit_verify().ok
