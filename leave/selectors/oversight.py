"""Oversight reads: unit leaders' visit windows and boards (R-M5), inspections and circulars (R-M6)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy

from dispatch.models import ONCE_STATIONED, Dispatch, DispatchState
from leave.models import (
    AttendanceDay,
    Circular,
    Inspection,
    InspectionFinding,
    Visit,
    VisitorRole,
)
from workflows.dates import add_months
from workflows.models import County, Post, Role, Unit, User
from workflows.permissions import (
    VIEW_COUNTY,
    VIEW_UNIT,
    granted_tier_pks,
    visible_to,
)
from workflows.policy import policy

#: The post that makes a unit leader's visit count as the head's or the deputy's (R-O2, R-M5).
VISITOR_ROLE_OF_POST = {Role.UNIT_HEAD: VisitorRole.HEAD, Role.UNIT_DEPUTY: VisitorRole.DEPUTY}


def last_day_of(dispatch: Dispatch) -> datetime.date | None:
    """The cadre's last stationed day: the day they left, else the end of their term."""
    return dispatch.ended_on or dispatch.term_ends_on


def was_stationed_on(dispatch: Dispatch, day: datetime.date) -> bool:
    """Was the cadre in their stationing term on this day?"""
    return (
        dispatch.state in ONCE_STATIONED
        and dispatch.stationed_on is not None
        and dispatch.stationed_on <= day <= (last_day_of(dispatch) or day)
    )


# --- Visit windows (R-M5) -------------------------------------------------------------------------


class WindowStatus:
    """Where a visit window stands on a given day."""

    VISITED = "visited"
    OPEN = "open"
    DUE = "due"
    MISSING = "missing"
    UPCOMING = "upcoming"

    LABELS = {
        VISITED: gettext_lazy("已调研"),
        OPEN: gettext_lazy("待调研"),
        DUE: gettext_lazy("待调研"),
        MISSING: gettext_lazy("已逾期"),
        UPCOMING: gettext_lazy("未开始"),
    }
    FLAGGED = (DUE, MISSING)


@dataclass
class VisitWindow:
    """A period in which the head or the deputy must visit a stationed cadre a number of times (R-M5)."""

    role: str
    starts_on: datetime.date
    ends_on: datetime.date
    required: int
    visits: list[Visit] = field(default_factory=list)
    status: str = WindowStatus.OPEN
    days_left: int = 0

    @property
    def status_label(self) -> str:
        return str(WindowStatus.LABELS[self.status])

    @property
    def role_label(self) -> str:
        return str(VisitorRole(self.role).label)

    @property
    def flagged(self) -> bool:
        return self.status in WindowStatus.FLAGGED

    @property
    def days_overdue(self) -> int:
        return -self.days_left if self.days_left < 0 else 0


