"""Two approvals of one nomination at once: one transition, the other told 'already decided', never a 500 (R-S1).

The concurrent tests need real row locks, so they run on PostgreSQL with one connection per thread;
the sequential double submission runs on every backend.
"""

import threading
import time

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import Client
from viewflow.workflow.status import PROCESS, STATUS

from dispatch import services
from dispatch.flows import DispatchFlow
from dispatch.models import Dispatch, DispatchState
from tests.conftest import YEAR
from workflows.audit import audit_verify
from workflows.flows import ALREADY_DONE, open_task, open_tasks_for, process_of
from workflows.models import AuditEvent, User

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs two real PostgreSQL connections and row locks"
)

#: How long the first approver keeps its transaction open, so that the second one meets the lock.
HOLD_SECONDS = 0.3


def _nominated(world):
    return services.dispatch_nominate(
        cadre=world["cadre_a"], village=world["village_a"], by=world["people"]["deputy_a"], year=YEAR
    )


def _run_together(worker, count=2):
    """Run `worker(n)` in `count` threads released at once; return what each returned or raised."""
    start = threading.Barrier(count, timeout=10)
    outcomes: list = [None] * count

    def run(n):
        try:
            start.wait()
            outcomes[n] = worker(n)
        except Exception as exc:  # reported to the test through `outcomes`
            outcomes[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung: deadlock?"
    return outcomes


def _approval_task(world, dispatch):
    process = process_of(DispatchFlow, dispatch)
    return DispatchFlow.task_class.objects.filter(process=process, flow_task=DispatchFlow.approve)


@needs_postgresql
def test_r_s1_two_approvals_at_once_in_the_service_make_exactly_one_transition(transactional_db, world):
    dispatch_pk = _nominated(world).pk
    head_pk = world["people"]["head_a"].pk
    finished_at: dict[int, float] = {}

    def approve(n):
        head = User.objects.get(pk=head_pk)
        dispatch = Dispatch.objects.get(pk=dispatch_pk)
        try:
            with transaction.atomic():
                result = services.dispatch_approve(dispatch=dispatch, by=head, comment=f"第{n + 1}个窗口")
                time.sleep(HOLD_SECONDS)
            return result
        finally:
            finished_at[n] = time.monotonic()

    outcomes = _run_together(approve)
    won = [o for o in outcomes if isinstance(o, Dispatch)]
    lost = [o for o in outcomes if not isinstance(o, Dispatch)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    error = lost[0]
    assert isinstance(error, ValidationError), repr(error)
    assert "已经处理过" in " ".join(error.messages)
    assert "单位已批准" in " ".join(error.messages)

    stored = Dispatch.objects.get(pk=dispatch_pk)
    assert stored.state == DispatchState.APPROVED
    assert stored.decision_comment == won[0].decision_comment
    events = AuditEvent.objects.filter(action="dispatch.approve")
    assert events.count() == 1
    assert (events[0].from_state, events[0].to_state) == ("nominated", "approved")
    assert audit_verify().ok


def _head_client(world):
    client = Client()
    client.force_login(world["people"]["head_a"])
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@needs_postgresql
def test_r_s1_two_tabs_approving_at_once_through_the_page_make_one_transition_and_no_500(
    transactional_db, world, monkeypatch
):
    dispatch = _nominated(world)
    [task] = open_tasks_for(world["people"]["head_a"], [DispatchFlow])
    url = task.execute_url
    clients = [_head_client(world), _head_client(world)]

    # The winner keeps the flow lock a moment, so that the other tab really meets it.
    original = services.dispatch_approve

    def slow_approve(**kwargs):
        result = original(**kwargs)
        time.sleep(HOLD_SECONDS)
        return result

    monkeypatch.setattr(services, "dispatch_approve", slow_approve)

    outcomes = _run_together(lambda n: clients[n].post(url, {"decision": "approve", "comment": f"第{n + 1}个窗口"}))
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert [r.status_code for r in outcomes] == [302, 302]

    said = [_messages(r) for r in outcomes]
    already = [m for m in said if str(ALREADY_DONE) in m]
    approved = [m for m in said if "已同意选派 李卫东。" in m]
    assert len(already) == 1 and len(approved) == 1, said

    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.APPROVED
    assert AuditEvent.objects.filter(action="dispatch.approve").count() == 1
    tasks = _approval_task(world, dispatch)
    assert [t.status for t in tasks] == [STATUS.DONE]
    assert open_task(DispatchFlow, "training", dispatch) is not None
    training = DispatchFlow.task_class.objects.filter(process=tasks[0].process, flow_task=DispatchFlow.training)
    assert training.count() == 1
    assert open_tasks_for(world["people"]["head_a"], [DispatchFlow]) == []
    assert audit_verify().ok


@needs_postgresql
def test_r_s1_approve_and_reject_at_once_leave_one_decision(transactional_db, world):
    dispatch = _nominated(world)
    [task] = open_tasks_for(world["people"]["head_a"], [DispatchFlow])
    clients = [_head_client(world), _head_client(world)]
    posts = [{"decision": "approve", "comment": "同意"}, {"decision": "reject", "comment": "另有安排"}]

    outcomes = _run_together(lambda n: clients[n].post(task.execute_url, posts[n]))
    assert [getattr(r, "status_code", r) for r in outcomes] == [302, 302]
    state = Dispatch.objects.get(pk=dispatch.pk).state
    assert state in (DispatchState.APPROVED, DispatchState.REJECTED)
    decisions = AuditEvent.objects.filter(action__in=["dispatch.approve", "dispatch.reject"])
    assert [e.to_state for e in decisions] == [state]
    assert sum(str(ALREADY_DONE) in _messages(r) for r in outcomes) == 1
    assert [t.status for t in _approval_task(world, dispatch)] == [STATUS.DONE]


def test_r_s1_second_tab_posting_after_the_first_is_told_already_decided(world):
    """Runs on every backend: the same page posted twice, one tab after the other."""
    dispatch = _nominated(world)
    [task] = open_tasks_for(world["people"]["head_a"], [DispatchFlow])
    first, second = _head_client(world), _head_client(world)

    response = first.post(task.execute_url, {"decision": "approve", "comment": "同意"})
    assert response.status_code == 302
    assert _messages(response) == ["已同意选派 李卫东。"]

    response = second.post(task.execute_url, {"decision": "approve", "comment": "同意"})
    assert response.status_code == 302
    assert _messages(response) == [str(ALREADY_DONE)]
    page = second.get(response.url)
    assert page.status_code == 200 and "已经办结" in page.content.decode()

    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.APPROVED
    assert AuditEvent.objects.filter(action="dispatch.approve").count() == 1
    assert [t.status for t in _approval_task(world, dispatch)] == [STATUS.DONE]


def test_r_s1_opening_a_decided_task_again_says_already_decided(world):
    dispatch = _nominated(world)
    [task] = open_tasks_for(world["people"]["head_a"], [DispatchFlow])
    client = _head_client(world)
    client.post(task.execute_url, {"decision": "approve", "comment": "同意"})
    response = client.get(task.execute_url)
    assert response.status_code == 302
    assert _messages(response)[-1] == str(ALREADY_DONE)
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.APPROVED


@needs_postgresql
def test_r_s1_withdrawal_racing_the_approval_page_gives_one_outcome_and_no_500(transactional_db, world, monkeypatch):
    """The deputy withdraws while the head approves: both take the flow lock before the dispatch row.

    The withdrawal is held between its own steps so that the head's page arrives in the middle of it.
    """
    from django.urls import reverse

    import workflows.flows

    dispatch = _nominated(world)
    [task] = open_tasks_for(world["people"]["head_a"], [DispatchFlow])
    head = _head_client(world)
    deputy = Client()
    deputy.force_login(world["people"]["deputy_a"])
    original = workflows.flows.cancel_process_of

    def slow_cancel(flow_class, artifact):
        time.sleep(HOLD_SECONDS)
        return original(flow_class, artifact)

    monkeypatch.setattr(workflows.flows, "cancel_process_of", slow_cancel)

    def act(n):
        if n == 0:
            return deputy.post(reverse("dispatch:withdraw", args=[dispatch.pk]), {"reason": "本人家中有变故"})
        time.sleep(HOLD_SECONDS / 3)
        return head.post(task.execute_url, {"decision": "approve", "comment": "同意"})

    started = time.monotonic()
    outcomes = _run_together(act)
    assert [getattr(r, "status_code", r) for r in outcomes] == [302, 302]
    assert time.monotonic() - started < 5, "one side waited for a lock the other held"
    state = Dispatch.objects.get(pk=dispatch.pk).state
    assert state in (DispatchState.WITHDRAWN, DispatchState.APPROVED)
    decisions = AuditEvent.objects.filter(action__in=["dispatch.withdraw", "dispatch.approve"])
    assert [e.to_state for e in decisions] == [state]
    process = process_of(DispatchFlow, dispatch)
    if state == DispatchState.WITHDRAWN:
        assert str(ALREADY_DONE) in _messages(outcomes[1])
        assert [t.status for t in _approval_task(world, dispatch)] == [STATUS.CANCELED]
    else:
        assert any("已经处理过" in m for m in _messages(outcomes[0]))
        assert [t.status for t in _approval_task(world, dispatch)] == [STATUS.DONE]
        assert process.status != PROCESS.CANCELED
