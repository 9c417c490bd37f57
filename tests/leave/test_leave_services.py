"""Leave services: refusals, the split at N and N+1 days, the ledger filled and corrected, tiers (R-M2, R-M3, R-O4)."""

import datetime
import io
import time

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from dispatch import services as dispatch_services
from dispatch.models import Dispatch
from leave.flows import LeaveFlow
from leave.ledger import ledger_write
from leave.models import AttendanceDay, AttendanceMonth, DaySource, DayStatus, LeaveRequest, LeaveState
from leave.selectors.leave import leave_impact
from leave.services import leave as leaves
from tests.dispatch.test_race import HOLD_SECONDS, _run_together, needs_postgresql
from tests.dispatch.test_team import stationed
from workflows.flows import process_of
from workflows.models import AuditEvent, User

D = datetime.date
S = LeaveState


@pytest.fixture
def w(world):
    """cadre_a stationed in 东官庄村 (菜园镇, town_a) from 2026-03-05; cadre_b in 西街村 (宜沟镇, town_b)."""
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"])
    w["d_b"] = stationed(w["cadre_b"], w["village_b"])
    return w


def _request(w, starts_on, ends_on, *, reason="家中老人住院", who="cadre_a", dispatch="d_a") -> LeaveRequest:
    return leaves.leave_request(
        dispatch=w[dispatch], starts_on=starts_on, ends_on=ends_on, reason=reason, by=w["people"][who]
    )


def _waiting_at(leave):
    from viewflow.workflow.status import STATUS

    process = process_of(LeaveFlow, leave)
    return sorted(t.flow_task.name for t in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]))


def _days(dispatch, start, end):
    return dict(AttendanceDay.objects.filter(dispatch=dispatch, date__range=(start, end)).values_list("date", "status"))


def _approved(w, starts_on, ends_on) -> LeaveRequest:
    leave = _request(w, starts_on, ends_on)
    p = w["people"]
    leave = leaves.leave_decide(leave=leave, by=p["town_a"], approve=True)
    if leave.state == S.REVIEWED:
        leave = leaves.leave_decide(leave=leave, by=p["org"], approve=True)
    return leave


# --- Request ---------------------------------------------------------------------------------------


def test_r_m2_request_counts_working_days_starts_the_flow_and_is_audited(w):
    leave = _request(w, D(2026, 4, 3), D(2026, 4, 7))  # Fri, Qingming weekend and Monday, Tue
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.REQUESTED and stored.days == 2
    assert _waiting_at(stored) == ["decide_township"]
    event = AuditEvent.objects.get(action="leave.request")
    assert event.object_id == str(leave.pk) and event.to_state == S.REQUESTED and event.actor == w["people"]["cadre_a"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (D(2026, 4, 9), D(2026, 4, 7), "结束日期不能早于开始日期"),
        (D(2026, 3, 2), D(2026, 3, 6), "须在驻村期内"),  # starts before stationing on 2026-03-05
        (D(2027, 3, 3), D(2027, 3, 8), "须在驻村期内"),  # ends after the term's last day, 2027-03-04
        (D(2026, 4, 4), D(2026, 4, 6), "没有工作日"),  # Qingming: weekend and the Monday holiday
    ],
)
def test_r_m2_request_refusals_with_a_clear_message(w, start, end, message):
    with pytest.raises(ValidationError, match=message):
        _request(w, start, end)
    assert not LeaveRequest.objects.exists()


def test_r_m2_request_refused_without_a_reason(w):
    with pytest.raises(ValidationError, match="请假事由"):
        _request(w, D(2026, 4, 7), D(2026, 4, 8), reason="  ")


@pytest.mark.parametrize("state_of_first", ["requested", "reviewed", "approved", "on_leave"])
def test_r_m2_request_overlapping_an_open_or_approved_request_is_refused(w, state_of_first):
    first = _request(w, D(2026, 4, 7), D(2026, 4, 13))  # 5 working days: goes to the org dept
    p = w["people"]
    if state_of_first != "requested":
        first = leaves.leave_decide(leave=first, by=p["town_a"], approve=True)
    if state_of_first in ("approved", "on_leave"):
        first = leaves.leave_decide(leave=first, by=p["org"], approve=True)
    if state_of_first == "on_leave":
        leaves.leave_begin_due(on=D(2026, 4, 7))
    assert LeaveRequest.objects.get(pk=first.pk).state == state_of_first
    with pytest.raises(ValidationError, match="日期重叠"):
        _request(w, D(2026, 4, 13), D(2026, 4, 14))
    assert LeaveRequest.objects.count() == 1