def head_window(stationed_on: datetime.date, term_ends_on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The head's window: the whole term (R-M5)."""
    return stationed_on, term_ends_on


def deputy_windows(
    stationed_on: datetime.date, term_ends_on: datetime.date, months: int | None = None
) -> list[tuple[datetime.date, datetime.date]]:
    """The deputy's windows: consecutive periods of N months from stationing, the last clipped at term end (R-M5)."""
    months = max(1, months if months is not None else policy("DEPUTY_VISIT_INTERVAL_MONTHS"))
    windows: list[tuple[datetime.date, datetime.date]] = []
    k = 0
    while True:
        start = add_months(stationed_on, k * months)
        if start > term_ends_on:
            return windows
        end = min(add_months(stationed_on, (k + 1) * months) - datetime.timedelta(days=1), term_ends_on)
        windows.append((start, end))
        k += 1


def _judge(window: VisitWindow, on: datetime.date, warning_days: int) -> VisitWindow:
    window.days_left = (window.ends_on - on).days
    if len(window.visits) >= window.required:
        window.status = WindowStatus.VISITED
    elif window.ends_on < on:
        window.status = WindowStatus.MISSING
    elif window.starts_on > on:
        window.status = WindowStatus.UPCOMING
    elif window.days_left <= warning_days:
        window.status = WindowStatus.DUE
    else:
        window.status = WindowStatus.OPEN
    return window


def visit_windows(dispatch: Dispatch, visits: Iterable[Visit], *, on: datetime.date) -> list[VisitWindow]:
    """The head's and the deputy's windows of one dispatch as they stand on `on`; no query (R-M5).

    A visit counts in the window of its visitor's role that holds its date; visits after `on` are not yet known.
    """
    if dispatch.stationed_on is None or dispatch.term_ends_on is None:
        return []
    warning_days = policy("VISIT_WARNING_DAYS")
    known = sorted((v for v in visits if v.visited_on <= on), key=lambda v: v.visited_on)
    start, end = head_window(dispatch.stationed_on, dispatch.term_ends_on)
    windows = [VisitWindow(VisitorRole.HEAD, start, end, max(1, policy("UNIT_HEAD_MIN_VISITS_PER_TERM")))]
    windows += [
        VisitWindow(VisitorRole.DEPUTY, s, e, 1)
        for s, e in deputy_windows(dispatch.stationed_on, dispatch.term_ends_on)
    ]
    for window in windows:
        window.visits = [
            v for v in known if v.visitor_role == window.role and window.starts_on <= v.visited_on <= window.ends_on
        ]
        _judge(window, on, warning_days)
    return windows


@dataclass
class VisitRow:
    """One stationed cadre with the leaders' visit windows and every visit recorded (R-M5)."""

    dispatch: Dispatch
    visits: list[Visit]
    windows: list[VisitWindow]

    @property
    def head(self) -> list[VisitWindow]:
        return [w for w in self.windows if w.role == VisitorRole.HEAD]

    @property
    def deputy(self) -> list[VisitWindow]:
        return [w for w in self.windows if w.role == VisitorRole.DEPUTY]

    @property
    def flagged(self) -> list[VisitWindow]:
        return [w for w in self.windows if w.flagged]


def stationed_dispatches(*, unit: Unit | None = None, county: County | None = None) -> QuerySet[Dispatch]:
    """Cadres stationed now, of one unit or of the whole county, with cadre, unit and village."""
    qs = Dispatch.objects.filter(state=DispatchState.STATIONED).select_related("cadre", "unit", "village__township")
    if unit is not None:
        qs = qs.filter(unit=unit)
    if county is not None:
        qs = qs.filter(unit__county=county)
    return qs.order_by("unit__code", "village__township__code", "village__code", "cadre__name")


def visit_board(*, on: datetime.date, unit: Unit | None = None, county: County | None = None) -> list[VisitRow]:
    """Every stationed cadre of the unit or county with the visit windows on `on`, in two queries (R-M5)."""
    dispatches = list(stationed_dispatches(unit=unit, county=county))
    visits = (
        (
            Visit.objects.filter(dispatch__in=[d.pk for d in dispatches])
            .select_related("visitor")
            .order_by("visited_on", "pk")
        )
        if dispatches
        else []
    )
    by_dispatch: dict[int, list[Visit]] = defaultdict(list)
    for visit in visits:
        by_dispatch[visit.dispatch_id].append(visit)
    return [VisitRow(d, by_dispatch[d.pk], visit_windows(d, by_dispatch[d.pk], on=on)) for d in dispatches]


def visits_flagged(*, on: datetime.date, unit: Unit | None = None, county: County | None = None) -> list[VisitRow]:
    """Stationed cadres with a due or missing visit window on `on`, for the unit and the org dept (R-M5)."""
    return [row for row in visit_board(on=on, unit=unit, county=county) if row.flagged]


def unit_leaders(unit: Unit) -> QuerySet[User]:
    """Users holding the unit's active head or deputy-in-charge post (R-O2)."""
    posts = Post.objects.active().filter(unit=unit, role__in=list(VISITOR_ROLE_OF_POST))
    return User.objects.filter(pk__in=posts.values("user_id")).order_by("name", "username")


def visitor_role_of(visitor: User, unit: Unit) -> str | None:
    """The visit role the user's active post in the unit gives: the head's before the deputy's."""
    roles = set(
        Post.objects.active()
        .filter(unit=unit, user=visitor, role__in=list(VISITOR_ROLE_OF_POST))
        .values_list("role", flat=True)
    )
    for role in (Role.UNIT_HEAD, Role.UNIT_DEPUTY):
        if role in roles:
            return VISITOR_ROLE_OF_POST[role]
    return None


def inspections_for(user: User) -> QuerySet[Inspection]:
    """The inspections the user may read, with how many cadres were found present and absent (R-M6)."""
    return (
        visible_to(user, Inspection.objects.all())
        .select_related("recorded_by", "county")
        .annotate(
            n_present=Count("findings", filter=Q(findings__present=True)),
            n_absent=Count("findings", filter=Q(findings__present=False)),
        )
        .order_by("-inspected_on", "-pk")
    )


def inspection_findings(inspection: Inspection) -> list[InspectionFinding]:
    """An inspection's findings, each with the ledger's status for that day (`day_status`), in two queries."""
    findings = list(
        inspection.findings.select_related("dispatch__cadre", "dispatch__unit", "dispatch__village__township").order_by(
            "dispatch__village__township__code", "dispatch__village__code"
        )
    )
    days = (
        {
            d.dispatch_id: d
            for d in AttendanceDay.objects.filter(
                dispatch__in=[f.dispatch_id for f in findings], date=inspection.inspected_on
            )
        }
        if findings
        else {}
    )
    for finding in findings:
        finding.day = days.get(finding.dispatch_id)  # type: ignore[attr-defined]
    return findings


# --- Circulars (R-M6) -----------------------------------------------------------------------------


def circulars_for(user: User) -> QuerySet[Circular]:
    """Circulars the user may read: the county's readers all of them, a unit's leaders those naming their unit."""
    granted = granted_tier_pks(user, {"county": VIEW_COUNTY, "unit": VIEW_UNIT})
    names_unit = Circular.units.through.objects.filter(circular_id=OuterRef("pk"), unit_id__in=granted["unit"])
    return (
        Circular.objects.filter(Q(county_id__in=granted["county"]) | Q(Exists(names_unit)))
        .select_related("issued_by")
        .prefetch_related(Prefetch("units", queryset=Unit.objects.order_by("code")))
        .order_by("-issued_on", "-pk")
    )
