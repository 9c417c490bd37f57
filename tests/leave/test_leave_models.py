"""LeaveRequest's state machine: every legal transition and every illegal one (R-M2)."""

import datetime

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from leave.models import LeaveRequest, LeaveState
from tests.dispatch.test_team import stationed

S = LeaveState
NOW = timezone.now()
ON = datetime.date(2026, 4, 7)


def _leave(state: str, days: int = 3) -> LeaveRequest:
    return LeaveRequest(
        starts_on=ON, ends_on=ON + datetime.timedelta(days=days - 1), days=days, reason="家中有事", state=state
    )


def _fire(leave: LeaveRequest, name: str) -> None:
    user = None
    calls = {
        "approve_by_township": lambda: leave.approve_by_township(by=user, on=NOW, comment="同意"),
        "review": lambda: leave.review(by=user, comment="同意,报组织部"),
        "approve_by_org_dept": lambda: leave.approve_by_org_dept(by=user, on=NOW, comment="同意"),
        "reject": lambda: leave.reject(by=user, on=NOW, comment="工作忙,不宜请假"),
        "withdraw": lambda: leave.withdraw(),
        "begin": lambda: leave.begin(),
        "report_back": lambda: leave.report_back(returned_on=ON + datetime.timedelta(days=3), late_days=0),
        "close": lambda: leave.close(),
    }
    calls[name]()


#: (transition, source state, days) → target state: every legal move of the machine.
LEGAL = [
    ("approve_by_township", S.REQUESTED, 3, S.APPROVED),
    ("review", S.REQUESTED, 4, S.REVIEWED),
    ("approve_by_org_dept", S.REVIEWED, 4, S.APPROVED),
    ("reject", S.REQUESTED, 3, S.REJECTED),
    ("reject", S.REVIEWED, 4, S.REJECTED),
    ("withdraw", S.REQUESTED, 3, S.WITHDRAWN),
    ("withdraw", S.REVIEWED, 4, S.WITHDRAWN),
    ("begin", S.APPROVED, 3, S.ON_LEAVE),
    ("report_back", S.APPROVED, 3, S.REPORTED_BACK),
    ("report_back", S.ON_LEAVE, 3, S.REPORTED_BACK),
    ("close", S.REPORTED_BACK, 3, S.CLOSED),
]

TRANSITIONS = sorted({t for t, *_ in LEGAL})
LEGAL_PAIRS = {(t, source) for t, source, *_ in LEGAL}
ILLEGAL = [(t, s) for t in TRANSITIONS for s in S.values if (t, s) not in LEGAL_PAIRS]


@pytest.mark.parametrize(("transition", "source", "days", "target"), LEGAL, ids=[f"{t}-{s}" for t, s, *_ in LEGAL])
def test_r_m2_legal_leave_transitions(transition, source, days, target):
    leave = _leave(source, days)
    assert can_proceed(getattr(leave, transition))
    _fire(leave, transition)
    assert leave.state == target


@pytest.mark.parametrize(("transition", "source"), ILLEGAL, ids=[f"{t}-{s}" for t, s in ILLEGAL])
def test_r_m2_illegal_leave_transitions_are_refused(transition, source):
    leave = _leave(source, 4 if source == S.REVIEWED else 3)
    assert not can_proceed(getattr(leave, transition), check_conditions=False)
    with pytest.raises(TransitionNotAllowed):
        _fire(leave, transition)
    assert leave.state == source


def test_r_m2_township_cannot_approve_more_than_n_days_and_cannot_forward_n_days():
    """At N days the township decides alone; at N+1 only the org dept can approve (R-M2)."""
    n = settings.POLICY["LEAVE_TOWNSHIP_MAX_DAYS"]
    at_n, above_n = _leave(S.REQUESTED, n), _leave(S.REQUESTED, n + 1)
    assert can_proceed(at_n.approve_by_township) and not can_proceed(at_n.review)
    assert can_proceed(above_n.review) and not can_proceed(above_n.approve_by_township)
    with pytest.raises(TransitionNotAllowed):
        above_n.approve_by_township(by=None, on=NOW)
    with pytest.raises(TransitionNotAllowed):
        at_n.review(by=None)


def test_r_m2_the_township_limit_is_a_setting():
    with override_settings(POLICY={**settings.POLICY, "LEAVE_TOWNSHIP_MAX_DAYS": 5}):
        assert can_proceed(_leave(S.REQUESTED, 5).approve_by_township)
        assert can_proceed(_leave(S.REQUESTED, 6).review)
        assert not can_proceed(_leave(S.REQUESTED, 5).review)


def test_r_m2_state_is_protected_and_transitions_persist(world):
    dispatch = stationed(world["cadre_a"], world["village_a"])
    leave = LeaveRequest.objects.create(
        dispatch=dispatch, starts_on=ON, ends_on=ON + datetime.timedelta(days=2), days=3, reason="家中有事"
    )
    with pytest.raises(AttributeError):
        leave.state = S.APPROVED
    leave.approve_by_township(by=world["people"]["town_a"], on=NOW, comment="同意")
    leave.save()
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.APPROVED
    assert stored.decided_by == world["people"]["town_a"] and stored.decision_comment == "同意"
    stored.begin()
    stored.save()
    stored.report_back(returned_on=ON + datetime.timedelta(days=3), late_days=0)
    stored.save()
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.REPORTED_BACK and stored.returned_on == datetime.date(2026, 4, 10)
    stored.close()
    stored.save()
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.CLOSED
