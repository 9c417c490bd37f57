"""Reads for the leave pages: own requests, a township's list, what a leave does to the targets (R-M1, R-M2)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import Dispatch, DispatchState
from dispatch.services import add_months
from leave.calendar import days_between, month_bounds
from leave.ledger import locked_months
from leave.models import LEAVE_HOLDING_STATES, PRESENT_STATUSES, AttendanceDay, LeaveRequest, LeaveState
from workflows.models import Township, User
from workflows.permissions import visible_to
from workflows.policy import policy

#: Leave states in which something is still to be done.
OPEN_LEAVE_STATES = [LeaveState.REQUESTED, LeaveState.REVIEWED, LeaveState.APPROVED, LeaveState.ON_LEAVE,
                     LeaveState.REPORTED_BACK]

#: Leave states before a decision: the cadre may still withdraw.
UNDECIDED_LEAVE_STATES = [LeaveState.REQUESTED, LeaveState.REVIEWED]


def _leaves() -> QuerySet[LeaveRequest]:
    return LeaveRequest.objects.select_related("dispatch__cadre__user", "dispatch__unit",
                                               "dispatch__village__township", "reviewed_by", "decided_by")


def stationed_dispatch_of(user: User) -> Dispatch | None:
    """The cadre's dispatch in which they are stationed now, if any."""
    if not (user and user.is_authenticated):
        return None
    return (Dispatch.objects.select_related("cadre", "unit__county", "village__township")
            .filter(cadre__user=user, state=DispatchState.STATIONED).first())


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
    candidates = LeaveRequest.objects.filter(dispatch=dispatch, state__in=LEAVE_HOLDING_STATES,
                                             starts_on__lte=ends_on, ends_on__gte=starts_on)
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


# --- What a leave does to the targets (R-M1) ------------------------------------------------------


@dataclass(frozen=True)
class Outlook:
    """Days in the village in one period: so far, at most possible without and with this leave, the target."""

    label: str
    starts_on: datetime.date
    ends_on: datetime.date
    target: int
    present: int
    possible_before: int
    possible_after: int

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


def _term_end(dispatch: Dispatch) -> datetime.date:
    return dispatch.ended_on or dispatch.term_ends_on


def _term_year(dispatch: Dispatch, day: datetime.date) -> tuple[datetime.date, datetime.date, int]:
    """The term-year (12 months from stationing, R-S7) containing `day`: its bounds and its number."""
    number = 0
    start = dispatch.stationed_on
    while add_months(dispatch.stationed_on, 12 * (number + 1)) <= day:
        number += 1
        start = add_months(dispatch.stationed_on, 12 * number)
    end = add_months(dispatch.stationed_on, 12 * (number + 1)) - datetime.timedelta(days=1)
    return start, min(end, _term_end(dispatch)), number + 1


def leave_impact(leave: LeaveRequest, *, today: datetime.date | None = None) -> LeaveImpact:
    """The cadre's days in the village in each month the leave touches and in its term-year, with and without it.

    Days present are the ledger's present statuses (R-M2a). A day still counts as possible when it is present,
    or not yet recorded in a month the township has not confirmed: this is the most the cadre can still reach.
    The month target is capped at the month's working days within the term ("holidays aside", R-M1); the year
    target is prorated when the term-year is shorter than a year.
    """
    dispatch = leave.dispatch
    today = today or timezone.localdate()
    year_start, year_end, number = _term_year(dispatch, leave.starts_on)
    first_month, last_month = leave.starts_on.replace(day=1), leave.ends_on.replace(day=1)
    span_start = min(year_start, first_month)
    span_end = max(year_end, month_bounds(last_month)[1])
    recorded = dict(AttendanceDay.objects.filter(dispatch=dispatch, date__range=(span_start, span_end))
                    .values_list("date", "status"))
    calendar = days_between(span_start, span_end, dispatch.unit.county_id)
    locked = locked_months(dispatch, [d.date for d in calendar])
    workdays = {d.date for d in calendar if d.is_workday}
    term = (dispatch.stationed_on, _term_end(dispatch))
    away = {leave.starts_on + datetime.timedelta(days=i) for i in range((leave.ends_on - leave.starts_on).days + 1)}

    def outlook(label: str, start: datetime.date, end: datetime.date, target: int) -> Outlook:
        start, end = max(start, term[0]), min(end, term[1])
        present = possible_before = possible_after = 0
        day = start
        while day <= end:
            status = recorded.get(day)
            is_present = status in PRESENT_STATUSES
            open_day = status is None and day.replace(day=1) not in locked
            if is_present and day <= today:
                present += 1
            if is_present or open_day:
                possible_before += 1
                if day not in away:
                    possible_after += 1
            day += datetime.timedelta(days=1)
        return Outlook(label, start, end, target, present, possible_before, possible_after)

    months = []
    month = first_month
    while month <= last_month:
        first, last = month_bounds(month)
        in_term = [d for d in workdays if max(first, term[0]) <= d <= min(last, term[1])]
        target = min(policy("MIN_DAYS_IN_VILLAGE_PER_MONTH"), len(in_term))
        months.append(outlook(_("%(year)s年%(month)s月") % {"year": month.year, "month": month.month},
                              first, last, target))
        month = last + datetime.timedelta(days=1)
    full_year = policy("MIN_DAYS_IN_VILLAGE_PER_YEAR")
    year_length = (add_months(year_start, 12) - year_start).days
    target = round(full_year * ((year_end - year_start).days + 1) / year_length)
    year = outlook(_("驻村第%(n)s年(%(start)s 至 %(end)s)") % {
        "n": number, "start": year_start.isoformat(), "end": year_end.isoformat()}, year_start, year_end,
        min(target, full_year))
    return LeaveImpact(months=months, year=year)
