"""Attendance services: the cadre's month calendar, the township's confirmation, the org dept's corrections (R-M2a).

Every day status is written through `leave.ledger.ledger_write`. Rules that shape the services:

* One click fills a month (`month_fill_defaults`): working days become 在村, rest days 休息, up to today and
  within the term; days already recorded (approved leave above all) are never overwritten.
* 请假 is written only by approved leave, never by hand: nothing asks anyone to enter the same fact twice.
* 休息 is accepted only on a rest day of the corrected official calendar and 缺勤 only on a working day:
  a working day away from the village is leave or absence (R-M3), never a rest day chosen by the cadre,
  and a rest day spent elsewhere is not an absence.
* Days are recorded as they happen: a day after today cannot be set by hand (approved leave may be).
* A confirmed month is locked; only the org dept changes it (`day_correct`), with a reason, audited.
* Confirming a month records nothing: a working day nobody entered stays unreported (未填报) and counts as
  not in the village. The township may first state the unreported days itself (`month_fill_unreported`:
  in the village or absent), one action audited as its statement with the days it names.
* A cadre submits a month once it is over and every day of it is recorded; a refusal names the days.
* Evidence (location, photo description) is optional everywhere: no service asks for it (R-M2a).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch.models import Dispatch
from leave.calendar import Day, days_between, month_bounds
from leave.ledger import ledger_write
from leave.models import (
    AttendanceDay,
    AttendanceMonth,
    CalendarCorrection,
    DaySource,
    DayStatus,
    MonthState,
)
from leave.selectors import attendance as selectors
from workflows.audit import audit_record, audit_refusal
from workflows.guards import require_perm, require_state
from workflows.models import County, Township, User
from workflows.permissions import COORDINATE_COUNTY, MANAGE_STATIONED
from workflows.text import join_list

ACTION_LABELS: dict = {
    "attendance.month_fill": gettext_lazy("按默认填报考勤"),
    "attendance.day_set": gettext_lazy("登记考勤"),
    "attendance.month_submit": gettext_lazy("提交月度考勤"),
    "attendance.month_confirm": gettext_lazy("乡镇确认月度考勤"),
    "attendance.month_fill_unreported": gettext_lazy("乡镇登记未填报的考勤"),
    "attendance.day_correct": gettext_lazy("组织部更正考勤"),
    "attendance.calendar_correct": gettext_lazy("更正节假日安排"),
}

MAX_NOTE = 200


def settable_statuses(is_workday: bool) -> list[DayStatus]:
    """The statuses a person may record by hand on a working day or a rest day (R-M2a, R-M3)."""
    if is_workday:
        return [DayStatus.IN_VILLAGE, DayStatus.OFFICIAL_BUSINESS, DayStatus.ABSENT]
    return [DayStatus.IN_VILLAGE, DayStatus.OFFICIAL_BUSINESS, DayStatus.HOLIDAY]


def default_status(day: Day) -> DayStatus:
    return DayStatus.IN_VILLAGE if day.is_workday else DayStatus.HOLIDAY


# --- Checks shared by the services ------------------------------------------------------------------


def _is_owner(user: User | None, dispatch: Dispatch) -> bool:
    return user is not None and bool(user.is_authenticated and user.is_active) and dispatch.cadre.user_id == user.pk


def _require_owner_or_township(by: User | None, dispatch: Dispatch, *, action: str) -> str:
    """Let the cadre or their township act; refuse (403, audited) anyone else. Return the day source."""
    if _is_owner(by, dispatch):
        return DaySource.CADRE
    require_perm(by, MANAGE_STATIONED, dispatch, action=action)
    return DaySource.TOWNSHIP


def _require_owner(by: User | None, dispatch: Dispatch, *, action: str) -> None:
    if _is_owner(by, dispatch):
        return
    audit_refusal(
        action=f"{action}.refused", actor=by, obj=dispatch, reason=_("越权操作被拒绝"), data={"perm": "owner"}
    )
    raise PermissionDenied(_("只有干部本人可以提交自己的考勤。"))


def _require_term(dispatch: Dispatch, first: datetime.date, last: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Refuse dates outside the stationing term; return the term's first and last day."""
    if dispatch.stationed_on is None or dispatch.state not in selectors.ONCE_STATIONED:
        raise ValidationError(_("该干部尚未到村,没有考勤。"))
    start, end = selectors.term_of(dispatch)
    if first > end or last < start:
        raise ValidationError(_("日期不在驻村期(%(start)s 至 %(end)s)内。") % {"start": start, "end": end})
    return start, end


