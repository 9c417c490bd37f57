"""Attendance services: one-click month, day changes, submit, confirm and lock, org dept corrections (R-M2a, R-O4)."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction

from dispatch.models import Dispatch
from leave.ledger import ledger_write
from leave.models import AttendanceDay, AttendanceMonth, DaySource, DayStatus, MonthState
from leave.services import attendance
from tests.leave import approved_leave, attendance_world, freeze, record
from workflows.models import AuditEvent, Township, User

D = datetime.date
APRIL = D(2026, 4, 1)


@pytest.fixture
def att(world):
    return attendance_world(world)


def _statuses(dispatch, month):
    return dict(
        AttendanceDay.objects.filter(dispatch=dispatch, date__year=month.year, date__month=month.month).values_list(
            "date", "status"
        )
    )


# --- One click: the month's defaults (R-M2a) ----------------------------------------------------------


def test_r_m2a_one_click_fills_a_month_workdays_in_village_rest_days_holiday(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    filled = attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    days = _statuses(att["d_a"], APRIL)
    assert filled == len(days) == 30
    # 2026-04-04 … 04-06 are the Qingming holiday (Saturday to Monday).
    assert days[D(2026, 4, 6)] == DayStatus.HOLIDAY
    assert days[D(2026, 4, 7)] == DayStatus.IN_VILLAGE
    assert sum(1 for s in days.values() if s == DayStatus.IN_VILLAGE) == 21
    assert set(AttendanceDay.objects.filter(dispatch=att["d_a"]).values_list("source", flat=True)) == {"cadre"}
    event = AuditEvent.objects.get(action="attendance.month_fill")
    assert event.data["filled"] == 30 and event.data["in_village"] == 21
    # A second click has nothing left to do.
    assert attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"]) == 0


def test_r_m2a_one_click_leaves_approved_leave_and_recorded_days_untouched(att, monkeypatch):
    """Nothing asks anyone to enter the same fact twice: approved leave is already in the calendar."""
    freeze(monkeypatch, D(2026, 5, 10))
    approved_leave(att["d_a"], D(2026, 4, 14), D(2026, 4, 16))
    attendance.day_set(
        dispatch=att["d_a"],
        day=D(2026, 4, 20),
        status=DayStatus.OFFICIAL_BUSINESS,
        by=att["people"]["cadre_a"],
        note="县里培训",
    )
    filled = attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    days = _statuses(att["d_a"], APRIL)
    assert filled == 26
    assert [days[D(2026, 4, n)] for n in (14, 15, 16)] == [DayStatus.LEAVE] * 3
    assert days[D(2026, 4, 20)] == DayStatus.OFFICIAL_BUSINESS
    assert AttendanceDay.objects.get(dispatch=att["d_a"], date=D(2026, 4, 14)).source == DaySource.LEAVE


def test_r_m2a_one_click_stays_within_the_term_and_up_to_today(att, monkeypatch):
    freeze(monkeypatch, D(2026, 3, 18))
    filled = attendance.month_fill_defaults(dispatch=att["d_a"], month=D(2026, 3, 1), by=att["people"]["cadre_a"])
    days = _statuses(att["d_a"], D(2026, 3, 1))
    assert min(days) == D(2026, 3, 5) and max(days) == D(2026, 3, 18)  # stationed on the 5th, today the 18th
    assert filled == 14


def test_one_click_refuses_a_month_not_begun_or_outside_the_term(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    with pytest.raises(ValidationError, match="尚未开始"):
        attendance.month_fill_defaults(dispatch=att["d_a"], month=D(2026, 6, 1), by=att["people"]["cadre_a"])
    with pytest.raises(ValidationError, match="驻村期"):
        attendance.month_fill_defaults(dispatch=att["d_a"], month=D(2026, 2, 1), by=att["people"]["cadre_a"])
    assert not AttendanceDay.objects.exists()


def test_r_o4_the_township_may_fill_its_cadres_month(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    assert attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["town_a"]) == 30
    assert set(AttendanceDay.objects.values_list("source", flat=True)) == {DaySource.TOWNSHIP}


@pytest.mark.parametrize("role", ["town_b", "cadre_b", "plain_a", "org", "auditor", "head_a", "outsider"])
def test_r_o4_nobody_else_fills_a_cadres_month(att, monkeypatch, role):
    freeze(monkeypatch, D(2026, 5, 10))
    user = att["plain_a"].user if role == "plain_a" else att["people"][role]
    with pytest.raises(PermissionDenied):
        attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=user)
    assert not AttendanceDay.objects.exists()
    assert AuditEvent.objects.filter(action="attendance.month_fill.refused").count() == 1


# --- One day (R-M2a, R-M3) -----------------------------------------------------------------------------


def test_r_m2a_cadre_reports_official_business_with_optional_evidence(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    day = attendance.day_set(
        dispatch=att["d_a"],
        day=D(2026, 5, 6),
        status=DayStatus.OFFICIAL_BUSINESS,
        by=att["people"]["cadre_a"],
        note="县农业农村局项目评审会",
        evidence="县政府3楼会议室",
    )
    assert (day.status, day.source, day.note, day.evidence) == (
        DayStatus.OFFICIAL_BUSINESS,
        DaySource.CADRE,
        "县农业农村局项目评审会",
        "县政府3楼会议室",
    )
    # Evidence is never required.
    day = attendance.day_set(
        dispatch=att["d_a"], day=D(2026, 5, 7), status=DayStatus.IN_VILLAGE, by=att["people"]["cadre_a"]
    )
    assert day.evidence == "" and day.status == DayStatus.IN_VILLAGE
    assert AuditEvent.objects.filter(action="attendance.write").count() == 2


def test_r_m2a_adding_evidence_later_is_audited(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    attendance.day_set(dispatch=att["d_a"], day=D(2026, 5, 6), status=DayStatus.IN_VILLAGE, by=att["people"]["cadre_a"])
    attendance.day_set(
        dispatch=att["d_a"],
        day=D(2026, 5, 6),
        status=DayStatus.IN_VILLAGE,
        by=att["people"]["cadre_a"],
        evidence="村委会门口照片",
    )
    assert AttendanceDay.objects.get(dispatch=att["d_a"], date=D(2026, 5, 6)).evidence == "村委会门口照片"
    assert AuditEvent.objects.get(action="attendance.day_set").data["to"]["evidence"] == "村委会门口照片"


@pytest.mark.parametrize(
    ("day", "status", "message"),
    [
        (D(2026, 5, 6), DayStatus.LEAVE, "请假"),
        (D(2026, 5, 6), DayStatus.HOLIDAY, "工作日"),  # a Wednesday: away is leave or absence, not a rest day
        (D(2026, 4, 25), DayStatus.ABSENT, "休息日"),  # a plain Saturday
        (D(2026, 5, 3), DayStatus.ABSENT, "休息日"),  # a Sunday in the Labour Day holiday
        (D(2026, 5, 11), DayStatus.IN_VILLAGE, "今天以后"),
        (D(2026, 3, 4), DayStatus.IN_VILLAGE, "驻村期"),
        (D(2026, 5, 6), "away", "无效"),
    ],
)
def test_r_m2a_day_set_refusals(att, monkeypatch, day, status, message):
    freeze(monkeypatch, D(2026, 5, 10))
    with pytest.raises(ValidationError, match=message):
        attendance.day_set(dispatch=att["d_a"], day=day, status=status, by=att["people"]["cadre_a"])
    assert not AttendanceDay.objects.exists()


def test_r_m2a_absent_is_accepted_on_an_adjusted_working_saturday(att, monkeypatch):
    """R-M3: Saturday 2026-05-09 is a working day (Labour Day 调休), so an absence counts there."""
    freeze(monkeypatch, D(2026, 5, 10))
    day = attendance.day_set(
        dispatch=att["d_a"],
        day=D(2026, 5, 9),
        status=DayStatus.ABSENT,
        by=att["people"]["town_a"],
        note="乡镇抽查不在村",
    )
    assert (day.status, day.source) == (DayStatus.ABSENT, DaySource.TOWNSHIP)


def test_r_m2a_approved_leave_days_cannot_be_changed_by_hand(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    approved_leave(att["d_a"], D(2026, 5, 6), D(2026, 5, 7))
    for user in (att["people"]["cadre_a"], att["people"]["town_a"]):
        with pytest.raises(ValidationError, match="销假"):
            attendance.day_set(dispatch=att["d_a"], day=D(2026, 5, 6), status=DayStatus.IN_VILLAGE, by=user)
    assert AttendanceDay.objects.get(dispatch=att["d_a"], date=D(2026, 5, 6)).status == DayStatus.LEAVE


def test_r_m3_cadre_cannot_overwrite_an_absence_the_township_recorded(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    attendance.day_set(dispatch=att["d_a"], day=D(2026, 5, 6), status=DayStatus.ABSENT, by=att["people"]["town_a"])
    with pytest.raises(ValidationError, match="乡镇登记"):
        attendance.day_set(
            dispatch=att["d_a"], day=D(2026, 5, 6), status=DayStatus.IN_VILLAGE, by=att["people"]["cadre_a"]
        )
    # The township itself may revise its own entry before confirmation.
    attendance.day_set(
        dispatch=att["d_a"],
        day=D(2026, 5, 6),
        status=DayStatus.OFFICIAL_BUSINESS,
        by=att["people"]["town_a"],
        note="核实为县里开会",
    )
    assert AttendanceDay.objects.get(dispatch=att["d_a"], date=D(2026, 5, 6)).status == DayStatus.OFFICIAL_BUSINESS


def test_r_m6_an_inspection_finding_is_changed_only_by_the_org_dept(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    record(att["d_a"], D(2026, 5, 6), D(2026, 5, 6), DayStatus.ABSENT, source=DaySource.INSPECTION)
    for user in (att["people"]["cadre_a"], att["people"]["town_a"]):
        with pytest.raises(ValidationError, match="明查暗访"):
            attendance.day_set(dispatch=att["d_a"], day=D(2026, 5, 6), status=DayStatus.IN_VILLAGE, by=user)
    attendance.day_correct(
        dispatch=att["d_a"],
        day=D(2026, 5, 6),
        status=DayStatus.OFFICIAL_BUSINESS,
        by=att["people"]["org"],
        reason="经核实当日在县里参加会议",
    )
    assert AttendanceDay.objects.get(dispatch=att["d_a"], date=D(2026, 5, 6)).status == DayStatus.OFFICIAL_BUSINESS


@pytest.mark.parametrize("role", ["town_b", "cadre_b", "org", "auditor", "head_a", "outsider"])
def test_r_o4_day_set_refused_outside_the_tier(att, monkeypatch, role):
    freeze(monkeypatch, D(2026, 5, 10))
    with pytest.raises(PermissionDenied):
        attendance.day_set(dispatch=att["d_a"], day=D(2026, 5, 6), status=DayStatus.ABSENT, by=att["people"][role])
    assert not AttendanceDay.objects.exists()
    assert AuditEvent.objects.filter(action="attendance.day_set.refused").count() == 1


# --- Submit and confirm (R-M2a) --------------------------------------------------------------------------


def test_r_m2a_cadre_submits_a_fully_recorded_month(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    with pytest.raises(ValidationError, match="30 天没有填报:04-01、04-02、04-03"):
        attendance.month_submit(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    with pytest.raises(PermissionDenied):
        attendance.month_submit(dispatch=att["d_a"], month=APRIL, by=att["people"]["town_a"])
    row = attendance.month_submit(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    assert AttendanceMonth.objects.get(pk=row.pk).state == MonthState.SUBMITTED
    event = AuditEvent.objects.get(action="attendance.month_submit")
    assert (event.from_state, event.to_state) == (MonthState.OPEN, MonthState.SUBMITTED)


def test_submit_refuses_a_month_not_over_and_changes_nothing_r_m2a(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    attendance.month_fill_defaults(dispatch=att["d_a"], month=D(2026, 5, 1), by=att["people"]["cadre_a"])
    with pytest.raises(ValidationError, match="2026-05 尚未结束,从 2026-05-31 起可以提交"):
        attendance.month_submit(dispatch=att["d_a"], month=D(2026, 5, 1), by=att["people"]["cadre_a"])
    assert AttendanceMonth.objects.get(dispatch=att["d_a"], month=D(2026, 5, 1)).state == MonthState.OPEN
    assert not AuditEvent.objects.filter(action="attendance.month_submit").exists()


def test_submit_names_the_days_not_filled_and_changes_nothing_r_m2a(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 10))
    attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    AttendanceDay.objects.filter(dispatch=att["d_a"], date__in=[D(2026, 4, 8), D(2026, 4, 12)]).delete()
    with pytest.raises(ValidationError) as refused:
        attendance.month_submit(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    assert refused.value.messages == ["还有 2 天没有填报:04-08、04-12。请先逐日填报,或点“按默认填报本月”。"]
    assert AttendanceMonth.objects.get(dispatch=att["d_a"], month=APRIL).state == MonthState.OPEN
    assert not AuditEvent.objects.filter(action="attendance.month_submit").exists()


def test_confirm_leaves_unreported_days_unreported_r_m1(att, monkeypatch):
    """R-M1: confirming records nothing; the working days nobody entered stay unreported, named in the audit."""
    freeze(monkeypatch, D(2026, 5, 2))
    attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    attendance.month_submit(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    approved_leave(att["d_plain"], D(2026, 4, 20), D(2026, 4, 21))  # plain_a recorded nothing else
    rows = attendance.month_confirm(township=att["town_a"], month=APRIL, by=att["people"]["town_a"])
    assert {r.dispatch_id for r in rows} == {att["d_a"].pk, att["d_plain"].pk}
    assert set(AttendanceMonth.objects.filter(month=APRIL).values_list("dispatch_id", "state")) == {
        (att["d_a"].pk, MonthState.CONFIRMED),
        (att["d_plain"].pk, MonthState.CONFIRMED),
    }
    assert _statuses(att["d_plain"], APRIL) == {D(2026, 4, 20): DayStatus.LEAVE, D(2026, 4, 21): DayStatus.LEAVE}
    assert len(_statuses(att["d_a"], APRIL)) == 30
    events = {e.object_id: e for e in AuditEvent.objects.filter(action="attendance.month_confirm")}
    plain_event = next(e for e in events.values() if e.data["unreported"])
    # April 2026 has 21 working days (the Qingming Monday off); two are leave, 19 unreported.
    assert len(plain_event.data["unreported"]) == 19 and plain_event.data["unreported"][0] == "2026-04-01"
    assert "2026-04-20" not in plain_event.data["unreported"]
    assert plain_event.reason.startswith("19 个工作日未填报,不计在村:04-01、04-02")
    assert sorted(len(e.data["unreported"]) for e in events.values()) == [0, 19]
    assert not AuditEvent.objects.filter(action="attendance.month_fill_unreported").exists()
    # The other township's cadre is not touched.
    assert not AttendanceMonth.objects.filter(dispatch=att["d_b"]).exists()


def test_township_fills_unreported_days_in_the_village_as_its_own_statement_r_m1(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 2))
    approved_leave(att["d_plain"], D(2026, 4, 20), D(2026, 4, 21))
    attendance.day_set(dispatch=att["d_plain"], day=D(2026, 4, 8), status=DayStatus.ABSENT, by=att["people"]["town_a"])
    filled = attendance.month_fill_unreported(
        township=att["town_a"],
        month=APRIL,
        status=DayStatus.IN_VILLAGE,
        dispatches=[att["d_plain"]],
        by=att["people"]["town_a"],
    )
    assert list(filled) == [att["d_plain"].pk] and len(filled[att["d_plain"].pk]) == 18
    days = _statuses(att["d_plain"], APRIL)
    assert len(days) == 30
    assert (days[D(2026, 4, 7)], days[D(2026, 4, 6)]) == (DayStatus.IN_VILLAGE, DayStatus.HOLIDAY)
    assert (days[D(2026, 4, 8)], days[D(2026, 4, 20)]) == (DayStatus.ABSENT, DayStatus.LEAVE)  # left as they were
    assert set(
        AttendanceDay.objects.filter(dispatch=att["d_plain"], date=D(2026, 4, 7)).values_list("source", flat=True)
    ) == {DaySource.TOWNSHIP}
    event = AuditEvent.objects.get(action="attendance.month_fill_unreported")
    assert event.actor == att["people"]["town_a"] and event.data["status"] == DayStatus.IN_VILLAGE
    assert len(event.data["workdays"]) == 18 and "2026-04-07" in event.data["workdays"]
    assert "2026-04-08" not in event.data["workdays"] and "2026-04-06" in event.data["rest_days"]
    assert "18 个工作日为“在村”" in event.reason
    # Only the cadre named: the other cadre of the township keeps their (empty) month.
    assert not AttendanceDay.objects.filter(dispatch=att["d_a"]).exists()


def test_township_marks_unreported_days_absent_r_m3(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 2))
    attendance.month_fill_unreported(
        township=att["town_a"], month=APRIL, status=DayStatus.ABSENT, by=att["people"]["town_a"]
    )
    for dispatch in (att["d_a"], att["d_plain"]):
        days = _statuses(dispatch, APRIL)
        assert sum(1 for s in days.values() if s == DayStatus.ABSENT) == 21
        assert DayStatus.IN_VILLAGE not in days.values()
    assert AuditEvent.objects.filter(action="attendance.month_fill_unreported").count() == 2


def test_fill_unreported_refuses_bad_input_and_changes_nothing_r_m2a(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 2))
    town = att["people"]["town_a"]
    with pytest.raises(ValidationError, match="只能统一登记"):
        attendance.month_fill_unreported(township=att["town_a"], month=APRIL, status=DayStatus.HOLIDAY, by=town)
    with pytest.raises(ValidationError, match="不在本乡镇"):
        attendance.month_fill_unreported(
            township=att["town_a"], month=APRIL, status=DayStatus.IN_VILLAGE, dispatches=[att["d_b"]], by=town
        )
    with pytest.raises(ValidationError, match="尚未开始"):
        attendance.month_fill_unreported(
            township=att["town_a"], month=D(2026, 6, 1), status=DayStatus.IN_VILLAGE, by=town
        )
    with pytest.raises(PermissionDenied):
        attendance.month_fill_unreported(
            township=att["town_a"], month=APRIL, status=DayStatus.IN_VILLAGE, by=att["people"]["town_b"]
        )
    assert not AttendanceDay.objects.exists()
    attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    with pytest.raises(ValidationError, match="没有未填报的工作日"):
        attendance.month_fill_unreported(
            township=att["town_a"], month=APRIL, status=DayStatus.IN_VILLAGE, dispatches=[att["d_a"]], by=town
        )
    attendance.month_confirm(township=att["town_a"], month=APRIL, by=town)
    with pytest.raises(ValidationError, match="确认锁定"):
        attendance.month_fill_unreported(
            township=att["town_a"], month=APRIL, status=DayStatus.IN_VILLAGE, dispatches=[att["d_plain"]], by=town
        )
    assert not AttendanceDay.objects.filter(dispatch=att["d_plain"]).exists()
    assert not AuditEvent.objects.filter(action="attendance.month_fill_unreported").exists()


def test_r_m2a_month_confirm_waits_for_the_months_last_day(att, monkeypatch):
    freeze(monkeypatch, D(2026, 4, 29))
    with pytest.raises(ValidationError, match="尚未结束"):
        attendance.month_confirm(township=att["town_a"], month=APRIL, by=att["people"]["town_a"])
    freeze(monkeypatch, D(2026, 4, 30))
    assert len(attendance.month_confirm(township=att["town_a"], month=APRIL, by=att["people"]["town_a"])) == 2
    with pytest.raises(ValidationError, match="已经确认"):
        attendance.month_confirm(township=att["town_a"], month=APRIL, by=att["people"]["town_a"])


@pytest.mark.parametrize("role", ["town_b", "org", "auditor", "cadre_a"])
def test_r_o4_only_the_townships_committee_confirms_its_month(att, monkeypatch, role):
    freeze(monkeypatch, D(2026, 5, 2))
    with pytest.raises(PermissionDenied):
        attendance.month_confirm(township=att["town_a"], month=APRIL, by=att["people"][role])
    assert not AttendanceMonth.objects.filter(state=MonthState.CONFIRMED).exists()
    assert not AttendanceDay.objects.exists()


def test_r_m2a_a_confirmed_month_is_locked_for_cadre_and_township(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 2))
    attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    attendance.month_confirm(township=att["town_a"], month=APRIL, by=att["people"]["town_a"])
    for user in (att["people"]["cadre_a"], att["people"]["town_a"]):
        with pytest.raises(ValidationError, match="锁定"):
            attendance.day_set(dispatch=att["d_a"], day=D(2026, 4, 8), status=DayStatus.ABSENT, by=user)
        with pytest.raises(ValidationError, match="锁定"):
            attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=user)
    with pytest.raises(ValidationError, match="乡镇已确认"):
        attendance.month_submit(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    # The ledger itself refuses anyone without the org dept's entitlement.
    with pytest.raises(ValidationError, match="锁定"):
        ledger_write(
            dispatch=att["d_a"],
            statuses={D(2026, 4, 8): DayStatus.ABSENT},
            source=DaySource.CADRE,
            by=att["people"]["cadre_a"],
        )
    assert AttendanceDay.objects.get(dispatch=att["d_a"], date=D(2026, 4, 8)).status == DayStatus.IN_VILLAGE


# --- The org dept's correction (R-M2a, R-X1) -------------------------------------------------------------


def test_r_m2a_org_dept_corrects_a_locked_month_with_a_reason_audited_from_to(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 2))
    attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    attendance.month_confirm(township=att["town_a"], month=APRIL, by=att["people"]["town_a"])
    day = attendance.day_correct(
        dispatch=att["d_a"],
        day=D(2026, 4, 8),
        status=DayStatus.ABSENT,
        by=att["people"]["org"],
        reason="暗访核实当日不在村,乡镇确认有误",
    )
    assert (day.status, day.source) == (DayStatus.ABSENT, DaySource.ORG_CORRECTION)
    event = AuditEvent.objects.get(action="attendance.day_correct")
    assert (event.from_state, event.to_state) == (DayStatus.IN_VILLAGE, DayStatus.ABSENT)
    assert event.reason == "暗访核实当日不在村,乡镇确认有误"
    assert event.data == {"date": "2026-04-08", "month_locked": True}
    assert event.township_id == att["town_a"].pk
    assert AttendanceMonth.objects.get(dispatch=att["d_a"], month=APRIL).state == MonthState.CONFIRMED


def test_r_m2a_org_dept_correction_needs_a_reason_and_a_real_change(att, monkeypatch):
    freeze(monkeypatch, D(2026, 5, 2))
    attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    attendance.month_confirm(township=att["town_a"], month=APRIL, by=att["people"]["town_a"])
    with pytest.raises(ValidationError, match="理由"):
        attendance.day_correct(
            dispatch=att["d_a"], day=D(2026, 4, 8), status=DayStatus.ABSENT, by=att["people"]["org"], reason=" "
        )
    with pytest.raises(ValidationError, match="无需更正"):
        attendance.day_correct(
            dispatch=att["d_a"], day=D(2026, 4, 8), status=DayStatus.IN_VILLAGE, by=att["people"]["org"], reason="核实"
        )
    with pytest.raises(ValidationError, match="请假"):
        attendance.day_correct(
            dispatch=att["d_a"], day=D(2026, 4, 8), status=DayStatus.LEAVE, by=att["people"]["org"], reason="补请假"
        )
    assert not AuditEvent.objects.filter(action="attendance.day_correct").exists()


@pytest.mark.parametrize("role", ["town_a", "auditor", "cadre_a", "head_a"])
def test_r_o4_only_the_org_dept_corrects_a_day(att, monkeypatch, role):
    freeze(monkeypatch, D(2026, 5, 2))
    attendance.month_fill_defaults(dispatch=att["d_a"], month=APRIL, by=att["people"]["cadre_a"])
    attendance.month_confirm(township=att["town_a"], month=APRIL, by=att["people"]["town_a"])
    with pytest.raises(PermissionDenied):
        attendance.day_correct(
            dispatch=att["d_a"], day=D(2026, 4, 8), status=DayStatus.ABSENT, by=att["people"][role], reason="想改"
        )
    assert AttendanceDay.objects.get(dispatch=att["d_a"], date=D(2026, 4, 8)).status == DayStatus.IN_VILLAGE
    assert AuditEvent.objects.filter(action="attendance.day_correct.refused").count() == 1


# --- Confirmation and a late change at once (R-M2a, PostgreSQL) ---------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real PostgreSQL connections and row locks")
def test_r_m2a_a_day_set_meeting_the_confirmation_waits_and_is_refused_never_slipping_in(
    transactional_db, world, monkeypatch
):
    """The township confirms (and holds its transaction a moment) while the cadre changes a day of the same month."""
    att = attendance_world(world)
    freeze(monkeypatch, D(2026, 5, 2))
    ids = {"dispatch": att["d_a"].pk, "town": att["people"]["town_a"].pk, "cadre": att["people"]["cadre_a"].pk}
    start = threading.Barrier(2, timeout=10)
    outcomes: list = [None, None]

    def confirm():
        with transaction.atomic():
            rows = attendance.month_confirm(
                township=Township.objects.get(pk=att["town_a"].pk), month=APRIL, by=User.objects.get(pk=ids["town"])
            )
            start.wait()
            time.sleep(0.4)
        return rows

    def change():
        start.wait()
        time.sleep(0.1)
        return attendance.day_set(
            dispatch=Dispatch.objects.select_related("cadre", "unit").get(pk=ids["dispatch"]),
            day=D(2026, 4, 8),
            status=DayStatus.ABSENT,
            by=User.objects.get(pk=ids["cadre"]),
        )

    def run(n, work):
        try:
            outcomes[n] = work()
        except Exception as exc:  # reported to the test through `outcomes`
            outcomes[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, work)) for n, work in enumerate((confirm, change))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert isinstance(outcomes[0], list) and len(outcomes[0]) == 2, outcomes
    assert isinstance(outcomes[1], ValidationError) and "锁定" in " ".join(outcomes[1].messages), outcomes
    # The day stays as the confirmation left it: unreported (R-M1), the late change never slipped in.
    assert not AttendanceDay.objects.filter(dispatch_id=ids["dispatch"], date=D(2026, 4, 8)).exists()