@pytest.mark.parametrize("end_first", ["withdraw", "reject"])
def test_r_m2_withdrawn_or_rejected_leave_frees_its_days(w, end_first):
    first = _request(w, D(2026, 4, 7), D(2026, 4, 8))
    if end_first == "withdraw":
        leaves.leave_withdraw(leave=first, by=w["people"]["cadre_a"])
    else:
        leaves.leave_decide(leave=first, by=w["people"]["town_a"], approve=False, comment="村里换届,暂缓")
    assert _request(w, D(2026, 4, 7), D(2026, 4, 8)).state == S.REQUESTED


def test_r_m2_an_early_return_frees_the_days_after_it(w):
    leave = _approved(w, D(2026, 4, 7), D(2026, 4, 10))
    leaves.leave_report_back(leave=leave, returned_on=D(2026, 4, 9), by=w["people"]["cadre_a"])
    with pytest.raises(ValidationError, match="日期重叠"):
        _request(w, D(2026, 4, 8), D(2026, 4, 8))
    assert _request(w, D(2026, 4, 10), D(2026, 4, 10)).days == 1


def test_r_m2a_request_for_a_period_in_a_confirmed_month_is_refused(w):
    month, _ = AttendanceMonth.objects.get_or_create(dispatch=w["d_a"], month=D(2026, 3, 1))
    month.confirm(by=w["people"]["town_a"], on=timezone.now())
    month.save()
    assert AttendanceMonth.objects.get(pk=month.pk).is_locked
    with pytest.raises(ValidationError, match="2026-03 的考勤已经乡镇确认"):
        _request(w, D(2026, 3, 30), D(2026, 4, 1))
    assert _request(w, D(2026, 4, 1), D(2026, 4, 2)).days == 2


@pytest.mark.parametrize("how", ["nominated", "recalled"])
def test_r_m2_a_cadre_not_stationed_cannot_request_leave(w, how):
    p = w["people"]
    if how == "nominated":
        dispatch = dispatch_services.dispatch_nominate(
            cadre=w["plain_a"], village=w["village_a2"], by=p["deputy_a"], year=2026
        )
        who = "plain_a"
        p["plain_a"] = w["plain_a"].user
    else:
        recall = dispatch_services.recall_propose(
            dispatch=w["d_a"], by=p["town_a"], reason="absent_without_reason", details="多次不在岗"
        )
        recall = dispatch_services.recall_decide(recall=recall, by=p["org"], approve=True)
        dispatch_services.recall_carry_out(recall=recall, by=p["head_a"], on=D(2026, 4, 1))
        dispatch, who = Dispatch.objects.get(pk=w["d_a"].pk), "cadre_a"
    with pytest.raises(ValidationError, match="只有驻村期间的干部才能请假"):
        leaves.leave_request(
            dispatch=dispatch, starts_on=D(2026, 4, 7), ends_on=D(2026, 4, 8), reason="事假", by=p[who]
        )


@pytest.mark.parametrize("who", ["town_a", "org", "cadre_b", "head_a"])
def test_r_o4_only_the_cadre_requests_their_own_leave(w, who):
    with pytest.raises(PermissionDenied):
        _request(w, D(2026, 4, 7), D(2026, 4, 8), who=who)
    assert AuditEvent.objects.filter(action="leave.request.refused").count() == 1
    assert not LeaveRequest.objects.exists()


# --- The tier split at N and N+1 working days ------------------------------------------------------


def test_r_m2_at_n_working_days_the_township_approves(w):
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 9))  # Tue–Thu: 3 = N
    assert leave.days == settings.POLICY["LEAVE_TOWNSHIP_MAX_DAYS"] == 3
    leave = leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True, comment="同意")
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.APPROVED and stored.decided_by == w["people"]["town_a"]
    assert _waiting_at(stored) == ["report_back"]
    assert AuditEvent.objects.get(action="leave.approve").data["tier"] == "township"


