"""The org dept's dashboard: one selector per panel, each built on the selectors of the list behind it.

A panel counts nothing itself that a page already counts: coverage comes from `dispatch.selectors`, quotas
and sanctions too, attendance from `leave.selectors.county_compliance` and `month_progress`, visits from
`leave.selectors.visit_board`, appraisal from `appraisal.selectors.round_progress`. So a figure on the
dashboard and the list it links to cannot disagree.

Each panel runs a fixed number of queries whatever the county's size (the reused selectors skip a query
when there is nothing to count, so a county with no stationed cadre runs fewer):

* coverage 4, quotas 3, leave 1, visits 2;
* attendance: `county_compliance` (8) plus, for each earlier month of the trend, its dispatches and
  their day counts (2), plus the calendar of the trend's window (1);
* appraisal: the latest rounds (1) plus `round_progress` for each (3), at most LATEST_ROUNDS rounds.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal.models import Appraisal, AppraisalRound, Grade
from appraisal.selectors import RoundProgress, TownshipProgress, round_progress
from dispatch import selectors as dispatch_selectors
from dispatch.models import Quota, QuotaSanction
from leave.calendar import days_between, month_bounds
from leave.models import LEAVE_HOLDING_STATES, OPEN_LEAVE_STATES, UNDECIDED_LEAVE_STATES, LeaveRequest, LeaveState
from leave.selectors import attendance as leave_selectors
from leave.selectors import oversight
from workflows.models import County, Township, Unit, User, Village, VillageCategory, income_categories
from workflows.permissions import COORDINATE_COUNTY, VIEW_COUNTY, granted_tier_pks
from workflows.selectors import village_category_counts

#: Months in the attendance trend, ending with the month shown.
TREND_MONTHS = 6
#: How many uncovered villages and missing visits the dashboard names; the list behind it has them all.
LISTED = 10
#: How many of the county's latest appraisal rounds the dashboard shows.
LATEST_ROUNDS = 3

#: The village categories in the order the seed names them, and whether each must be fully covered (R-S6).
CATEGORIES = [
    (VillageCategory.WEAK_LEADERSHIP, True),
    (VillageCategory.ECONOMICALLY_WEAK, True),
    (VillageCategory.EMPTY_SHELL, True),
    (VillageCategory.ELECTION_DIFFICULT, True),
    (VillageCategory.OLD_REVOLUTIONARY, False),
    (VillageCategory.ETHNIC_MINORITY, False),
]


def month_label(month: datetime.date) -> str:
    """A month as the reader's language writes it: 2026年11月, November 2026."""
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def dashboard_counties(user: User | None) -> list[int]:
    """The counties whose dashboard this user may read: the org dept's and the auditor's (two queries)."""
    view = granted_tier_pks(user, {"county": VIEW_COUNTY})["county"]
    coordinate = granted_tier_pks(user, {"county": COORDINATE_COUNTY})["county"]
    return sorted(set(view) | set(coordinate))


@dataclass(frozen=True)
class Share:
    """A part of a whole, with the percentage to one decimal (None when there is no whole)."""

    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.part / self.whole, 1) if self.whole else None


# --- Coverage of target villages (R-S6) -----------------------------------------------------------


@dataclass(frozen=True)
class TownshipCoverage:
    """A township's target villages and wherever-possible villages, and how many have a cadre stationed."""

    name: str
    targets: int
    covered: int
    possible: int
    possible_covered: int

    @property
    def uncovered(self) -> int:
        return self.targets - self.covered

    @property
    def share(self) -> Share:
        return Share(self.covered, self.targets)

    @property
    def possible_share(self) -> Share:
        return Share(self.possible_covered, self.possible)


@dataclass(frozen=True)
class CategoryCoverage:
    category: VillageCategory
    villages: int
    covered: int
    must_cover: bool  # full coverage (全覆盖), else wherever possible (应派尽派)

    @property
    def label(self) -> str:
        return str(self.category.label)

    @property
    def share(self) -> Share:
        return Share(self.covered, self.villages)


