"""Reads for the leave pages: own requests, a township's list, what a leave does to the targets (R-M1, R-M2)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import Dispatch, DispatchState
from leave.calendar import month_days, workdays_between
from leave.models import (
    LEAVE_HOLDING_STATES,
    OPEN_LEAVE_STATES,
    PRESENT_STATUSES,
    AttendanceDay,
    DaySource,
    DayStatus,
    LeaveRequest,
    LeaveState,
)
from leave.selectors import attendance as selectors
from workflows.models import Township, User
from workflows.permissions import COORDINATE_COUNTY, DECIDE_LEAVE, acting_on, visible_to

#: Ledger rows a higher tier recorded (an inspection, the org dept); the leave process leaves them as they are.
AUTHORITATIVE_SOURCES = [DaySource.INSPECTION, DaySource.ORG_CORRECTION]


def _leaves() -> QuerySet[LeaveRequest]:
    return LeaveRequest.objects.select_related(
        "dispatch__cadre__user", "dispatch__unit", "dispatch__village__township", "reviewed_by", "decided_by"
    )


def decider_perm(stage: str) -> str:
    """Who decides a leave waiting in `stage`: the org dept once the township reviewed it, else the township (R-M2)."""
    return COORDINATE_COUNTY if stage == LeaveState.REVIEWED else DECIDE_LEAVE


def leaves_awaiting(user: User, stage: str) -> QuerySet[LeaveRequest]:
    """Leave waiting at `stage` (REQUESTED or REVIEWED) that this user decides, inside their tiers (R-M2, R-O4)."""
    return acting_on(user, decider_perm(stage), _leaves().filter(state=stage)).order_by("starts_on", "pk")


def stationed_dispatch_of(user: User) -> Dispatch | None:
    """The cadre's dispatch in which they are stationed now, if any."""
    if not (user and user.is_authenticated):
        return None
    return (
        Dispatch.objects.select_related("cadre", "unit__county", "village__township")
        .filter(cadre__user=user, state=DispatchState.STATIONED)
        .first()
    )


def leaves_of_cadre(user: User) -> QuerySet[LeaveRequest]:
    """The user's own leave requests, newest first (R-O4: a cadre sees their own records only)."""
    return _leaves().filter(dispatch__cadre__user=user).order_by("-starts_on", "-pk")


def township_leaves(user: User, township: Township) -> tuple[list[LeaveRequest], list[LeaveRequest]]:
    """Open requests of the cadres stationed in a township, then the recently finished ones."""
    rows = visible_to(user, _leaves().filter(dispatch__village__township=township))
    open_rows = list(rows.filter(state__in=OPEN_LEAVE_STATES).order_by("starts_on", "pk"))
    recent = list(rows.exclude(state__in=OPEN_LEAVE_STATES).order_by("-requested_at", "-pk")[:30])
    return open_rows, recent


