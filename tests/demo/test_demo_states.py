"""The demo shows every part of the work: leave in every state, months confirmed, visits, inspections, recalls."""

import datetime
from collections import Counter

import time_machine
from django.utils import timezone

from demo.build import demo_county_build
from dispatch.models import Dispatch, DispatchState, Recall, RecallState
from dispatch.selectors import paired_villages_with_places
from leave.calendar import days_between, month_bounds
from leave.models import (
    AttendanceDay,
    AttendanceMonth,
    Circular,
    DayStatus,
    InspectionFinding,
    InspectionKind,
    LeaveRequest,
    LeaveState,
    MonthState,
)
from leave.selectors.attendance import ONCE_STATIONED, month_progress, year_progress
from leave.selectors.oversight import WindowStatus, visit_board
from workflows.audit import audit_verify
from workflows.models import AuditEvent, Unit, User


def _stamped_during(started: datetime.datetime) -> Counter:
    return Counter(AuditEvent.objects.filter(at__gte=started).values_list("action", flat=True))


# Built at the start of a year, on an empty database: it runs before the package's shared demo exists.


def test_the_demo_builds_early_in_the_year(db):
    with time_machine.travel(datetime.datetime(2027, 1, 12, 9, 0, tzinfo=datetime.UTC), tick=True):
        started = timezone.now()
        result = demo_county_build()
        today = timezone.localdate()
        # Built at five in the afternoon: only leave that cadres stationed today ask for this evening (and its
        # forwarding, a minute later) is planned for later and so carries the build's time; every other step,
        # the appraisal rounds and the day ledgers included, is dated before the build.
        stamped = _stamped_during(started)
        assert set(stamped) <= {"leave.request", "leave.review", "leave.approve"} and stamped.total() <= 6, stamped
        assert Dispatch.objects.filter(year=today.year, state=DispatchState.STATIONED).exists()
        assert not AttendanceMonth.objects.filter(month__gte=today.replace(day=1), state=MonthState.CONFIRMED).exists()
        assert audit_verify().ok
        assert result.created["months_confirmed"] > 0
        # This year's terms have only begun: the leave already taken went to cadres whose term ends soon.
        states = set(LeaveRequest.objects.values_list("state", flat=True))
        assert {LeaveState.CLOSED, LeaveState.REJECTED, LeaveState.WITHDRAWN, LeaveState.REQUESTED} <= states


def _leaves():
    return LeaveRequest.objects.select_related("dispatch__cadre__user", "dispatch__village__township")


def test_r_m2_demo_has_leave_in_every_state(demo):
    today = timezone.localdate()
    states = Counter(_leaves().values_list("state", flat=True))
    assert set(states) == set(LeaveState), states
    [short] = _leaves().filter(state=LeaveState.REQUESTED)
    assert short.days == 2 and not short.needs_org_dept() and short.starts_on > today
    [reviewed] = _leaves().filter(state=LeaveState.REVIEWED)
    assert reviewed.days == 5 and reviewed.reviewed_by is not None and reviewed.decided_by is None
    [ahead] = _leaves().filter(state=LeaveState.APPROVED)
    assert ahead.starts_on > today
    [now] = _leaves().filter(state=LeaveState.ON_LEAVE)
    assert now.starts_on <= today <= now.ends_on and now.dispatch.cadre.user.username == "ganbu1"
    back = list(_leaves().filter(state=LeaveState.REPORTED_BACK).order_by("late_days"))
    assert [leave.late_days > 0 for leave in back] == [False, True]
    late = back[1]
    late_days = AttendanceDay.objects.filter(
        dispatch=late.dispatch, date__gt=late.ends_on, date__lt=late.returned_on, status=DayStatus.ABSENT
    )
    assert late_days.count() == late.late_days
    assert _leaves().get(state=LeaveState.CLOSED).returned_on is not None
    assert _leaves().get(state=LeaveState.REJECTED).decision_comment
    # The township of the demo login xiangzhen1 decides them all.
    assert {leave.dispatch.village.township.code for leave in _leaves()} == {"410523101"}


