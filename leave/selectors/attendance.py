"""Reads of stationed management: attendance grids and compliance, counted in SQL (R-M1, R-M2a, R-M3).

The definitions every page shares:

* **Days present**: days recorded 在村 or 因公报备 (`PRESENT_STATUSES`), any day of the week.
* **Monthly target** ("22 days a month, holidays aside", R-M1): the smaller of the setting
  MIN_DAYS_IN_VILLAGE_PER_MONTH and the month's working days inside the cadre's term, by the official
  calendar as the org dept corrected it. A month with 16 working days (February 2026) asks 16; the
  term's first and last partial months ask the working days inside the term.
* **Term-year**: the 12 months from the stationing day, then from each anniversary, ending with the term.
  Its target is MIN_DAYS_IN_VILLAGE_PER_YEAR, pro-rated by calendar days when the term-year is shorter.
  Rest days spent in the village count toward it: a year has about 248 working days, so the 250-day
  rule cannot be met on working days alone.
* **Days still possible**: the days still ahead (after today) not recorded yet, which can still become days
  present: for a month, its unrecorded working days after today; for a term-year, every unrecorded day
  after today. A past day nobody entered is not possible: it is **unreported** (未填报), and counts as not
  in the village in every figure (confirming the month does not fill it). Days already recorded ahead
  (approved leave) are not possible either.
* **Unreported** (`Progress.unrecorded`): the working days of the period up to today with no status. Today
  is among them until it is entered; it is no longer among the days still possible.
* **At risk**: the period has not ended, its target is not met, and days present + days still possible
  fall short of it. **Missed**: the period has ended short of it, unreported days or not.
* **Absence** (R-M3, 两头不见人): a day recorded 缺勤. The write path accepts 缺勤 only on a working day,
  so a working day with no presence, no leave and no reported business is exactly such a day.

A township's grid and the county's compliance page run a fixed number of queries whatever the number of
cadres and days: day counts are aggregated per cadre in SQL; Python only lays the results out.
"""

from __future__ import annotations

import bisect
import datetime
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from chinese_calendar.constants import Holiday
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, ExtractDay, ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from dispatch.models import ONCE_STATIONED, Dispatch, DispatchState
from leave.calendar import Day, days_between, month_bounds
from leave.models import PRESENT_STATUSES, AttendanceDay, AttendanceMonth, DayStatus, MonthState
from workflows.models import County, Township
from workflows.params import month_from_text
from workflows.policy import policy

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

#: One-character codes of the statuses for the compact grid, with their legend (R-M2a).
STATUS_CODES: dict[str, StrOrPromise] = {
    DayStatus.IN_VILLAGE: pgettext_lazy("考勤简称", "在"),
    DayStatus.OFFICIAL_BUSINESS: pgettext_lazy("考勤简称", "公"),
    DayStatus.LEAVE: pgettext_lazy("考勤简称", "假"),
    DayStatus.HOLIDAY: pgettext_lazy("考勤简称", "休"),
    DayStatus.ABSENT: pgettext_lazy("考勤简称", "缺"),
}

#: The official holidays' names as chinese-calendar gives them (in English), in the page's language.
HOLIDAY_NAMES = {
    Holiday.new_years_day.value: _("元旦"),
    Holiday.spring_festival.value: _("春节"),
    Holiday.tomb_sweeping_day.value: _("清明节"),
    Holiday.labour_day.value: _("劳动节"),
    Holiday.dragon_boat_festival.value: _("端午节"),
    Holiday.national_day.value: _("国庆节"),
    Holiday.mid_autumn_festival.value: _("中秋节"),
}


def day_name(day: Day) -> str:
    """The holiday's name, or the org dept's note on a corrected day, in the page's language."""
    if day.name in HOLIDAY_NAMES:
        return str(HOLIDAY_NAMES[day.name])
    for holiday in Holiday:
        if holiday.value == day.name:
            return holiday.chinese if (get_language() or "").startswith("zh") else holiday.value
    return day.name


def day_kind(day: Day) -> str:
    """'adjusted' for a working weekend day, 'holiday' for a weekday off, else 'workday' or 'rest'."""
    weekend = day.date.weekday() >= 5
    if day.is_workday:
        return "adjusted" if weekend else "workday"
    return "rest" if weekend and not day.name else "holiday"