def overlapping_leaves(dispatch: Dispatch, starts_on: datetime.date, ends_on: datetime.date) -> list[LeaveRequest]:
    """Leave of this dispatch that holds a day in the range; an early return frees the days after it (R-M2)."""
    candidates = LeaveRequest.objects.filter(
        dispatch=dispatch, state__in=LEAVE_HOLDING_STATES, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    result = []
    for leave in candidates:
        last = held_until(leave)
        if leave.starts_on <= ends_on and last >= starts_on and last >= leave.starts_on:
            result.append(leave)
    return result


def held_until(leave: LeaveRequest) -> datetime.date:
    """The last day the leave holds: its end, or the day before an early return."""
    if leave.returned_on is not None and leave.returned_on <= leave.ends_on:
        return leave.returned_on - datetime.timedelta(days=1)
    return leave.ends_on


# --- Days a leave would overwrite (R-M2a) ---------------------------------------------------------


@dataclass(frozen=True)
class RecordedDay:
    """A working day of a leave that already holds another status in the day ledger."""

    date: datetime.date
    status: str
    source: str

    @property
    def status_label(self) -> str:
        return str(DayStatus(self.status).label)

    @property
    def source_label(self) -> str:
        return str(DaySource(self.source).label)


def days_leave_would_overwrite(leave: LeaveRequest) -> list[RecordedDay]:
    """The leave's working days already recorded otherwise (在村, 因公报备 …) that approval would turn into leave.

    Days an inspection or the org dept recorded are not among them: approval leaves those as they are.
    """
    dispatch = leave.dispatch
    days = workdays_between(leave.starts_on, leave.ends_on, selectors.county_id_of(dispatch))
    if not days:
        return []
    rows = (
        AttendanceDay.objects.filter(dispatch=dispatch, date__in=days)
        .exclude(status=DayStatus.LEAVE)
        .exclude(source__in=AUTHORITATIVE_SOURCES)
        .order_by("date")
        .values_list("date", "status", "source")
    )
    return [RecordedDay(*row) for row in rows]


# --- What a leave does to the targets (R-M1) ------------------------------------------------------


@dataclass(frozen=True)
class Outlook:
    """One period's days in the village: so far, the most still reachable without and with this leave."""

    label: str
    starts_on: datetime.date
    ends_on: datetime.date
    target: int
    present: int
    possible_before: int  # days present + days still possible, as the attendance pages count them
    possible_after: int  # the same once this leave's working days are taken out
    over: bool = False

    @property
    def leave_days(self) -> int:
        return self.possible_before - self.possible_after

    @property
    def at_risk_before(self) -> bool:
        return self.possible_before < self.target

    @property
    def at_risk_after(self) -> bool:
        return self.possible_after < self.target


@dataclass(frozen=True)
class LeaveImpact:
    months: list[Outlook]
    year: Outlook

    @property
    def periods(self) -> list[Outlook]:
        return [*self.months, self.year]

    @property
    def at_risk(self) -> bool:
        """At risk after this leave: some target can no longer be met."""
        return any(p.at_risk_after for p in self.periods)

    @property
    def caused_by_leave(self) -> bool:
        """This leave is what puts a target out of reach."""
        return any(p.at_risk_after and not p.at_risk_before for p in self.periods)


def _outlook(label: str, progress: selectors.Progress, taken: int) -> Outlook:
    reachable = progress.present + progress.possible
    return Outlook(
        label,
        progress.first,
        progress.last,
        progress.target,
        progress.present,
        reachable,
        reachable - taken,
        progress.over,
    )


def leave_impact(leave: LeaveRequest, *, today: datetime.date | None = None) -> LeaveImpact:
    """The cadre's month and term-year progress (R-M1) as the attendance pages count it, with and without the leave.

    Progress comes from `leave.selectors` (days present; days still possible; the targets), so the decision
    page and the calendar say the same. Approving the leave records its working days as leave, which are then
    no longer possible: exactly the leave's working days in the period that are not recorded yet.
    """
    dispatch = leave.dispatch
    today = today or timezone.localdate()
    county_id = selectors.county_id_of(dispatch)
    first_day, last_day = selectors.term_of(dispatch)
    leave_workdays = workdays_between(max(leave.starts_on, first_day), min(leave.ends_on, last_day), county_id)
    recorded = {
        day: (status, source)
        for day, status, source in AttendanceDay.objects.filter(dispatch=dispatch, date__in=leave_workdays).values_list(
            "date", "status", "source"
        )
    }
    # What approval takes away: a day not recorded yet (no longer possible) or one recorded present that the
    # leave overwrites; a day an inspection or the org dept recorded stays as it is.
    taken = [
        d
        for d in leave_workdays
        if d not in recorded or (recorded[d][0] in PRESENT_STATUSES and recorded[d][1] not in AUTHORITATIVE_SOURCES)
    ]

    def taken_in(progress: selectors.Progress) -> int:
        return sum(1 for d in taken if progress.first <= d <= progress.last)

    months = []
    month = leave.starts_on.replace(day=1)
    while month <= leave.ends_on:
        progress = selectors.month_progress([dispatch], month, month_days(month, county_id), today)[dispatch.pk]
        months.append(
            _outlook(
                _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}, progress, taken_in(progress)
            )
        )
        month = selectors.shift_month(month, 1)
    # The term-year the leave starts in, seen from today (or from its nearer end when today lies outside it).
    period = selectors.term_year(dispatch, leave.starts_on)
    seen_from = min(max(today, period.first), period.last)
    progress = selectors.year_progress([dispatch], seen_from, county_id)[dispatch.pk]
    year = _outlook(
        _("驻村第%(n)s年(%(start)s 至 %(end)s)")
        % {"n": period.index + 1, "start": progress.first.isoformat(), "end": progress.last.isoformat()},
        progress,
        taken_in(progress),
    )
    return LeaveImpact(months=months, year=year)