def test_r_m2_demo_leave_steps_are_dated_when_they_happened(demo):
    today = timezone.localdate()
    closed = _leaves().get(state=LeaveState.CLOSED)
    events = AuditEvent.objects.filter(object_id=str(closed.pk), action__startswith="leave.").order_by("seq")
    assert [e.action for e in events] == [
        "leave.request",
        "leave.approve",
        "leave.begin",
        "leave.report_back",
        "leave.close",
    ]
    times = [timezone.localtime(e.at).date() for e in events]
    assert times == sorted(times) and times[-1] < today
    assert timezone.localtime(closed.requested_at).date() < closed.starts_on


def test_r_s1_stationing_is_dated_on_the_day_the_term_began(demo):
    ganbu1 = Dispatch.objects.get(cadre__user__username="ganbu1")
    event = AuditEvent.objects.get(action="dispatch.station", object_id=str(ganbu1.pk))
    assert timezone.localtime(event.at).date() == ganbu1.stationed_on < timezone.localdate()


def test_r_m2a_past_months_are_confirmed_and_this_month_is_open(demo):
    today = timezone.localdate()
    this_month = today.replace(day=1)
    months = AttendanceMonth.objects.filter(dispatch__state__in=ONCE_STATIONED)
    assert not months.filter(month__lt=this_month).exclude(state=MonthState.CONFIRMED).exists()
    assert months.filter(month__lt=this_month, state=MonthState.CONFIRMED).count() > 500
    assert not months.filter(month=this_month, state=MonthState.CONFIRMED).exists()
    # Every past month was entered day by day before it was confirmed: nothing was filled by default.
    confirms = AuditEvent.objects.filter(action="attendance.month_confirm")
    assert confirms.exists() and all(not e.data.get("filled_by_default") for e in confirms)
    event = confirms.order_by("seq").last()
    assert timezone.localtime(event.at).date() == month_bounds(this_month - datetime.timedelta(days=1))[
        1
    ] + datetime.timedelta(days=2)


def test_r_m2a_this_years_cadres_have_every_day_of_the_term_so_far_recorded_but_one(demo):
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    gaps = {}
    for dispatch in Dispatch.objects.filter(year=today.year, state=DispatchState.STATIONED).select_related("unit"):
        days = days_between(dispatch.stationed_on, yesterday, dispatch.unit.county_id)
        recorded = set(
            AttendanceDay.objects.filter(dispatch=dispatch, date__lte=yesterday).values_list("date", flat=True)
        )
        missing = [d.date for d in days if d.date not in recorded]
        if missing:
            gaps[dispatch.pk] = missing
    # One cadre has entered nothing this month yet; the month is still open, so nothing has filled it.
    [missing] = gaps.values()
    assert missing == [today.replace(day=1) + datetime.timedelta(days=n) for n in range(today.day - 1)]


def test_r_m1_r_m3_a_cadre_is_at_risk_this_month_and_this_year_and_one_was_absent_at_both_ends(demo):
    today = timezone.localdate()
    stationed = list(Dispatch.objects.filter(year=today.year, state=DispatchState.STATIONED))
    county_id = Unit.objects.first().county_id
    first, last = month_bounds(today)
    month = month_progress(stationed, first, days_between(first, last, county_id), today)
    year = year_progress(stationed, today, county_id)
    at_risk = {pk for pk, p in month.items() if p.at_risk} & {pk for pk, p in year.items() if p.at_risk}
    assert len(at_risk) == 1
    absent = Counter(
        AttendanceDay.objects.filter(dispatch__in=stationed, status=DayStatus.ABSENT)
        .exclude(dispatch_id__in=at_risk)
        .values_list("dispatch_id", flat=True)
    )
    assert any(n >= 4 for n in absent.values()), absent