def _month_row(dispatch: Dispatch, month: datetime.date, *, lock: bool) -> AttendanceMonth:
    """The cadre's month row, created when missing; locked for the rest of the transaction when asked.

    Every writer of a month's days takes this lock first, so a day cannot slip into a month while the
    township confirms it.
    """
    row, _created = AttendanceMonth.objects.get_or_create(dispatch=dispatch, month=month)
    if lock:
        row = AttendanceMonth.objects.select_for_update().get(pk=row.pk)
    return row


def _locked_message(month: datetime.date) -> str:
    return _("%(month)s 的考勤已经乡镇确认锁定,如需更改请联系县委组织部。") % {"month": f"{month:%Y-%m}"}


def _refuse_locked(row: AttendanceMonth) -> None:
    if row.is_locked:
        raise ValidationError(_locked_message(row.month))


def _refuse_confirmed(dispatch: Dispatch, month: datetime.date) -> None:
    """The state check before the permission check; repeated under the month's lock when writing."""
    if AttendanceMonth.objects.filter(dispatch=dispatch, month=month, state=MonthState.CONFIRMED).exists():
        raise ValidationError(_locked_message(month))


def _one_day(dispatch: Dispatch, day: datetime.date) -> Day:
    return days_between(day, day, selectors.county_id_of(dispatch))[0]


def _check_status_for_day(status: str, day: Day) -> None:
    if status not in DayStatus.values:
        raise ValidationError(_("考勤状态无效。"))
    if status == DayStatus.LEAVE:
        raise ValidationError(_("“请假”由批准的请假自动登记,不能手工填写;请通过请假办理。"))
    if status == DayStatus.HOLIDAY and day.is_workday:
        raise ValidationError(_("%(date)s 是工作日,不能登记为休息;不在村请办理请假。") % {"date": day.date})
    if status == DayStatus.ABSENT and not day.is_workday:
        raise ValidationError(_("%(date)s 是休息日,不记缺勤。") % {"date": day.date})