@dataclass
class CoveragePanel:
    year: int
    townships: list[TownshipCoverage]
    total: TownshipCoverage
    categories: list[CategoryCoverage]
    villages: int
    uncovered: list[Village]  # the first LISTED, each with `tags`

    @property
    def more_uncovered(self) -> int:
        return max(self.total.uncovered - len(self.uncovered), 0)


def coverage_panel(county: County, year: int) -> CoveragePanel:
    """Target villages covered per township and per category, and the uncovered ones (R-S6), in four queries."""
    townships = [
        TownshipCoverage(
            row["township__name"], row["targets"], row["targets_covered"], row["possible"], row["possible_covered"]
        )
        for row in dispatch_selectors.coverage_by_township(county, year)
    ]
    total = TownshipCoverage(
        _("合计"),
        *(sum(getattr(t, key) for t in townships) for key in ("targets", "covered", "possible", "possible_covered")),
    )
    covered_pks = dispatch_selectors.coverage(county, year).filter(covered=True).values("pk")
    everywhere = village_category_counts(Village.objects.filter(township__county=county))
    covered = village_category_counts(Village.objects.filter(pk__in=covered_pks))
    categories = [
        CategoryCoverage(category, everywhere[category.value], covered[category.value], must_cover)
        for category, must_cover in CATEGORIES
    ]
    uncovered = list(dispatch_selectors.uncovered_target_villages(county, year)[:LISTED])
    for village in uncovered:
        village.tags = village.recorded_categories() + income_categories(village.latest_own_income)
    return CoveragePanel(
        year=year,
        townships=townships,
        total=total,
        categories=categories,
        villages=everywhere["total"],
        uncovered=uncovered,
    )


# --- Quotas and sanctions (R-S5) ------------------------------------------------------------------


class QuotaStatus:
    NONE = "none"
    MET = "met"
    OPEN = "open"
    MISSED = "missed"

    LABELS = {
        NONE: gettext_lazy("未下达任务"),
        MET: gettext_lazy("已完成"),
        OPEN: gettext_lazy("进行中"),
        MISSED: gettext_lazy("逾期未完成"),
    }


@dataclass(frozen=True)
class UnitQuota:
    """A unit's quota for the year with how many it sent and nominated, and a sanction running today."""

    unit: Unit
    quota: Quota | None  # annotated with `sent` and `pending` (dispatch.selectors.quota_progress)
    sanction: QuotaSanction | None
    today: datetime.date

    @property
    def cadres(self) -> int:
        return self.quota.cadres if self.quota else 0

    @property
    def sent(self) -> int:
        return self.quota.sent if self.quota else 0

    @property
    def pending(self) -> int:
        return self.quota.pending if self.quota else 0

    @property
    def share(self) -> Share:
        return Share(min(self.sent, self.cadres), self.cadres)

    @property
    def status(self) -> str:
        if self.quota is None:
            return QuotaStatus.NONE
        if self.sent >= self.cadres:
            return QuotaStatus.MET
        return QuotaStatus.MISSED if self.quota.deadline < self.today else QuotaStatus.OPEN

    @property
    def status_label(self) -> str:
        return str(QuotaStatus.LABELS[self.status])


@dataclass
class QuotaPanel:
    year: int
    today: datetime.date
    units: list[UnitQuota]

    def _count(self, status: str) -> int:
        return sum(1 for u in self.units if u.status == status)

    @property
    def with_quota(self) -> int:
        return sum(1 for u in self.units if u.quota is not None)

    @property
    def met(self) -> int:
        return self._count(QuotaStatus.MET)

    @property
    def missed(self) -> int:
        return self._count(QuotaStatus.MISSED)

    @property
    def sanctioned(self) -> int:
        return sum(1 for u in self.units if u.sanction is not None)

    @property
    def cadres(self) -> int:
        return sum(u.cadres for u in self.units)

    @property
    def sent(self) -> int:
        return sum(u.share.part for u in self.units)

    @property
    def share(self) -> Share:
        return Share(self.sent, self.cadres)