def test_r_m2_at_n_plus_one_working_days_the_township_reviews_and_the_org_dept_decides(w):
    p = w["people"]
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 10))  # Tue–Fri: 4 = N + 1
    assert leave.days == 4
    leave = leaves.leave_decide(leave=leave, by=p["town_a"], approve=True, comment="情况属实,同意上报")
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.REVIEWED and stored.reviewed_by == p["town_a"]
    assert stored.review_comment == "情况属实,同意上报" and stored.decided_by is None
    assert _waiting_at(stored) == ["decide_org"]
    assert not AttendanceDay.objects.exists()  # nothing in the calendar until the org dept approves
    with pytest.raises(PermissionDenied):
        leaves.leave_decide(leave=stored, by=p["town_a"], approve=True)  # the township cannot decide it
    leave = leaves.leave_decide(leave=stored, by=p["org"], approve=True, comment="同意")
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.APPROVED and stored.decided_by == p["org"]
    assert _waiting_at(stored) == ["report_back"]
    assert list(
        AuditEvent.objects.filter(action__in=["leave.review", "leave.approve"])
        .order_by("seq")
        .values_list("action", "data__tier")
    ) == [("leave.review", "township"), ("leave.approve", "org_dept")]


@pytest.mark.parametrize(("end", "days", "state"), [(D(2026, 4, 13), 5, S.APPROVED), (D(2026, 4, 14), 6, S.REVIEWED)])
def test_r_m2_the_split_follows_the_setting(w, end, days, state):
    with override_settings(POLICY={**settings.POLICY, "LEAVE_TOWNSHIP_MAX_DAYS": 5}):
        leave = _request(w, D(2026, 4, 7), end)
        assert leave.days == days
        leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True)
    assert LeaveRequest.objects.get(pk=leave.pk).state == state


def test_r_m2_the_org_dept_may_reject_with_a_reason(w):
    p = w["people"]
    leave = leaves.leave_decide(leave=_request(w, D(2026, 4, 7), D(2026, 4, 10)), by=p["town_a"], approve=True)
    with pytest.raises(ValidationError, match="写明理由"):
        leaves.leave_decide(leave=leave, by=p["org"], approve=False)
    leaves.leave_decide(leave=leave, by=p["org"], approve=False, comment="正值换届,请缩短假期")
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.REJECTED and stored.decision_comment == "正值换届,请缩短假期"
    assert process_of(LeaveFlow, stored).finished is not None


def test_r_m2_rejection_needs_a_reason_and_ends_the_flow(w):
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 8))
    with pytest.raises(ValidationError, match="写明理由"):
        leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=False, comment=" ")
    leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=False, comment="近期有检查")
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.REJECTED and _waiting_at(stored) == []
    assert not AttendanceDay.objects.exists()
    event = AuditEvent.objects.get(action="leave.reject")
    assert (event.from_state, event.to_state, event.reason) == (S.REQUESTED, S.REJECTED, "近期有检查")


def test_r_m2_a_decided_leave_cannot_be_decided_again(w):
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 8))
    leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True)
    with pytest.raises(ValidationError, match="已经处理过"):
        leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=False, comment="改主意")
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.APPROVED


# --- Tiers (R-O4) ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["town_b", "org", "auditor", "head_a", "cadre_a"])
def test_r_o4_only_the_cadres_township_decides_up_to_n_days(w, who):
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 8))
    with pytest.raises(PermissionDenied):
        leaves.leave_decide(leave=leave, by=w["people"][who], approve=True)
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REQUESTED
    assert AuditEvent.objects.filter(action="leave.decide.refused").count() == 1


@pytest.mark.parametrize("who", ["town_a", "town_b", "auditor", "head_a"])
def test_r_o4_only_the_org_dept_decides_reviewed_leave(w, who):
    leave = leaves.leave_decide(
        leave=_request(w, D(2026, 4, 7), D(2026, 4, 10)), by=w["people"]["town_a"], approve=True
    )
    with pytest.raises(PermissionDenied):
        leaves.leave_decide(leave=leave, by=w["people"][who], approve=True)
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REVIEWED


