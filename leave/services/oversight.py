"""Oversight of stationed cadres: unit leaders' visits and their windows (R-M5), inspections and circulars (R-M6)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch.models import ONCE_STATIONED, Dispatch, DispatchState
from leave.calendar import days_between
from leave.ledger import ledger_write
from leave.models import (
    AttendanceDay,
    Circular,
    CircularKind,
    DaySource,
    DayStatus,
    Inspection,
    InspectionFinding,
    InspectionKind,
    LeaveRequest,
    LeaveState,
    Visit,
    VisitorRole,
)
from workflows.audit import audit_record
from workflows.dates import add_months
from workflows.guards import require_perm
from workflows.models import County, Post, Role, Unit, User
from workflows.permissions import (
    COORDINATE_COUNTY,
    NOMINATE_CADRES,
    VIEW_COUNTY,
    VIEW_UNIT,
    granted_tier_pks,
    visible_to,
)
from workflows.policy import policy

ACTION_LABELS: dict = {
    "visit.record": gettext_lazy("登记单位领导到村调研"),
    "inspection.record": gettext_lazy("登记明查暗访"),
    "inspection.absent": gettext_lazy("明查暗访发现不在岗,记为缺勤"),
    "circular.issue": gettext_lazy("印发通报"),
}

#: The post that makes a unit leader's visit count as the head's or the deputy's (R-O2, R-M5).
VISITOR_ROLE_OF_POST = {Role.UNIT_HEAD: VisitorRole.HEAD, Role.UNIT_DEPUTY: VisitorRole.DEPUTY}

#: Leave states whose days are approved leave, not absence (R-M2, R-M3).
APPROVED_LEAVE_STATES = [LeaveState.APPROVED, LeaveState.ON_LEAVE, LeaveState.REPORTED_BACK, LeaveState.CLOSED]


def _last_day(dispatch: Dispatch) -> datetime.date | None:
    return dispatch.ended_on or dispatch.term_ends_on


def was_stationed_on(dispatch: Dispatch, day: datetime.date) -> bool:
    """Was the cadre in their stationing term on this day?"""
    return (
        dispatch.state in ONCE_STATIONED
        and dispatch.stationed_on is not None
        and dispatch.stationed_on <= day <= (_last_day(dispatch) or day)
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
    windows, k = [], 0
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


def visit_record(*, dispatch: Dispatch, visitor: User, visited_on: datetime.date, notes: str, by: User) -> Visit:
    """The unit records its head's or deputy's visit to a stationed cadre's village (R-M5)."""
    require_perm(by, NOMINATE_CADRES, dispatch.unit, action="visit.record")
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError(_("请填写听取汇报、调研指导的情况。"))
    if dispatch.stationed_on is None or dispatch.state not in ONCE_STATIONED:
        raise ValidationError(_("该干部尚未到村,不能登记调研。"))
    if visited_on > timezone.localdate():
        raise ValidationError(_("调研日期不能晚于今天。"))
    last = _last_day(dispatch) or visited_on
    if not dispatch.stationed_on <= visited_on <= last:
        raise ValidationError(
            _("调研日期不在该干部的驻村期内(%(start)s 至 %(end)s)。")
            % {"start": dispatch.stationed_on.isoformat(), "end": last.isoformat()}
        )
    role = visitor_role_of(visitor, dispatch.unit)
    if role is None:
        raise ValidationError(_("调研领导须是本单位现任主要领导或分管领导。"))
    with transaction.atomic():
        if Visit.objects.filter(dispatch=dispatch, visitor=visitor, visited_on=visited_on).exists():
            raise ValidationError(_("该领导当天的调研已经登记过了。"))
        visit = Visit.objects.create(
            dispatch=dispatch, visitor=visitor, visitor_role=role, visited_on=visited_on, notes=notes
        )
        audit_record(
            action="visit.record",
            actor=by,
            obj=visit,
            data={
                "cadre": dispatch.cadre.name,
                "village": dispatch.village.name,
                "visitor": str(visitor),
                "role": role,
                "visited_on": str(visited_on),
            },
        )
    return visit


# --- Inspections (R-M6, R-M3) ---------------------------------------------------------------------


def _on_approved_leave(dispatch_ids: list[int], day: datetime.date) -> set[int]:
    """Which of these cadres were on approved leave that day, by the ledger or by the leave itself (R-M2)."""
    in_ledger = set(
        AttendanceDay.objects.filter(dispatch_id__in=dispatch_ids, date=day, status=DayStatus.LEAVE).values_list(
            "dispatch_id", flat=True
        )
    )
    leaves = LeaveRequest.objects.filter(
        dispatch_id__in=dispatch_ids, state__in=APPROVED_LEAVE_STATES, starts_on__lte=day, ends_on__gte=day
    )
    # A cadre who reported back early was no longer on leave from the day of return.
    by_leave = {lr.dispatch_id for lr in leaves if lr.returned_on is None or day < lr.returned_on}
    return in_ledger | by_leave