def quota_panel(county: County, year: int, *, today: datetime.date) -> QuotaPanel:
    """Each unit's quota, cadres sent and nominated, and any sanction in force today (R-S5), in three queries."""
    quotas = {q.unit_id: q for q in dispatch_selectors.quota_progress(county, year)}
    sanctions: dict[int, QuotaSanction] = {}
    for sanction in dispatch_selectors.sanctions_in_force(on=today).filter(unit__county=county):
        sanctions.setdefault(sanction.unit_id, sanction)  # the one running longest comes first
    units = [
        UnitQuota(unit, quotas.get(unit.pk), sanctions.get(unit.pk), today)
        for unit in Unit.objects.filter(county=county).order_by("code")
    ]
    return QuotaPanel(year=year, today=today, units=units)


# --- Attendance (R-M1, R-M3) ----------------------------------------------------------------------

#: Standings that count against compliance: the target can no longer be met, or was not.
SHORT = (leave_selectors.Standing.AT_RISK, leave_selectors.Standing.MISSED)


def compliance_share(progresses: Iterable[leave_selectors.Progress]) -> Share:
    """Cadres whose target is met or still within reach, out of all (达标率, R-M1)."""
    progresses = list(progresses)
    return Share(sum(1 for p in progresses if p.standing not in SHORT), len(progresses))


@dataclass(frozen=True)
class TownshipCompliance:
    """One township's month, from the compliance page's totals (R-M1, R-M3)."""

    totals: leave_selectors.TownshipTotals
    leave: int  # days recorded on leave this month

    @property
    def township(self) -> Township:
        return self.totals.township

    @property
    def share(self) -> Share:
        t = self.totals
        return Share(t.cadres - t.at_risk - t.missed, t.cadres)


@dataclass(frozen=True)
class MonthCompliance:
    month: datetime.date
    share: Share
    townships: dict[int, Share]

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass
class AttendancePanel:
    month: datetime.date
    report: leave_selectors.CountyCompliance
    townships: list[TownshipCompliance]
    trend: list[MonthCompliance]  # oldest first, ending with `month`

    @property
    def share(self) -> Share:
        return self.trend[-1].share

    @property
    def absences(self) -> int:
        return sum(len(c.absences) for c in self.report.cadres)

    @property
    def at_risk_month(self) -> list[leave_selectors.CadreCompliance]:
        return self.report.at_risk_month

    @property
    def at_risk_year(self) -> list[leave_selectors.CadreCompliance]:
        return self.report.at_risk_year

    @property
    def with_absences(self) -> list[leave_selectors.CadreCompliance]:
        return self.report.with_absences

    @property
    def at_risk(self) -> list[leave_selectors.CadreCompliance]:
        """Cadres short of the month's or the term-year's target, or at risk of it."""
        return [c for c in self.report.cadres if c.month.standing in SHORT or c.year.standing in SHORT]

    @property
    def listed_at_risk(self) -> list[leave_selectors.CadreCompliance]:
        return self.at_risk[:LISTED]

    @property
    def more_at_risk(self) -> int:
        return max(len(self.at_risk) - LISTED, 0)

    @property
    def listed_absences(self) -> list[leave_selectors.CadreCompliance]:
        return self.with_absences[:LISTED]

    @property
    def more_absences(self) -> int:
        return max(len(self.with_absences) - LISTED, 0)

    @property
    def by_township_and_month(self) -> list[tuple[Township, list[Share | None]]]:
        """Each township's compliance in each month of the trend (None: no cadre stationed that month)."""
        return [(t.township, [m.townships.get(t.township.pk) for m in self.trend]) for t in self.townships]