def test_r_o4_the_township_decides_its_own_cadres_leave_only(w):
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 8), who="cadre_b", dispatch="d_b")
    with pytest.raises(PermissionDenied):
        leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True)
    leaves.leave_decide(leave=leave, by=w["people"]["town_b"], approve=True)
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.APPROVED


# --- Approved leave fills the calendar (R-M2a) -----------------------------------------------------


def test_r_m2a_approved_leave_writes_its_working_days_and_leaves_holidays_alone(w):
    leave = _request(w, D(2026, 4, 3), D(2026, 4, 7))
    assert not AttendanceDay.objects.exists()
    leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True)
    days = AttendanceDay.objects.filter(dispatch=w["d_a"]).order_by("date")
    assert [(d.date, d.status, d.source) for d in days] == [
        (D(2026, 4, 3), DayStatus.LEAVE, DaySource.LEAVE),
        (D(2026, 4, 7), DayStatus.LEAVE, DaySource.LEAVE),
    ]
    event = AuditEvent.objects.filter(action="attendance.write").latest("seq")
    assert event.data["source"] == DaySource.LEAVE and event.data["created"] == 2


def test_leave_over_recorded_days_is_refused_naming_them_and_nothing_changes_r_m2a(w):
    ledger_write(
        dispatch=w["d_a"],
        statuses={D(2026, 4, 7): DayStatus.IN_VILLAGE, D(2026, 4, 8): DayStatus.OFFICIAL_BUSINESS},
        source=DaySource.CADRE,
        by=w["people"]["cadre_a"],
    )
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 9))
    events = AuditEvent.objects.count()
    for confirmed in ([], [D(2026, 4, 7)]):  # none confirmed, then one of the two
        with pytest.raises(ValidationError) as refusal:
            leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True, overwrite=confirmed)
        assert "2026-04-08 因公报备" in refusal.value.messages[0]
        assert ("2026-04-07 在村" in refusal.value.messages[0]) == (not confirmed)
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REQUESTED
    assert _waiting_at(leave) == ["decide_township"]
    assert _days(w["d_a"], D(2026, 4, 7), D(2026, 4, 9)) == {
        D(2026, 4, 7): DayStatus.IN_VILLAGE,
        D(2026, 4, 8): DayStatus.OFFICIAL_BUSINESS,
    }
    assert AuditEvent.objects.count() == events


def test_leave_over_recorded_days_confirmed_per_day_overwrites_them_and_audits_each_r_m2a(w):
    ledger_write(
        dispatch=w["d_a"],
        statuses={D(2026, 4, 7): DayStatus.IN_VILLAGE, D(2026, 4, 8): DayStatus.OFFICIAL_BUSINESS},
        source=DaySource.CADRE,
        by=w["people"]["cadre_a"],
    )
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 9))
    leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True, overwrite=[D(2026, 4, 7), D(2026, 4, 8)])
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.APPROVED
    assert _days(w["d_a"], D(2026, 4, 7), D(2026, 4, 9)) == dict.fromkeys(
        [D(2026, 4, 7), D(2026, 4, 8), D(2026, 4, 9)], DayStatus.LEAVE
    )
    event = AuditEvent.objects.get(action="leave.approve")
    assert event.actor == w["people"]["town_a"]
    assert event.data["overwritten"] == ["2026-04-07 在村 → 请假", "2026-04-08 因公报备 → 请假"]


def test_longer_leave_over_recorded_days_is_confirmed_by_the_org_dept_that_approves_it_r_m2a(w):
    p = w["people"]
    ledger_write(
        dispatch=w["d_a"], statuses={D(2026, 4, 7): DayStatus.IN_VILLAGE}, source=DaySource.CADRE, by=p["cadre_a"]
    )
    leave = leaves.leave_decide(leave=_request(w, D(2026, 4, 7), D(2026, 4, 10)), by=p["town_a"], approve=True)
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REVIEWED  # the review writes nothing, asks nothing
    with pytest.raises(ValidationError, match="2026-04-07 在村"):
        leaves.leave_decide(leave=leave, by=p["org"], approve=True)
    leaves.leave_decide(leave=leave, by=p["org"], approve=True, overwrite=[D(2026, 4, 7)])
    event = AuditEvent.objects.get(action="leave.approve")
    assert event.data["tier"] == "org_dept" and event.data["overwritten"] == ["2026-04-07 在村 → 请假"]


