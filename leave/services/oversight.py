"""Oversight writes: unit leaders' visits (R-M5), inspections and circulars (R-M6)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch.models import ONCE_STATIONED, Dispatch
from leave.calendar import days_between
from leave.ledger import ledger_write
from leave.models import (
    APPROVED_LEAVE_STATES,
    AttendanceDay,
    Circular,
    CircularKind,
    DaySource,
    DayStatus,
    Inspection,
    InspectionFinding,
    InspectionKind,
    LeaveRequest,
    Visit,
)
from leave.selectors.oversight import last_day_of, visitor_role_of, was_stationed_on
from workflows.audit import audit_record
from workflows.guards import require_perm
from workflows.models import County, Unit, User
from workflows.permissions import (
    COORDINATE_COUNTY,
    NOMINATE_CADRES,
)

ACTION_LABELS: dict = {
    "visit.record": gettext_lazy("登记单位领导到村调研"),
    "inspection.record": gettext_lazy("登记明查暗访"),
    "inspection.absent": gettext_lazy("明查暗访发现不在岗,记为缺勤"),
    "circular.issue": gettext_lazy("印发通报"),
}


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
    last = last_day_of(dispatch) or visited_on
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
    `inspection.ledger_skipped` says why, per dispatch.  # type: ignore[attr-defined]
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
        inspection.ledger_written, inspection.ledger_skipped = [], {}  # type: ignore[attr-defined]
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
                inspection.ledger_skipped[dispatch.pk] = _("当日为批准的请假,不记缺勤")  # type: ignore[attr-defined]
                continue
            if not workday:
                inspection.ledger_skipped[dispatch.pk] = _("当日为休息日,不记缺勤")  # type: ignore[attr-defined]
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
            inspection.ledger_written.append(dispatch.pk)  # type: ignore[attr-defined]
    return inspection


# --- Circulars (R-M6) -----------------------------------------------------------------------------


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