def _month_compliance(
    month: datetime.date, progress: dict[int, leave_selectors.Progress], township_of: dict[int, int]
) -> MonthCompliance:
    by_township: dict[int, list[leave_selectors.Progress]] = defaultdict(list)
    for dispatch_id, p in progress.items():
        by_township[township_of[dispatch_id]].append(p)
    return MonthCompliance(
        month, compliance_share(progress.values()), {pk: compliance_share(ps) for pk, ps in by_township.items()}
    )


def attendance_panel(county: County, month: datetime.date, *, today: datetime.date) -> AttendancePanel:
    """The month per township, the cadres at risk and absent, and compliance over the last months (R-M1, R-M3)."""
    month = month.replace(day=1)
    report = leave_selectors.county_compliance(county, month, today=today)
    leave_days: dict[int, int] = defaultdict(int)
    for cadre in report.cadres:
        leave_days[cadre.dispatch.village.township_id] += cadre.month.leave
    townships = [TownshipCompliance(t, leave_days[t.township.pk]) for t in report.townships]
    earlier = [leave_selectors.shift_month(month, -n) for n in range(TREND_MONTHS - 1, 0, -1)]
    trend = []
    if earlier:
        days = days_between(earlier[0], month_bounds(earlier[-1])[1], county.pk)
        for first in earlier:
            last = month_bounds(first)[1]
            dispatches = list(leave_selectors.dispatches_in_month(first).filter(village__township__county=county))
            progress = leave_selectors.month_progress(
                dispatches, first, [d for d in days if first <= d.date <= last], today
            )
            trend.append(_month_compliance(first, progress, {d.pk: d.village.township_id for d in dispatches}))
    trend.append(
        _month_compliance(
            month,
            {c.dispatch.pk: c.month for c in report.cadres},
            {c.dispatch.pk: c.dispatch.village.township_id for c in report.cadres},
        )
    )
    return AttendancePanel(month=month, report=report, townships=townships, trend=trend)


# --- Leave (R-M2) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TownshipLeave:
    township: Township | None  # None for the county's total
    requests: int  # requests holding a day of the month: pending or approved, not rejected or withdrawn
    days: int  # days recorded on leave in the month, as the compliance page counts them
    open: int  # not closed yet: undecided, approved, on leave, reported back
    undecided: int  # waiting for the township's or the org dept's decision
    awaiting_org: int  # reviewed by the township, waiting for the org dept

    @property
    def awaiting_township(self) -> int:
        return self.undecided - self.awaiting_org


@dataclass
class LeavePanel:
    month: datetime.date
    townships: list[TownshipLeave]

    @property
    def total(self) -> TownshipLeave:
        return TownshipLeave(
            None,
            *(
                sum(getattr(t, key) for t in self.townships)
                for key in ("requests", "days", "open", "undecided", "awaiting_org")
            ),
        )


def leave_panel(county: County, attendance: AttendancePanel) -> LeavePanel:
    """Leave requests and days on leave in the month, and the requests still open, per township (R-M2); one query."""
    first, last = month_bounds(attendance.month)
    rows = {
        row["dispatch__village__township_id"]: row
        for row in (
            LeaveRequest.objects.filter(dispatch__village__township__county=county)
            .values("dispatch__village__township_id")
            .annotate(
                requests=Count("pk", filter=Q(state__in=LEAVE_HOLDING_STATES, starts_on__lte=last, ends_on__gte=first)),
                open=Count("pk", filter=Q(state__in=OPEN_LEAVE_STATES)),
                undecided=Count("pk", filter=Q(state__in=UNDECIDED_LEAVE_STATES)),
                awaiting_org=Count("pk", filter=Q(state=LeaveState.REVIEWED)),
            )
            .order_by()
        )
    }
    townships = []
    for t in attendance.townships:
        row = rows.get(t.township.pk, {})
        townships.append(
            TownshipLeave(
                t.township,
                row.get("requests", 0),
                t.leave,
                row.get("open", 0),
                row.get("undecided", 0),
                row.get("awaiting_org", 0),
            )
        )
    return LeavePanel(month=attendance.month, townships=townships)