def test_approval_over_an_inspection_day_needs_no_confirmation_and_keeps_it_r_m2a(w):
    ledger_write(
        dispatch=w["d_a"],
        statuses={D(2026, 4, 8): DayStatus.ABSENT},
        source=DaySource.INSPECTION,
        by=w["people"]["org"],
    )
    leave = leaves.leave_decide(leave=_request(w, D(2026, 4, 7), D(2026, 4, 9)), by=w["people"]["town_a"], approve=True)
    assert _days(w["d_a"], D(2026, 4, 7), D(2026, 4, 9)) == {
        D(2026, 4, 7): DayStatus.LEAVE,
        D(2026, 4, 8): DayStatus.ABSENT,
        D(2026, 4, 9): DayStatus.LEAVE,
    }
    assert "overwritten" not in AuditEvent.objects.get(action="leave.approve", object_id=str(leave.pk)).data


def test_rejecting_leave_over_recorded_days_needs_no_confirmation_r_m2a(w):
    ledger_write(
        dispatch=w["d_a"],
        statuses={D(2026, 4, 7): DayStatus.IN_VILLAGE},
        source=DaySource.CADRE,
        by=w["people"]["cadre_a"],
    )
    leave = leaves.leave_decide(
        leave=_request(w, D(2026, 4, 7), D(2026, 4, 8)), by=w["people"]["town_a"], approve=False, comment="当日已在村"
    )
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REJECTED
    assert _days(w["d_a"], D(2026, 4, 7), D(2026, 4, 8)) == {D(2026, 4, 7): DayStatus.IN_VILLAGE}


def _confirm(w, month):
    record, _ = AttendanceMonth.objects.get_or_create(dispatch=w["d_a"], month=month)
    record.confirm(by=w["people"]["town_a"], on=timezone.now())
    record.save()


def test_r_m2a_approval_is_refused_once_the_township_confirmed_the_month_meanwhile(w):
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 8))
    _confirm(w, D(2026, 4, 1))
    with pytest.raises(ValidationError, match="2026-04 的考勤已经乡镇确认锁定"):
        leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True)
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REQUESTED
    leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=False, comment="本月考勤已确认")
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REJECTED


def test_r_m3_a_late_return_into_a_confirmed_month_keeps_the_confirmed_days_and_still_flags_it(w):
    leave = _approved(w, D(2026, 4, 28), D(2026, 4, 30))
    _confirm(w, D(2026, 5, 1))
    leave = leaves.leave_report_back(leave=leave, returned_on=D(2026, 5, 7), by=w["people"]["cadre_a"])
    assert LeaveRequest.objects.get(pk=leave.pk).late_days == 1  # 6 May; 1–5 May is the Labour Day holiday
    assert not AttendanceDay.objects.filter(dispatch=w["d_a"], date__gte=D(2026, 5, 1)).exists()


# --- Withdraw, begin, report back, close ------------------------------------------------------------


def test_r_m2_the_cadre_withdraws_before_a_decision_and_the_flow_is_cancelled(w):
    from viewflow.workflow.status import PROCESS

    leave = _request(w, D(2026, 4, 7), D(2026, 4, 8))
    with pytest.raises(PermissionDenied):
        leaves.leave_withdraw(leave=leave, by=w["people"]["town_a"])
    leaves.leave_withdraw(leave=leave, by=w["people"]["cadre_a"])
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.WITHDRAWN
    assert process_of(LeaveFlow, stored).status == PROCESS.CANCELED
    assert AuditEvent.objects.filter(action="leave.withdraw", to_state=S.WITHDRAWN).count() == 1