def _check_text(text: str, label: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(_("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": MAX_NOTE})
    return text


def _defaults_for(dispatch: Dispatch, start: datetime.date, end: datetime.date) -> dict[datetime.date, str]:
    """The default status of every day from start to end that has no record yet."""
    if end < start:
        return {}
    recorded = set(
        AttendanceDay.objects.filter(dispatch=dispatch, date__range=(start, end)).values_list("date", flat=True)
    )
    return {
        d.date: default_status(d)
        for d in days_between(start, end, selectors.county_id_of(dispatch))
        if d.date not in recorded
    }


# --- The cadre's month --------------------------------------------------------------------------------


def month_fill_defaults(*, dispatch: Dispatch, month: datetime.date, by: User) -> int:
    """Record every unrecorded day of the month up to today: working days 在村, rest days 休息 (R-M2a).

    Days already recorded, approved leave among them, are left as they are. Returns the days filled.
    """
    first, last = month_bounds(month)
    today = timezone.localdate()
    start, end = _require_term(dispatch, first, last)
    if first > today:
        raise ValidationError(_("该月尚未开始,考勤按日填报。"))
    _refuse_confirmed(dispatch, first)
    source = _require_owner_or_township(by, dispatch, action="attendance.month_fill")
    with transaction.atomic():
        row = _month_row(dispatch, first, lock=True)
        _refuse_locked(row)
        statuses = _defaults_for(dispatch, max(first, start), min(last, end, today))
        filled = ledger_write(dispatch=dispatch, statuses=statuses, source=source, by=by, overwrite=False)
        if filled:
            audit_record(
                action="attendance.month_fill",
                actor=by,
                obj=row,
                data={
                    "month": f"{first:%Y-%m}",
                    "filled": filled,
                    "in_village": sum(1 for s in statuses.values() if s == DayStatus.IN_VILLAGE),
                    "holiday": sum(1 for s in statuses.values() if s == DayStatus.HOLIDAY),
                },
            )
    return filled


def day_set(
    *, dispatch: Dispatch, day: datetime.date, status: str, by: User, note: str = "", evidence: str = ""
) -> AttendanceDay:
    """The cadre or the township records one day; evidence is optional, never required (R-M2a).

    Not accepted: 请假 (approved leave writes it), 休息 on a working day, 缺勤 on a rest day, a day after
    today, a day of approved leave or of an inspection finding, and, for the cadre, an absence the
    township recorded. Those go through leave, report-back or the org dept.
    """
    note = _check_text(note, _("说明"))
    evidence = _check_text(evidence, _("佐证"))
    _require_term(dispatch, day, day)
    if day > timezone.localdate():
        raise ValidationError(_("考勤按日如实登记,不能登记今天以后的日子;外出请办理请假。"))
    _check_status_for_day(status, _one_day(dispatch, day))
    month = day.replace(day=1)
    _refuse_confirmed(dispatch, month)
    source = _require_owner_or_township(by, dispatch, action="attendance.day_set")
    with transaction.atomic():
        row = _month_row(dispatch, month, lock=True)
        _refuse_locked(row)
        existing = AttendanceDay.objects.filter(dispatch=dispatch, date=day).first()
        if existing is not None:
            if existing.source == DaySource.LEAVE and existing.status == DayStatus.LEAVE:
                raise ValidationError(_("%(date)s 是已批准的请假;提前返岗请办理销假。") % {"date": day})
            if existing.source == DaySource.INSPECTION:
                raise ValidationError(_("%(date)s 的考勤来自明查暗访,如有异议请联系县委组织部更正。") % {"date": day})
            if (
                source == DaySource.CADRE
                and existing.source == DaySource.TOWNSHIP
                and existing.status == DayStatus.ABSENT
            ):
                raise ValidationError(_("%(date)s 的缺勤由乡镇登记,如有异议请与乡镇党委联系。") % {"date": day})
        changed = ledger_write(dispatch=dispatch, statuses={day: status}, source=source, by=by, note=note)
        record = AttendanceDay.objects.get(dispatch=dispatch, date=day)
        if (record.note, record.evidence) != (note, evidence):
            before = {"note": record.note, "evidence": record.evidence}
            record.note, record.evidence = note, evidence
            record.save(update_fields=["note", "evidence"])
            if not changed:
                audit_record(
                    action="attendance.day_set",
                    actor=by,
                    obj=record,
                    data={"date": str(day), "from": before, "to": {"note": note, "evidence": evidence}},
                )
    return record


def _day_list(days) -> str:
    return join_list(f"{day:%m-%d}" for day in sorted(days))


def month_submit(*, dispatch: Dispatch, month: datetime.date, by: User) -> AttendanceMonth:
    """The cadre submits a month that is over, every day of it recorded, to the township (R-M2a).

    A month not over yet, or with days not recorded, is refused with the days named; nothing changes.
    """
    first, last = month_bounds(month)
    today = timezone.localdate()
    start, end = _require_term(dispatch, first, last)
    month_last = min(last, end)
    if today < month_last:
        raise ValidationError(
            _("%(month)s 尚未结束,从 %(date)s 起可以提交。")
            % {"month": f"{first:%Y-%m}", "date": month_last.isoformat()}
        )
    current = AttendanceMonth.objects.filter(dispatch=dispatch, month=first).first() or AttendanceMonth(
        dispatch=dispatch, month=first
    )
    require_state(current, current.submit)
    missing = sorted(_defaults_for(dispatch, max(first, start), month_last))
    if missing:
        raise ValidationError(
            _("还有 %(n)s 天没有填报:%(days)s。请先逐日填报,或点“按默认填报本月”。")
            % {"n": len(missing), "days": _day_list(missing)}
        )
    _require_owner(by, dispatch, action="attendance.month_submit")
    with transaction.atomic():
        row = _month_row(dispatch, first, lock=True)
        require_state(row, row.submit)
        before = row.state
        row.submit(on=timezone.now())
        row.save()
        audit_record(
            action="attendance.month_submit",
            actor=by,
            obj=row,
            from_state=before,
            to_state=row.state,
            data={"month": f"{first:%Y-%m}"},
        )
    return row


# --- The township ---------------------------------------------------------------------------------------

#: What the township may state for the working days nobody entered; rest days among them become 休息.
UNREPORTED_FILLS = [DayStatus.IN_VILLAGE, DayStatus.ABSENT]


def _unreported(
    dispatch: Dispatch, first: datetime.date, last: datetime.date, today: datetime.date
) -> dict[datetime.date, str]:
    """The days of the month in the term up to today with no status, each with its day's default status."""
    start, end = selectors.term_of(dispatch)
    return _defaults_for(dispatch, max(first, start), min(last, end, today))


def month_fill_unreported(
    *, township: Township, month: datetime.date, status: str, by: User, dispatches: list[Dispatch] | None = None
) -> dict[int, list[datetime.date]]:
    """The township states the unreported working days of its cadres' month as 在村 or 缺勤 (R-M1, R-M2a).

    One action for the chosen cadres (all unconfirmed ones when none are named): their working days up to
    today with no status take `status`, their unrecorded rest days 休息; days already recorded are left as
    they are. Each cadre's month gets an audit record naming the days, as the township's statement. Returns
    the working days filled per dispatch.
    """
    if status not in UNREPORTED_FILLS:
        raise ValidationError(_("未填报的工作日只能统一登记为“在村”或“缺勤”。"))
    first, last = month_bounds(month)
    today = timezone.localdate()
    if first > today:
        raise ValidationError(_("该月尚未开始,没有未填报的日子。"))
    in_month = list(selectors.dispatches_in_month(first).filter(village__township=township))
    if dispatches is not None:
        wanted = {d.pk for d in dispatches}
        if not wanted:
            raise ValidationError(_("请选择要登记的干部。"))
        if wanted - {d.pk for d in in_month}:
            raise ValidationError(_("所选干部该月不在本乡镇驻村。"))
        in_month = [d for d in in_month if d.pk in wanted]
    states = selectors.month_states([d.pk for d in in_month], first)
    locked = [d for d in in_month if states[d.pk] == MonthState.CONFIRMED]
    if locked and dispatches is not None:
        raise ValidationError(
            _("%(names)s 的 %(month)s 考勤已经确认锁定,如需更改请联系县委组织部。")
            % {"names": join_list(d.cadre.name for d in locked), "month": f"{first:%Y-%m}"}
        )
    in_month = [d for d in in_month if d not in locked]
    if not any(s == DayStatus.IN_VILLAGE for d in in_month for s in _unreported(d, first, last, today).values()):
        raise ValidationError(_("所选干部 %(month)s 没有未填报的工作日。") % {"month": f"{first:%Y-%m}"})
    require_perm(by, MANAGE_STATIONED, township, action="attendance.month_fill_unreported")
    label = DayStatus(status).label
    note = _("乡镇党委登记(本人未填报)")
    filled: dict[int, list[datetime.date]] = {}
    with transaction.atomic():
        for dispatch in in_month:
            row = _month_row(dispatch, first, lock=True)
            if row.is_locked:
                continue
            unreported = _unreported(dispatch, first, last, today)
            workdays = sorted(d for d, default in unreported.items() if default == DayStatus.IN_VILLAGE)
            if not workdays:
                continue
            rest_days = sorted(d for d, default in unreported.items() if default == DayStatus.HOLIDAY)
            statuses = {**dict.fromkeys(workdays, status), **dict.fromkeys(rest_days, DayStatus.HOLIDAY)}
            ledger_write(
                dispatch=dispatch, statuses=statuses, source=DaySource.TOWNSHIP, by=by, overwrite=False, note=note
            )
            audit_record(
                action="attendance.month_fill_unreported",
                actor=by,
                obj=row,
                reason=_("乡镇党委登记本人未填报的 %(n)s 个工作日为“%(status)s”:%(days)s")
                % {"n": len(workdays), "status": label, "days": _day_list(workdays)},
                data={
                    "month": f"{first:%Y-%m}",
                    "status": status,
                    "workdays": [d.isoformat() for d in workdays],
                    "rest_days": [d.isoformat() for d in rest_days],
                },
            )
            filled[dispatch.pk] = workdays
    return filled


def month_confirm(*, township: Township, month: datetime.date, by: User) -> list[AttendanceMonth]:
    """The township confirms the month for all its cadres at once, which locks it (R-M1, R-M2a).

    Nothing is filled: a working day nobody entered stays unreported and counts as not in the village. The
    audit record of each cadre's month names those days.
    """
    first, last = month_bounds(month)
    today = timezone.localdate()
    if today < last:
        raise ValidationError(_("%(month)s 尚未结束,从该月最后一天起可以确认。") % {"month": f"{first:%Y-%m}"})
    dispatches = list(selectors.dispatches_in_month(first).filter(village__township=township))
    if not dispatches:
        raise ValidationError(_("该月本乡镇没有驻村干部,无需确认。"))
    confirmed = set(
        AttendanceMonth.objects.filter(dispatch__in=dispatches, month=first, state=MonthState.CONFIRMED).values_list(
            "dispatch_id", flat=True
        )
    )
    if len(confirmed) == len(dispatches):
        raise ValidationError(_("%(month)s 的考勤已经确认。") % {"month": f"{first:%Y-%m}"})
    require_perm(by, MANAGE_STATIONED, township, action="attendance.month_confirm")
    rows = []
    with transaction.atomic():
        for dispatch in dispatches:
            row = _month_row(dispatch, first, lock=True)
            if row.is_locked:
                continue
            unreported = sorted(
                d for d, default in _unreported(dispatch, first, last, today).items() if default == DayStatus.IN_VILLAGE
            )
            before = row.state
            row.confirm(by=by, on=timezone.now())
            row.save()
            audit_record(
                action="attendance.month_confirm",
                actor=by,
                obj=row,
                from_state=before,
                to_state=row.state,
                reason=_("%(n)s 个工作日未填报,不计在村:%(days)s")
                % {"n": len(unreported), "days": _day_list(unreported)}
                if unreported
                else "",
                data={"month": f"{first:%Y-%m}", "unreported": [d.isoformat() for d in unreported]},
            )
            rows.append(row)
    return rows


# --- The org dept ---------------------------------------------------------------------------------------


def day_correct(*, dispatch: Dispatch, day: datetime.date, status: str, by: User, reason: str) -> AttendanceDay:
    """The org dept corrects one day, also in a confirmed month, with a reason; audited from/to (R-M2a, R-X1)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请写明更正理由。"))
    _require_term(dispatch, day, day)
    if day > timezone.localdate():
        raise ValidationError(_("不能更正今天以后的日子。"))
    _check_status_for_day(status, _one_day(dispatch, day))
    before = AttendanceDay.objects.filter(dispatch=dispatch, date=day).values_list("status", flat=True).first()
    if before == status:
        raise ValidationError(_("该日已是“%(status)s”,无需更正。") % {"status": DayStatus(status).label})
    require_perm(by, COORDINATE_COUNTY, dispatch, action="attendance.day_correct")
    with transaction.atomic():
        row = _month_row(dispatch, day.replace(day=1), lock=True)
        before = AttendanceDay.objects.filter(dispatch=dispatch, date=day).values_list("status", flat=True).first()
        ledger_write(
            dispatch=dispatch,
            statuses={day: status},
            source=DaySource.ORG_CORRECTION,
            by=by,
            reason=reason,
            allow_locked=True,
            note=_("组织部更正:%(reason)s") % {"reason": reason[:180]},
        )
        record = AttendanceDay.objects.get(dispatch=dispatch, date=day)
        audit_record(
            action="attendance.day_correct",
            actor=by,
            obj=record,
            from_state=before or "",
            to_state=status,
            reason=reason,
            data={"date": str(day), "month_locked": row.is_locked},
        )
    return record


def calendar_correct(
    *, county: County, day: datetime.date, is_workday: bool, note: str, by: User
) -> CalendarCorrection:
    """The org dept sets one day of the county's calendar as a working day or a rest day (R-M2a).

    Day statuses already recorded stay as they are; the compliance figures follow the corrected calendar.
    """
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("请写明更正说明(例如:“2027年春节调休上班”)。"))
    if len(note) > 100:
        raise ValidationError(_("说明不能超过 100 个字。"))
    require_perm(by, COORDINATE_COUNTY, county, action="attendance.calendar_correct")
    before = days_between(day, day, county.pk)[0]
    with transaction.atomic():
        correction, created = CalendarCorrection.objects.update_or_create(
            county=county, date=day, defaults={"is_workday": is_workday, "note": note}
        )
        audit_record(
            action="attendance.calendar_correct",
            actor=by,
            obj=correction,
            from_state="workday" if before.is_workday else "rest",
            to_state="workday" if is_workday else "rest",
            reason=note,
            data={"date": str(day), "official_published": before.official, "replaced": not created},
        )
    return correction
