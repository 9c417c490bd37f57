"""The day ledger's one write path: every change of a day status goes through here and is audited (R-M2a)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dispatch.models import Dispatch
from leave.models import AttendanceDay, AttendanceMonth, DayStatus, MonthState
from workflows.audit import audit_record
from workflows.models import User
from workflows.text import join_list


def locked_months(dispatch: Dispatch, dates: list[datetime.date]) -> set[datetime.date]:
    """The confirmed (locked) months among those the dates fall in."""
    months = {d.replace(day=1) for d in dates}
    return set(
        AttendanceMonth.objects.filter(dispatch=dispatch, month__in=months, state=MonthState.CONFIRMED).values_list(
            "month", flat=True
        )
    )


def ledger_write(
    *,
    dispatch: Dispatch,
    statuses: dict[datetime.date, str],
    source: str,
    by: User | None,
    reason: str = "",
    overwrite: bool = True,
    allow_locked: bool = False,
    note: str = "",
) -> int:
    """Set day statuses for one cadre; call inside the caller's transaction. Returns the days changed.

    Days outside the stationing term are refused; days in a confirmed month are refused unless the caller
    is entitled to change them (`allow_locked`, the org dept with a reason, or an inspection finding).
    """
    if not statuses:
        return 0
    bad = [s for s in statuses.values() if s not in DayStatus.values]
    if bad:
        raise ValidationError(_("考勤状态无效。"))
    first, last = min(statuses), max(statuses)
    if (
        dispatch.stationed_on is None
        or first < dispatch.stationed_on
        or (dispatch.term_ends_on and last > (dispatch.ended_on or dispatch.term_ends_on))
    ):
        raise ValidationError(_("日期不在驻村期内。"))
    # Lock the months being written (in order, so writers cannot deadlock): a day cannot slip into a
    # month while the township confirms it, whichever service writes it.
    months = sorted({d.replace(day=1) for d in statuses})
    for month in months:
        AttendanceMonth.objects.get_or_create(dispatch=dispatch, month=month)
    month_rows = list(
        AttendanceMonth.objects.select_for_update().filter(dispatch=dispatch, month__in=months).order_by("month")
    )
    if not allow_locked:
        locked = {row.month for row in month_rows if row.state == MonthState.CONFIRMED}
        if locked:
            raise ValidationError(
                _("%(months)s 的考勤已经乡镇确认锁定,如需更改请联系县委组织部。")
                % {"months": join_list(f"{m:%Y-%m}" for m in sorted(locked))}
            )
    existing = {d.date: d for d in AttendanceDay.objects.filter(dispatch=dispatch, date__in=list(statuses))}
    changed, to_create, to_update, log = 0, [], [], []
    for day, status in sorted(statuses.items()):
        row = existing.get(day)
        if row is None:
            to_create.append(AttendanceDay(dispatch=dispatch, date=day, status=status, source=source, note=note))
        elif overwrite and row.status != status:
            log.append({"date": str(day), "from": row.status, "to": status})
            row.status, row.source, row.note = status, source, note or row.note
            to_update.append(row)
        else:
            continue
        changed += 1
    AttendanceDay.objects.bulk_create(to_create)
    AttendanceDay.objects.bulk_update(to_update, ["status", "source", "note"])
    if changed:
        audit_record(
            action="attendance.write",
            actor=by,
            obj=dispatch,
            reason=reason,
            data={
                "source": source,
                "created": len(to_create),
                "changed": log[:62],
                "from": str(first),
                "to": str(last),
            },
        )
    return changed