def test_r_m2_reviewed_leave_can_still_be_withdrawn_but_approved_leave_cannot(w):
    reviewed = leaves.leave_decide(
        leave=_request(w, D(2026, 4, 7), D(2026, 4, 10)), by=w["people"]["town_a"], approve=True
    )
    leaves.leave_withdraw(leave=reviewed, by=w["people"]["cadre_a"])
    assert LeaveRequest.objects.get(pk=reviewed.pk).state == S.WITHDRAWN
    approved = _approved(w, D(2026, 4, 14), D(2026, 4, 15))
    with pytest.raises(ValidationError, match="已批准"):
        leaves.leave_withdraw(leave=approved, by=w["people"]["cadre_a"])


def test_r_m2_begin_due_marks_started_leave_only_and_the_command_runs_it(w):
    started = _approved(w, D(2026, 4, 7), D(2026, 4, 8))
    later = _approved(w, D(2026, 4, 14), D(2026, 4, 15))
    assert [x.pk for x in leaves.leave_begin_due(on=D(2026, 4, 7))] == [started.pk]
    assert LeaveRequest.objects.get(pk=started.pk).state == S.ON_LEAVE
    assert LeaveRequest.objects.get(pk=later.pk).state == S.APPROVED
    assert leaves.leave_begin_due(on=D(2026, 4, 7)) == []  # runs again without effect
    out = io.StringIO()
    call_command("leave_begin_due", "--date", "2026-04-14", stdout=out)
    assert "李卫东" in out.getvalue() and "共 1 条" in out.getvalue()
    assert LeaveRequest.objects.get(pk=later.pk).state == S.ON_LEAVE
    assert AuditEvent.objects.filter(action="leave.begin", actor__isnull=True).count() == 2
    assert _waiting_at(LeaveRequest.objects.get(pk=later.pk)) == ["report_back"]


def test_r_m3_late_report_back_turns_the_extra_working_days_into_flagged_absence(w):
    leave = _approved(w, D(2026, 4, 7), D(2026, 4, 9))
    leaves.leave_begin_due(on=D(2026, 4, 7))
    leaves.leave_report_back(leave=leave, returned_on=D(2026, 4, 14), by=w["people"]["cadre_a"])
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.REPORTED_BACK and stored.returned_on == D(2026, 4, 14)
    assert stored.late_days == 2  # Fri 10th and Mon 13th; the weekend is no absence
    days = AttendanceDay.objects.filter(dispatch=w["d_a"], date__range=(D(2026, 4, 10), D(2026, 4, 14)))
    assert [(d.date, d.status, d.note) for d in days.order_by("date")] == [
        (D(2026, 4, 10), DayStatus.ABSENT, "逾期未归"),
        (D(2026, 4, 13), DayStatus.ABSENT, "逾期未归"),
    ]
    assert _days(w["d_a"], D(2026, 4, 7), D(2026, 4, 9)) == dict.fromkeys(
        [D(2026, 4, 7), D(2026, 4, 8), D(2026, 4, 9)], DayStatus.LEAVE
    )
    event = AuditEvent.objects.get(action="leave.report_back")
    assert event.data["late_days"] == 2 and "逾期未归" in event.reason
    assert _waiting_at(stored) == ["close"]


def test_r_m2_early_return_gives_the_unused_working_days_back_to_the_village(w):
    leave = _approved(w, D(2026, 4, 7), D(2026, 4, 10))
    leaves.leave_report_back(leave=leave, returned_on=D(2026, 4, 9), by=w["people"]["cadre_a"])
    assert LeaveRequest.objects.get(pk=leave.pk).late_days == 0
    assert _days(w["d_a"], D(2026, 4, 7), D(2026, 4, 10)) == {
        D(2026, 4, 7): DayStatus.LEAVE,
        D(2026, 4, 8): DayStatus.LEAVE,
        D(2026, 4, 9): DayStatus.IN_VILLAGE,
        D(2026, 4, 10): DayStatus.IN_VILLAGE,
    }