def test_r_m5_leaders_visits_done_due_soon_and_missing(demo):
    rows = visit_board(on=timezone.localdate(), county=Unit.objects.first().county)
    statuses = Counter(w.status for row in rows for w in row.windows)
    for status in (WindowStatus.VISITED, WindowStatus.DUE, WindowStatus.MISSING):
        assert statuses[status] >= 1, statuses
    visit = AuditEvent.objects.filter(action="visit.record").order_by("seq").first()
    assert timezone.localtime(visit.at).date() < timezone.localdate() - datetime.timedelta(days=100)


def test_r_m6_an_unannounced_inspection_found_one_cadre_absent_and_a_circular_names_two_units(demo):
    [absent] = InspectionFinding.objects.filter(present=False).select_related("inspection", "dispatch__unit")
    assert absent.inspection.kind == InspectionKind.UNANNOUNCED
    assert InspectionFinding.objects.filter(inspection=absent.inspection, present=True).count() >= 4
    day = AttendanceDay.objects.get(dispatch=absent.dispatch, date=absent.inspection.inspected_on)
    assert (day.status, day.source) == (DayStatus.ABSENT, "inspection")
    [circular] = Circular.objects.all()
    assert circular.units.count() == 2 and absent.dispatch.unit in circular.units.all()
    assert absent.inspection.inspected_on <= circular.issued_on <= timezone.localdate()


def test_r_m5a_a_recall_waits_at_each_step(demo):
    states = Counter(Recall.objects.values_list("state", flat=True))
    assert states == {RecallState.PROPOSED: 1, RecallState.APPROVED: 1, RecallState.DECLINED: 1, RecallState.DONE: 1}
    approved = Recall.objects.select_related("dispatch__unit").get(state=RecallState.APPROVED)
    assert approved.dispatch.unit.name == "县教育局"  # in danwei2's to-do list


def test_r_s2_r_s6_every_unit_can_nominate_and_a_self_application_waits(demo):
    from dispatch.models import Application, ApplicationState

    year = timezone.localdate().year
    for unit in Unit.objects.all():
        assert paired_villages_with_places(unit, year).filter(has_place=True).exists(), unit
    assert Application.objects.filter(state=ApplicationState.SUBMITTED).count() == 1


def test_every_demo_login_has_work_waiting_or_a_record_to_read(demo):
    from appraisal.flows import AppraisalFlow
    from dispatch.flows import DispatchFlow, RecallFlow
    from leave.flows import LeaveFlow
    from workflows.flows import open_tasks_for

    flows = [DispatchFlow, RecallFlow, LeaveFlow, AppraisalFlow]
    tasks = {
        name: {t.flow_task.name for t in open_tasks_for(User.objects.get(username=name), flows)}
        for name in ("zuzhibu", "danwei1", "danwei2", "fenguan1", "xiangzhen1", "ganbu1")
    }
    assert {"decide", "decide_org"} <= tasks["zuzhibu"]
    assert "approve" in tasks["danwei1"]
    assert "carry_out" in tasks["danwei2"]
    assert {"decide_township", "close", "station"} <= tasks["xiangzhen1"]
    assert "report_back" in tasks["ganbu1"]
    assert tasks["fenguan1"] or Circular.objects.filter(units__name="县农业农村局").exists()


def test_audit_chain_verifies_after_the_dated_steps(demo):
    assert audit_verify().ok


def test_the_demo_steps_are_dated_before_the_build_but_those_planned_for_later_today(demo, demo_started):
    """A step planned for later today runs when the demo is built (never in the future); nothing else does. The
    appraisal rounds, their scores and votes, the day ledgers and the mentors all happened before today."""
    today = timezone.localdate()
    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    past_only = ("appraisal", "ballot", "paper_session", "attendance.write", "team.mentor", "dispatch.appraise")
    stamped = _stamped_during(demo_started)
    assert not [action for action in stamped if action.startswith(past_only)], stamped
    today_actions = set(AuditEvent.objects.filter(at__gte=start_of_today).values_list("action", flat=True))
    assert not [action for action in today_actions if action.startswith(past_only)], today_actions