# --- Terms, months, term-years ---------------------------------------------------------------------


def term_of(dispatch: Dispatch) -> tuple[datetime.date, datetime.date]:
    """The first and last day the cadre has attendance: from stationing to the end (or the early end)."""
    # A dispatch with attendance has been stationed: both days are set.
    return cast(datetime.date, dispatch.stationed_on), cast(datetime.date, dispatch.ended_on or dispatch.term_ends_on)


def county_id_of(dispatch: Dispatch) -> int:
    return dispatch.unit.county_id


def parse_month(text: str | None, default: datetime.date | None = None) -> datetime.date:
    """`YYYY-MM` to the month's first day; the current month when missing; BadInput (a 400) when malformed."""
    if not (text or "").strip():
        return (default or timezone.localdate()).replace(day=1)
    return month_from_text(text or "")


def shift_month(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def dispatches_in_month(month: datetime.date) -> QuerySet[Dispatch]:
    """Dispatches whose term overlaps the month, with cadre, unit and village, township by township."""
    first, last = month_bounds(month)
    return (
        Dispatch.objects.filter(state__in=ONCE_STATIONED, stationed_on__lte=last)
        .annotate(last_day=Coalesce("ended_on", "term_ends_on"))
        .filter(last_day__gte=first)
        .select_related("cadre", "unit", "village__township")
        .order_by("village__township__code", "village__code", "cadre__name")
    )


def _term_year_of(day: datetime.date, stationed_on: datetime.date) -> int:
    months = (day.year - stationed_on.year) * 12 + day.month - stationed_on.month - (day.day < stationed_on.day)
    return max(months, 0) // 12


def _term_year_start(stationed_on: datetime.date, index: int) -> datetime.date:
    """The first day of the term-year `index`: the anniversary, or the 1st of the next month after 29 Feb."""
    try:
        return stationed_on.replace(year=stationed_on.year + index)
    except ValueError:
        return datetime.date(stationed_on.year + index, 3, 1)


def _term_year_sql():
    """The term-year index of a day row, computed in SQL as `_term_year_of` does in Python."""
    stationed = "dispatch__stationed_on"
    months = (
        (ExtractYear("date") - ExtractYear(stationed)) * 12
        + ExtractMonth("date")
        - ExtractMonth(stationed)
        - Case(When(Q(date__day__lt=ExtractDay(stationed)), then=Value(1)), default=Value(0))
    )
    # PostgreSQL's EXTRACT yields numeric; a whole number of months cast to integer divides as integers.
    return Cast(months, IntegerField()) / 12


@dataclass(frozen=True)
class Period:
    """A month or term-year of one cadre's term, as far as the term covers it."""

    first: datetime.date
    last: datetime.date
    index: int = 0  # the term-year's number, from 0


def term_year(dispatch: Dispatch, today: datetime.date) -> Period:
    """The term-year that today falls in (the first before stationing, the last after the term)."""
    start, end = term_of(dispatch)
    index = _term_year_of(min(max(today, start), end), start)
    first = _term_year_start(start, index)
    planned_last = _term_year_start(start, index + 1) - datetime.timedelta(days=1)
    return Period(first, min(planned_last, end), index)


def year_target(dispatch: Dispatch, period: Period) -> int:
    """MIN_DAYS_IN_VILLAGE_PER_YEAR, pro-rated when the planned term-year is shorter than 12 months."""
    setting = policy("MIN_DAYS_IN_VILLAGE_PER_YEAR")
    full_last = _term_year_start(term_of(dispatch)[0], period.index + 1) - datetime.timedelta(days=1)
    planned_last = min(full_last, dispatch.term_ends_on or full_last)
    if planned_last >= full_last:
        return setting
    return math.ceil(setting * ((planned_last - period.first).days + 1) / ((full_last - period.first).days + 1))


def month_target(workdays_in_term: int) -> int:
    """The month's target: the setting, or fewer when the month has fewer working days in the term (R-M1)."""
    return min(policy("MIN_DAYS_IN_VILLAGE_PER_MONTH"), workdays_in_term)


# --- Progress toward the targets (R-M1) ------------------------------------------------------------


class Standing:
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    MISSED = "missed"

    LABELS = {
        MET: _("已达标"),
        ON_TRACK: _("可达标"),
        AT_RISK: _("有风险"),
        MISSED: _("未达标"),
    }


@dataclass
class Progress:
    """Days present against a target in one period, and what can still happen in it (R-M1)."""

    first: datetime.date
    last: datetime.date
    target: int
    present: int = 0
    possible: int = 0  # days after today not recorded yet, which can still become days present
    over: bool = False  # the period has ended
    leave: int = 0
    absent: int = 0
    unrecorded: int = 0  # working days up to today with no status: unreported, not in the village

    @property
    def standing(self) -> str:
        if self.present >= self.target:
            return Standing.MET
        if self.present + self.possible < self.target:
            return Standing.MISSED if self.over else Standing.AT_RISK
        return Standing.ON_TRACK

    @property
    def standing_label(self) -> str:
        return str(Standing.LABELS[self.standing])

    @property
    def at_risk(self) -> bool:
        return self.standing == Standing.AT_RISK

    @property
    def shortfall(self) -> int:
        return max(self.target - self.present, 0)


def _count_before(sorted_dates: list[datetime.date], first: datetime.date, last: datetime.date) -> int:
    """How many of the sorted dates fall from first to last inclusive."""
    if last < first:
        return 0
    return bisect.bisect_right(sorted_dates, last) - bisect.bisect_left(sorted_dates, first)


def month_progress(
    dispatches: list[Dispatch], month: datetime.date, days: list[Day], today: datetime.date
) -> dict[int, Progress]:
    """Each cadre's progress in the month, counted in one query (R-M1, R-M3)."""
    if not dispatches:
        return {}
    first, last = month_bounds(month)
    workdays = [d.date for d in days if d.is_workday]
    counts = {
        row["dispatch_id"]: row
        for row in (
            AttendanceDay.objects.filter(dispatch_id__in=[d.pk for d in dispatches], date__range=(first, last))
            .values("dispatch_id")
            .annotate(
                present=Count("pk", filter=Q(status__in=PRESENT_STATUSES)),
                leave=Count("pk", filter=Q(status=DayStatus.LEAVE)),
                absent=Count("pk", filter=Q(status=DayStatus.ABSENT)),
                on_workdays_ahead=Count("pk", filter=Q(date__in=workdays, date__gt=today)),
                on_past_workdays=Count("pk", filter=Q(date__in=workdays, date__lte=today)),
            )
            .order_by()
        )
    }
    result = {}
    for dispatch in dispatches:
        start, end = term_of(dispatch)
        p_first, p_last = max(first, start), min(last, end)
        in_term = _count_before(workdays, p_first, p_last)
        row: Mapping[str, Any] = counts.get(dispatch.pk, {})
        result[dispatch.pk] = Progress(
            first=p_first,
            last=p_last,
            target=month_target(in_term),
            present=row.get("present", 0),
            leave=row.get("leave", 0),
            absent=row.get("absent", 0),
            possible=(
                _count_before(workdays, max(p_first, today + datetime.timedelta(days=1)), p_last)
                - row.get("on_workdays_ahead", 0)
            ),
            unrecorded=_count_before(workdays, p_first, min(p_last, today)) - row.get("on_past_workdays", 0),
            over=today > p_last,
        )
    return result


def year_progress(dispatches: list[Dispatch], today: datetime.date, county_id: int) -> dict[int, Progress]:
    """Each cadre's progress in the term-year today falls in, counted in one query plus the calendar (R-M1)."""
    if not dispatches:
        return {}
    periods = {d.pk: term_year(d, today) for d in dispatches}
    first, last = min(p.first for p in periods.values()), max(p.last for p in periods.values())
    tomorrow = today + datetime.timedelta(days=1)
    past_workdays = [d.date for d in days_between(first, min(last, today), county_id) if d.is_workday]
    rows = (
        AttendanceDay.objects.filter(dispatch_id__in=list(periods), date__range=(first, last))
        .annotate(term_year=_term_year_sql())
        .values("dispatch_id", "term_year")
        .annotate(
            present=Count("pk", filter=Q(status__in=PRESENT_STATUSES)),
            leave=Count("pk", filter=Q(status=DayStatus.LEAVE)),
            absent=Count("pk", filter=Q(status=DayStatus.ABSENT)),
            on_past_workdays=Count("pk", filter=Q(date__in=past_workdays)),
            ahead=Count("pk", filter=Q(date__gt=today)),
        )
        .order_by()
    )
    counts = {(row["dispatch_id"], row["term_year"]): row for row in rows}
    result = {}
    for dispatch in dispatches:
        period = periods[dispatch.pk]
        row: Mapping[str, Any] = counts.get((dispatch.pk, period.index), {})
        unreported = _count_before(past_workdays, period.first, min(period.last, today)) - row.get(
            "on_past_workdays", 0
        )
        ahead = max((period.last - max(tomorrow, period.first)).days + 1, 0) - row.get("ahead", 0)
        result[dispatch.pk] = Progress(
            first=period.first,
            last=period.last,
            target=year_target(dispatch, period),
            present=row.get("present", 0),
            leave=row.get("leave", 0),
            absent=row.get("absent", 0),
            possible=ahead,
            unrecorded=unreported,
            over=today > period.last,
        )
    return result


def absences_in(dispatch_ids: list[int], first: datetime.date, last: datetime.date) -> dict[int, list[datetime.date]]:
    """The days each cadre was recorded absent from first to last (R-M3), in one query."""
    result: dict[int, list[datetime.date]] = defaultdict(list)
    if not dispatch_ids:
        return result
    for dispatch_id, day in (
        AttendanceDay.objects.filter(dispatch_id__in=dispatch_ids, date__range=(first, last), status=DayStatus.ABSENT)
        .values_list("dispatch_id", "date")
        .order_by("dispatch_id", "date")
    ):
        result[dispatch_id].append(day)
    return result


def month_states(dispatch_ids: list[int], month: datetime.date) -> dict[int, str]:
    """Each cadre's month state (填报中 when no row yet), in one query."""
    states = (
        dict(
            AttendanceMonth.objects.filter(dispatch_id__in=dispatch_ids, month=month).values_list(
                "dispatch_id", "state"
            )
        )
        if dispatch_ids
        else {}
    )
    return {pk: states.get(pk, MonthState.OPEN) for pk in dispatch_ids}


def unpublished_years(days: list[Day]) -> list[int]:
    """Years in the range whose official holiday schedule is not in chinese-calendar yet."""
    return sorted({d.date.year for d in days if not d.official})


# --- The township's month grid (R-M2a) -------------------------------------------------------------

#: The month's state in a word, for the grid's narrow column.
MONTH_STATE_SHORT: dict[str, StrOrPromise] = {
    MonthState.OPEN: pgettext_lazy("考勤月", "填报中"),
    MonthState.SUBMITTED: pgettext_lazy("考勤月", "已提交"),
    MonthState.CONFIRMED: pgettext_lazy("考勤月", "已确认"),
}


@dataclass
class Cell:
    day: Day
    status: str | None = None
    source: str = ""
    in_term: bool = True

    @property
    def code(self) -> str:
        return str(STATUS_CODES[self.status]) if self.status else ""

    @property
    def label(self) -> StrOrPromise:
        return DayStatus(self.status).label if self.status else ""


@dataclass
class GridRow:
    dispatch: Dispatch
    cells: list[Cell]
    month: Progress
    year: Progress
    state: str
    absences: list[datetime.date] = field(default_factory=list)
    unreported: list[datetime.date] = field(default_factory=list)  # working days up to today with no status

    @property
    def is_locked(self) -> bool:
        return self.state == MonthState.CONFIRMED

    @property
    def state_label(self) -> StrOrPromise:
        return MonthState(self.state).label

    @property
    def state_short(self) -> str:
        return str(MONTH_STATE_SHORT[self.state])


@dataclass
class MonthGrid:
    township: Township
    month: datetime.date
    days: list[Day]
    rows: list[GridRow]
    today: datetime.date

    @property
    def all_confirmed(self) -> bool:
        return bool(self.rows) and all(r.is_locked for r in self.rows)

    @property
    def month_ended(self) -> bool:
        return self.today >= month_bounds(self.month)[1]

    @property
    def unpublished_years(self) -> list[int]:
        return unpublished_years(self.days)

    @property
    def at_risk(self) -> list[GridRow]:
        return [r for r in self.rows if r.month.at_risk or r.year.at_risk]

    @property
    def with_absences(self) -> list[GridRow]:
        return [r for r in self.rows if r.absences]

    @property
    def unreported(self) -> list[GridRow]:
        """The rows not confirmed yet with working days nobody entered, for the confirmation page (R-M1)."""
        return [r for r in self.rows if r.unreported and not r.is_locked]


def unreported_workdays(cells: list[Cell], today: datetime.date) -> list[datetime.date]:
    """The working days of the term up to today that have no status (未填报)."""
    return [c.day.date for c in cells if c.in_term and c.status is None and c.day.is_workday and c.day.date <= today]


def township_month_grid(township: Township, month: datetime.date, *, today: datetime.date | None = None) -> MonthGrid:
    """All the township's stationed cadres × the month's days, with totals and targets (R-M1, R-M2a, R-M3).

    Queries: the dispatches, the day rows (values_list), the month states, the month counts, the
    term-year counts, and the calendar corrections twice (month, term-years), whatever the size.
    """
    today = today or timezone.localdate()
    first, last = month_bounds(month)
    dispatches = list(dispatches_in_month(first).filter(village__township=township))
    days = days_between(first, last, township.county_id)
    ids = [d.pk for d in dispatches]
    recorded: dict[int, dict[datetime.date, tuple[str, str]]] = defaultdict(dict)
    if ids:
        for dispatch_id, day, status, source in (
            AttendanceDay.objects.filter(dispatch_id__in=ids, date__range=(first, last))
            .values_list("dispatch_id", "date", "status", "source")
            .order_by()
        ):
            recorded[dispatch_id][day] = (status, source)
    states = month_states(ids, first)
    months = month_progress(dispatches, first, days, today)
    years = year_progress(dispatches, today, township.county_id)
    rows = []
    for dispatch in dispatches:
        start, end = term_of(dispatch)
        mine = recorded.get(dispatch.pk, {})
        cells = [
            Cell(day, *mine.get(day.date, (None, "")), in_term=start <= day.date <= end)  # type: ignore[misc]
            for day in days
        ]
        rows.append(
            GridRow(
                dispatch=dispatch,
                cells=cells,
                month=months[dispatch.pk],
                year=years[dispatch.pk],
                state=states[dispatch.pk],
                absences=sorted(d for d, (s, _src) in mine.items() if s == DayStatus.ABSENT),
                unreported=unreported_workdays(cells, today),
            )
        )
    return MonthGrid(township=township, month=first, days=days, rows=rows, today=today)


# --- The county's compliance page (R-M1, R-M3) ------------------------------------------------------


@dataclass
class CadreCompliance:
    dispatch: Dispatch
    month: Progress
    year: Progress
    state: str
    absences: list[datetime.date]


@dataclass
class TownshipTotals:
    township: Township
    cadres: int = 0
    present: int = 0
    target: int = 0
    met: int = 0
    at_risk: int = 0
    missed: int = 0
    absences: int = 0
    unrecorded: int = 0
    confirmed: int = 0


@dataclass
class CountyCompliance:
    county: County
    month: datetime.date
    today: datetime.date
    days: list[Day]
    townships: list[TownshipTotals]
    cadres: list[CadreCompliance]

    @property
    def at_risk_month(self) -> list[CadreCompliance]:
        return [c for c in self.cadres if c.month.standing in (Standing.AT_RISK, Standing.MISSED)]

    @property
    def at_risk_year(self) -> list[CadreCompliance]:
        return [c for c in self.cadres if c.year.standing in (Standing.AT_RISK, Standing.MISSED)]

    @property
    def with_absences(self) -> list[CadreCompliance]:
        return [c for c in self.cadres if c.absences]

    @property
    def unpublished_years(self) -> list[int]:
        return unpublished_years(self.days)


def county_compliance(county: County, month: datetime.date, *, today: datetime.date | None = None) -> CountyCompliance:
    """Per township: days present against targets, cadres at risk, absences; the lists behind them (R-M1, R-M3).

    Queries: the townships, the dispatches, the month states, the month counts, the term-year counts,
    the month's absences, and the calendar corrections twice, whatever the number of cadres.
    """
    today = today or timezone.localdate()
    first, last = month_bounds(month)
    townships = {t.pk: TownshipTotals(t) for t in Township.objects.filter(county=county).order_by("code")}
    dispatches = list(dispatches_in_month(first).filter(village__township__county=county))
    ids = [d.pk for d in dispatches]
    days = days_between(first, last, county.pk)
    states = month_states(ids, first)
    months = month_progress(dispatches, first, days, today)
    years = year_progress(dispatches, today, county.pk)
    absences = absences_in(ids, first, last)
    cadres = []
    for dispatch in dispatches:
        item = CadreCompliance(
            dispatch, months[dispatch.pk], years[dispatch.pk], states[dispatch.pk], absences.get(dispatch.pk, [])
        )
        cadres.append(item)
        totals = townships[dispatch.village.township_id]
        totals.cadres += 1
        totals.present += item.month.present
        totals.target += item.month.target
        totals.met += item.month.standing == Standing.MET
        totals.at_risk += item.month.standing == Standing.AT_RISK
        totals.missed += item.month.standing == Standing.MISSED
        totals.absences += len(item.absences)
        totals.unrecorded += item.month.unrecorded
        totals.confirmed += item.state == MonthState.CONFIRMED
    return CountyCompliance(
        county=county, month=first, today=today, days=days, townships=list(townships.values()), cadres=cadres
    )


# --- The cadre's own month and year (R-M1, R-M2a) ----------------------------------------------------


@dataclass
class CalendarDay:
    day: Day
    record: AttendanceDay | None
    in_term: bool
    is_future: bool

    @property
    def code(self) -> str:
        return str(STATUS_CODES[self.record.status]) if self.record else ""


@dataclass
class CadreMonth:
    dispatch: Dispatch
    month: datetime.date
    today: datetime.date
    days: list[CalendarDay]
    progress: Progress
    year: Progress
    state: str
    month_row: AttendanceMonth | None

    @property
    def weeks(self) -> list[list[CalendarDay | None]]:
        """The month as weeks from Monday to Sunday, blank before the 1st and after the last day."""
        lead = [None] * self.days[0].day.date.weekday()
        cells = lead + list(self.days)
        cells += [None] * (-len(cells) % 7)
        return [cells[i : i + 7] for i in range(0, len(cells), 7)]

    @property
    def is_locked(self) -> bool:
        return self.state == MonthState.CONFIRMED

    @property
    def state_label(self) -> StrOrPromise:
        return MonthState(self.state).label

    @property
    def absences(self) -> list[datetime.date]:
        return [d.day.date for d in self.days if d.record and d.record.status == DayStatus.ABSENT]

    @property
    def unrecorded_so_far(self) -> int:
        return sum(1 for d in self.days if d.in_term and not d.is_future and d.record is None)

    @property
    def unpublished_years(self) -> list[int]:
        return unpublished_years([d.day for d in self.days])


def cadre_month(dispatch: Dispatch, month: datetime.date, *, today: datetime.date | None = None) -> CadreMonth:
    """One cadre's month calendar with their month and term-year progress (R-M1, R-M2a)."""
    today = today or timezone.localdate()
    first, last = month_bounds(month)
    county_id = county_id_of(dispatch)
    days = days_between(first, last, county_id)
    records = {r.date: r for r in AttendanceDay.objects.filter(dispatch=dispatch, date__range=(first, last))}
    start, end = term_of(dispatch)
    month_row = AttendanceMonth.objects.filter(dispatch=dispatch, month=first).select_related("confirmed_by").first()
    return CadreMonth(
        dispatch=dispatch,
        month=first,
        today=today,
        days=[CalendarDay(d, records.get(d.date), start <= d.date <= end, d.date > today) for d in days],
        progress=month_progress([dispatch], first, days, today)[dispatch.pk],
        year=year_progress([dispatch], today, county_id)[dispatch.pk],
        state=month_row.state if month_row else MonthState.OPEN,
        month_row=month_row,
    )


def current_dispatch_of(user) -> Dispatch | None:
    """The cadre's dispatch with attendance: the one stationed now, else the latest that was."""
    return (
        (
            Dispatch.objects.filter(cadre__user=user, state__in=ONCE_STATIONED)
            .select_related("cadre", "unit", "village__township")
            .order_by(Case(When(state=DispatchState.STATIONED, then=Value(0)), default=Value(1)), "-stationed_on")
            .first()
        )
        if user and user.is_authenticated
        else None
    )