def test_r_m2_on_time_report_back_changes_no_day(w):
    leave = _approved(w, D(2026, 4, 7), D(2026, 4, 9))
    before = _days(w["d_a"], D(2026, 4, 1), D(2026, 4, 30))
    leaves.leave_report_back(leave=leave, returned_on=D(2026, 4, 10), by=w["people"]["cadre_a"])
    assert _days(w["d_a"], D(2026, 4, 1), D(2026, 4, 30)) == before
    assert LeaveRequest.objects.get(pk=leave.pk).late_days == 0


def test_r_m2_report_back_refusals(w):
    leave = _approved(w, D(2026, 4, 7), D(2026, 4, 9))
    p = w["people"]
    with pytest.raises(ValidationError, match="不能早于请假开始日期"):
        leaves.leave_report_back(leave=leave, returned_on=D(2026, 4, 6), by=p["cadre_a"])
    with pytest.raises(ValidationError, match="不能晚于今天"):
        leaves.leave_report_back(
            leave=leave, returned_on=timezone.localdate() + datetime.timedelta(days=1), by=p["cadre_a"]
        )
    with pytest.raises(PermissionDenied):
        leaves.leave_report_back(leave=leave, returned_on=D(2026, 4, 10), by=p["town_a"])
    requested = _request(w, D(2026, 4, 14), D(2026, 4, 14))
    with pytest.raises(ValidationError, match="已申请"):
        leaves.leave_report_back(leave=requested, returned_on=D(2026, 4, 15), by=p["cadre_a"])


def test_r_m2_the_township_closes_after_the_report_back(w):
    p = w["people"]
    leave = _approved(w, D(2026, 4, 7), D(2026, 4, 9))
    with pytest.raises(ValidationError, match="已批准"):
        leaves.leave_close(leave=leave, by=p["town_a"])
    leave = leaves.leave_report_back(leave=leave, returned_on=D(2026, 4, 10), by=p["cadre_a"])
    for who in ("town_b", "org", "cadre_a"):
        with pytest.raises(PermissionDenied):
            leaves.leave_close(leave=leave, by=p[who])
    leaves.leave_close(leave=leave, by=p["town_a"])
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.CLOSED
    assert process_of(LeaveFlow, stored).finished is not None and _waiting_at(stored) == []


# --- What the leave does to the targets (R-M1) -----------------------------------------------------


def test_r_m1_impact_counts_as_the_attendance_pages_do_with_and_without_the_leave(w):
    """The decision page shows the month and term-year progress of the calendar, minus the leave (R-M1)."""
    d = w["d_a"]
    # Present on three working days and on the weekend of 11–12 April: rest days in the village count too.
    ledger_write(
        dispatch=d,
        statuses=dict.fromkeys(
            [D(2026, 4, 1), D(2026, 4, 2), D(2026, 4, 3), D(2026, 4, 11), D(2026, 4, 12)], DayStatus.IN_VILLAGE
        ),
        source=DaySource.CADRE,
        by=None,
    )
    two = _request(w, D(2026, 4, 7), D(2026, 4, 8))
    impact = leave_impact(two, today=D(2026, 4, 6))
    april, year = impact.months[0], impact.year
    # April 2026 has 21 working days, so it asks 21, not 22; 18 of them are not recorded yet.
    assert (april.label, april.target, april.present) == ("2026年4月", 21, 5)
    assert (april.possible_before, april.possible_after, april.leave_days) == (23, 21, 2)
    assert not april.at_risk_before and not april.at_risk_after
    # The term-year: the 19 working days from 5 March to 5 April nobody entered are unreported, not possible;
    # possible are the 330 unrecorded days after today (6 April) (R-M1).
    assert (year.starts_on, year.ends_on, year.target, year.present) == (D(2026, 3, 5), D(2027, 3, 4), 250, 5)
    assert (year.possible_before, year.possible_after) == (5 + 330, 5 + 330 - 2)
    assert not impact.at_risk and not impact.caused_by_leave

    leaves.leave_withdraw(leave=two, by=w["people"]["cadre_a"])
    three = _request(w, D(2026, 4, 7), D(2026, 4, 9))
    impact = leave_impact(three, today=D(2026, 4, 6))
    assert impact.months[0].possible_after == 20 and impact.months[0].at_risk_after
    assert impact.at_risk and impact.caused_by_leave and not impact.year.at_risk_after