def inspection_record(
    *,
    county: County,
    kind: str,
    inspected_on: datetime.date,
    notes: str,
    findings: list[tuple[Dispatch, bool, str]],
    by: User,
) -> Inspection:
    """The org dept records an inspection; a cadre found absent is absent that day in the ledger (R-M6, R-M3).

    The finding overrides the cadre's own entry, even in a confirmed month. A cadre on approved leave, or
    found away on a rest day, was not absent (R-M3): the finding is kept and the ledger is left as it is;
    `inspection.ledger_skipped` says why, per dispatch.
    """
    require_perm(by, COORDINATE_COUNTY, county, action="inspection.record")
    if kind not in InspectionKind.values:
        raise ValidationError(_("请选择检查方式。"))
    if inspected_on > timezone.localdate():
        raise ValidationError(_("检查日期不能晚于今天。"))
    if not findings:
        raise ValidationError(_("请至少登记一名干部的在岗情况。"))
    seen: set[int] = set()
    for dispatch, present, note in findings:
        name = dispatch.cadre.name
        if dispatch.pk in seen:
            raise ValidationError(_("%(name)s 重复登记。") % {"name": name})
        seen.add(dispatch.pk)
        if dispatch.village.township.county_id != county.pk or not was_stationed_on(dispatch, inspected_on):
            raise ValidationError(
                _("%(name)s 在 %(date)s 不在本县驻村,不能登记。") % {"name": name, "date": inspected_on.isoformat()}
            )
        if not present and not (note or "").strip():
            raise ValidationError(_("请写明 %(name)s 不在岗的情况。") % {"name": name})
    absent = [d for d, present, _note in findings if not present]
    workday = days_between(inspected_on, inspected_on, county.pk)[0].is_workday
    on_leave = _on_approved_leave([d.pk for d in absent], inspected_on) if absent else set()
    kind_label = InspectionKind(kind).label
    with transaction.atomic():
        inspection = Inspection.objects.create(
            county=county, kind=kind, inspected_on=inspected_on, notes=(notes or "").strip(), recorded_by=by
        )
        InspectionFinding.objects.bulk_create(
            [
                InspectionFinding(inspection=inspection, dispatch=d, present=present, note=(note or "").strip())
                for d, present, note in findings
            ]
        )
        audit_record(
            action="inspection.record",
            actor=by,
            obj=inspection,
            data={
                "kind": kind,
                "inspected_on": str(inspected_on),
                "present": [d.cadre.name for d, present, _n in findings if present],
                "absent": [d.cadre.name for d in absent],
            },
        )
        inspection.ledger_written, inspection.ledger_skipped = [], {}
        before = (
            dict(
                AttendanceDay.objects.filter(dispatch__in=absent, date=inspected_on).values_list(
                    "dispatch_id", "status"
                )
            )
            if absent
            else {}
        )
        notes_of = {d.pk: (note or "").strip() for d, _p, note in findings}
        for dispatch in absent:
            if dispatch.pk in on_leave:
                inspection.ledger_skipped[dispatch.pk] = _("当日为批准的请假,不记缺勤")
                continue
            if not workday:
                inspection.ledger_skipped[dispatch.pk] = _("当日为休息日,不记缺勤")
                continue
            reason = _("%(kind)s(%(date)s)发现不在岗:%(note)s") % {
                "kind": kind_label,
                "date": inspected_on.isoformat(),
                "note": notes_of[dispatch.pk],
            }
            ledger_write(
                dispatch=dispatch,
                statuses={inspected_on: DayStatus.ABSENT},
                source=DaySource.INSPECTION,
                by=by,
                reason=reason,
                allow_locked=True,
                note=notes_of[dispatch.pk][:200],
            )
            audit_record(
                action="inspection.absent",
                actor=by,
                obj=dispatch,
                from_state=before.get(dispatch.pk, ""),
                to_state=DayStatus.ABSENT,
                reason=reason,
                data={"inspection": inspection.pk, "date": str(inspected_on)},
            )
            inspection.ledger_written.append(dispatch.pk)
    return inspection


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
        finding.day = days.get(finding.dispatch_id)
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


def circular_issue(
    *,
    county: County,
    title: str,
    kind: str,
    body: str,
    issued_on: datetime.date,
    units: Iterable[Unit],
    by: User,
) -> Circular:
    """The org dept issues a circular naming one or more of the county's units (R-M6)."""
    require_perm(by, COORDINATE_COUNTY, county, action="circular.issue")
    title, body, units = (title or "").strip(), (body or "").strip(), list(units)
    if not title:
        raise ValidationError(_("请填写通报标题。"))
    if not body:
        raise ValidationError(_("请填写通报正文。"))
    if kind not in CircularKind.values:
        raise ValidationError(_("请选择通报类别。"))
    if issued_on > timezone.localdate():
        raise ValidationError(_("印发日期不能晚于今天。"))
    if not units:
        raise ValidationError(_("请至少选择一个被通报的单位。"))
    if any(u.county_id != county.pk for u in units):
        raise ValidationError(_("只能通报本县的单位。"))
    with transaction.atomic():
        circular = Circular.objects.create(
            county=county, title=title, kind=kind, body=body, issued_on=issued_on, issued_by=by
        )
        circular.units.set(units)
        audit_record(
            action="circular.issue",
            actor=by,
            obj=circular,
            data={"kind": kind, "issued_on": str(issued_on), "units": [u.name for u in units]},
        )
    return circular