# --- Leaders' visits (R-M5) -----------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedVisit:
    row: oversight.VisitRow
    window: oversight.VisitWindow


@dataclass
class VisitsPanel:
    on: datetime.date
    stationed: int
    missing: list[FlaggedVisit]  # most overdue first
    due: list[FlaggedVisit]  # closing soonest first
    units: list[dict] = field(default_factory=list)  # {"unit", "missing", "due"}, most missing first

    def _missing_of(self, role: str) -> int:
        return sum(1 for f in self.missing if f.window.role == role)

    @property
    def missing_head(self) -> int:
        return self._missing_of(oversight.VisitorRole.HEAD)

    @property
    def missing_deputy(self) -> int:
        return self._missing_of(oversight.VisitorRole.DEPUTY)

    @property
    def listed_missing(self) -> list[FlaggedVisit]:
        return self.missing[:LISTED]

    @property
    def listed_units(self) -> list[dict]:
        return self.units[:LISTED]

    @property
    def more_units(self) -> int:
        return max(len(self.units) - LISTED, 0)


def visits_panel(county: County, *, today: datetime.date) -> VisitsPanel:
    """Visit windows due or missed for the county's stationed cadres, by unit (R-M5), in two queries."""
    board = oversight.visit_board(county=county, on=today)
    flagged = [FlaggedVisit(row, w) for row in board for w in row.flagged]
    missing = sorted(
        (f for f in flagged if f.window.status == oversight.WindowStatus.MISSING),
        key=lambda f: (f.window.days_left, f.row.dispatch.unit.code, f.row.dispatch.cadre.name),
    )
    due = sorted(
        (f for f in flagged if f.window.status == oversight.WindowStatus.DUE),
        key=lambda f: (f.window.days_left, f.row.dispatch.unit.code, f.row.dispatch.cadre.name),
    )
    units: dict[int, dict] = {}
    for f in flagged:
        unit = f.row.dispatch.unit
        entry = units.setdefault(unit.pk, {"unit": unit, "missing": 0, "due": 0})
        entry[f.window.status] += 1
    return VisitsPanel(
        on=today,
        stationed=len(board),
        missing=missing,
        due=due,
        units=sorted(units.values(), key=lambda e: (-e["missing"], -e["due"], e["unit"].code)),
    )


# --- Appraisal (R-A2) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeCount:
    grade: str
    n: int

    @property
    def label(self) -> str:
        return str(Grade(self.grade).label)


@dataclass(frozen=True)
class RoundSummary:
    """One round's progress and its finalised grades, from the round page's own selector (R-A1, R-A2)."""

    progress: RoundProgress

    @property
    def round(self) -> AppraisalRound:
        return self.progress.round

    @property
    def total(self) -> TownshipProgress:
        return self.progress.total

    @property
    def grades(self) -> list[GradeCount]:
        return [GradeCount(grade, n) for grade, n in self.progress.grades.items()]

    @property
    def finalised(self) -> int:
        return self.total.finalised

    @property
    def not_finalised(self) -> int:
        return self.total.cadres - self.total.finalised

    @property
    def share(self) -> Share:
        return Share(self.total.finalised, self.total.cadres)


@dataclass
class AppraisalPanel:
    rounds: list[RoundSummary]  # latest first


def appraisal_panel(county: County) -> AppraisalPanel:
    """The latest rounds' progress and grade distribution (R-A2): one query, then three per round."""
    rounds = AppraisalRound.objects.filter(county=county).select_related("county").order_by("-opened_at", "-pk")
    appraisals = Appraisal.objects.filter(round__county=county)
    return AppraisalPanel([RoundSummary(round_progress(r, appraisals)) for r in rounds[:LATEST_ROUNDS]])