def test_r_m1_impact_covers_each_month_the_leave_touches_and_only_its_working_days(w):
    leave = _request(w, D(2026, 4, 29), D(2026, 5, 8))  # the May Day holiday falls inside
    impact = leave_impact(leave, today=D(2026, 4, 1))
    assert [m.label for m in impact.months] == ["2026年4月", "2026年5月"]
    assert [m.leave_days for m in impact.months] == [2, 3]  # 29–30 April; 6–8 May
    assert impact.year.leave_days == 5 == leave.days


def test_r_m1_impact_counts_a_present_day_the_leave_would_overwrite_but_not_an_inspection(w):
    d = w["d_a"]
    ledger_write(dispatch=d, statuses={D(2026, 4, 7): DayStatus.IN_VILLAGE}, source=DaySource.CADRE, by=None)
    ledger_write(dispatch=d, statuses={D(2026, 4, 8): DayStatus.IN_VILLAGE}, source=DaySource.INSPECTION, by=None)
    leave = _request(w, D(2026, 4, 7), D(2026, 4, 9))
    april = leave_impact(leave, today=D(2026, 4, 6)).months[0]
    assert april.present == 2 and april.leave_days == 2  # the 7th (overwritten) and the 9th (not recorded)
    leaves.leave_decide(leave=leave, by=w["people"]["town_a"], approve=True, overwrite=[D(2026, 4, 7)])
    from leave.calendar import month_days
    from leave.selectors import attendance as selectors

    after = selectors.month_progress([d], D(2026, 4, 1), month_days(D(2026, 4, 1), d.unit.county_id), D(2026, 4, 6))[
        d.pk
    ]
    assert after.present + after.possible == april.possible_after


# --- At once, on real row locks (PostgreSQL) --------------------------------------------------------


@needs_postgresql
def test_r_m2_two_overlapping_requests_at_once_make_exactly_one_leave(transactional_db, world):
    dispatch_pk = stationed(world["cadre_a"], world["village_a"]).pk
    cadre_pk = world["people"]["cadre_a"].pk

    def ask(n):
        with transaction.atomic():
            leave = leaves.leave_request(
                dispatch=Dispatch.objects.get(pk=dispatch_pk),
                starts_on=D(2026, 4, 7 + n),
                ends_on=D(2026, 4, 9),
                reason=f"事假{n}",
                by=User.objects.get(pk=cadre_pk),
            )
            time.sleep(HOLD_SECONDS)
        return leave

    outcomes = _run_together(ask)
    made = [o for o in outcomes if isinstance(o, LeaveRequest)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert "日期重叠" in refused[0].messages[0]
    assert LeaveRequest.objects.count() == 1


@needs_postgresql
def test_r_m2_withdrawal_and_decision_at_once_make_exactly_one_transition(transactional_db, world):
    dispatch = stationed(world["cadre_a"], world["village_a"])
    leave_pk = leaves.leave_request(
        dispatch=dispatch, starts_on=D(2026, 4, 7), ends_on=D(2026, 4, 8), reason="事假", by=world["people"]["cadre_a"]
    ).pk
    cadre_pk, town_pk = world["people"]["cadre_a"].pk, world["people"]["town_a"].pk

    def act(n):
        leave = LeaveRequest.objects.get(pk=leave_pk)
        with transaction.atomic():
            if n == 0:
                result = leaves.leave_withdraw(leave=leave, by=User.objects.get(pk=cadre_pk))
            else:
                result = leaves.leave_decide(leave=leave, by=User.objects.get(pk=town_pk), approve=True)
            time.sleep(HOLD_SECONDS)
        return result

    outcomes = _run_together(act)
    done = [o for o in outcomes if isinstance(o, LeaveRequest)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(done) == 1 and len(refused) == 1, outcomes
    stored = LeaveRequest.objects.get(pk=leave_pk)
    assert stored.state in (S.WITHDRAWN, S.APPROVED)
    assert AuditEvent.objects.filter(action__in=["leave.withdraw", "leave.approve"]).count() == 1
    assert (stored.state == S.APPROVED) == AttendanceDay.objects.filter(dispatch=dispatch).exists()
