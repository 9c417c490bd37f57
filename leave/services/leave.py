"""Services of the stationed cadres' management: leaves (请假、销假), each step audited and moving the flow (R-M2)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch.models import Dispatch, DispatchState
from leave.calendar import workdays_between
from leave.ledger import ledger_write, locked_months
from leave.models import AttendanceDay, DaySource, DayStatus, LeaveRequest, LeaveState
from leave.selectors import leave as leave_selectors
from workflows.audit import audit_refusal, audit_transition
from workflows.flows import cancel_process, complete_task, locked, start_process
from workflows.guards import require_perm, require_state
from workflows.models import User
from workflows.notifications import notify
from workflows.permissions import DECIDE_LEAVE
from workflows.text import join_list

ACTION_LABELS: dict = {
    "leave.request": gettext_lazy("申请请假"),
    "leave.approve": gettext_lazy("批准请假"),
    "leave.review": gettext_lazy("乡镇审核请假,报组织部审批"),
    "leave.reject": gettext_lazy("不批准请假"),
    "leave.withdraw": gettext_lazy("撤回请假"),
    "leave.begin": gettext_lazy("开始休假"),
    "leave.report_back": gettext_lazy("销假"),
    "leave.close": gettext_lazy("确认销假"),
}

LATE_NOTE = gettext_lazy("逾期未归")
EARLY_NOTE = gettext_lazy("提前销假")


def _locked(leave: LeaveRequest) -> LeaveRequest:
    """Re-read the leave under a row lock, after its flow's process row: the order the task pages use."""
    return locked(leave, "dispatch__cadre", "dispatch__unit__county", "dispatch__village__township")


def _require_owner(user: User | None, leave_or_dispatch: LeaveRequest | Dispatch, *, action: str) -> None:
    """Only the cadre acts on their own leave (R-O4); a refusal is audited like a tier refusal."""
    dispatch = leave_or_dispatch.dispatch if isinstance(leave_or_dispatch, LeaveRequest) else leave_or_dispatch
    if user is not None and user.is_authenticated and user.pk == dispatch.cadre.user_id:
        return
    audit_refusal(
        action=f"{action}.refused",
        actor=user,
        obj=leave_or_dispatch,
        reason=_("越权操作被拒绝"),
        data={"owner": dispatch.cadre.user_id},
    )
    raise PermissionDenied(_("只能办理本人的请假。"))


def _writable(dispatch: Dispatch, days: list[datetime.date], *, skip_locked: bool = True) -> list[datetime.date]:
    """Leave out days an inspection or the org dept recorded and, unless told otherwise, days in confirmed months."""
    if not days:
        return []
    locked = locked_months(dispatch, days) if skip_locked else set()
    kept = set(
        AttendanceDay.objects.filter(
            dispatch=dispatch, date__in=days, source__in=leave_selectors.AUTHORITATIVE_SOURCES
        ).values_list("date", flat=True)
    )
    return [d for d in days if d.replace(day=1) not in locked and d not in kept]


def _already_handled(leave: LeaveRequest) -> ValidationError:
    return ValidationError(
        _("此事项当前为「%(state)s」,已经处理过或不能进行此操作。") % {"state": leave.get_state_display()}
    )


def _term_end(dispatch: Dispatch) -> datetime.date:
    return cast(datetime.date, dispatch.ended_on or dispatch.term_ends_on)


# --- Request and decision (R-M2) ------------------------------------------------------------------


def leave_request(
    *, dispatch: Dispatch, starts_on: datetime.date, ends_on: datetime.date, reason: str, by: User
) -> LeaveRequest:
    """The stationed cadre asks for leave; its working days decide which tier decides it (R-M2)."""
    _require_owner(by, dispatch, action="leave.request")
    if not reason.strip():
        raise ValidationError(_("请填写请假事由。"))
    if ends_on < starts_on:
        raise ValidationError(_("结束日期不能早于开始日期。"))
    with transaction.atomic():
        # The dispatch row serialises one cadre's requests, so two overlapping ones cannot both pass.
        dispatch = (
            Dispatch.objects.select_for_update()
            .select_related("cadre", "unit__county", "village__township")
            .get(pk=dispatch.pk)
        )
        if dispatch.state != DispatchState.STATIONED:
            raise ValidationError(_("只有驻村期间的干部才能请假。"))
        stationed_on = cast(datetime.date, dispatch.stationed_on)  # set on every stationed dispatch
        if starts_on < stationed_on or ends_on > _term_end(dispatch):
            raise ValidationError(
                _("请假日期须在驻村期内(%(start)s 至 %(end)s)。")
                % {"start": stationed_on.isoformat(), "end": _term_end(dispatch).isoformat()}
            )
        workdays = workdays_between(starts_on, ends_on, dispatch.unit.county_id)
        locked = locked_months(dispatch, [starts_on, ends_on, *workdays])
        if locked:
            raise ValidationError(
                _("%(months)s 的考勤已经乡镇确认,不能再为这段时间请假。")
                % {"months": "、".join(f"{m:%Y-%m}" for m in sorted(locked))}
            )
        if not workdays:
            raise ValidationError(_("所选日期内没有工作日,不需要请假。"))
        overlapping = leave_selectors.overlapping_leaves(dispatch, starts_on, ends_on)
        if overlapping:
            other = overlapping[0]
            raise ValidationError(
                _("与已有的请假(%(start)s 至 %(end)s,%(state)s)日期重叠。")
                % {
                    "start": other.starts_on.isoformat(),
                    "end": other.ends_on.isoformat(),
                    "state": other.get_state_display(),
                }
            )
        leave = LeaveRequest.objects.create(
            dispatch=dispatch, starts_on=starts_on, ends_on=ends_on, days=len(workdays), reason=reason.strip()
        )
        audit_transition(
            leave,
            action="leave.request",
            by=by,
            before="",
            reason=leave.reason,
            data={"to_org_dept": leave.needs_org_dept()},
        )
        start_process(leave)
    return leave


def _fill_leave_days(leave: LeaveRequest, by: User) -> int:
    """Approved leave fills the calendar by itself: its working days become leave; holidays stay holidays.

    A month the township confirmed while the leave waited is refused by the ledger, with its message: approving
    leave the confirmed calendar does not show would leave the two disagreeing.
    """
    dispatch = leave.dispatch
    days = _writable(
        dispatch, workdays_between(leave.starts_on, leave.ends_on, dispatch.unit.county_id), skip_locked=False
    )
    return ledger_write(
        dispatch=dispatch,
        statuses=dict.fromkeys(days, DayStatus.LEAVE),
        source=DaySource.LEAVE,
        by=by,
        reason=_("请假已批准"),
        note=_("请假 %(start)s 至 %(end)s") % {"start": leave.starts_on.isoformat(), "end": leave.ends_on.isoformat()},
    )


def _confirmed_overwrites(leave: LeaveRequest, overwrite: set[datetime.date]) -> list[str]:
    """Refuse approval over recorded days the decider did not confirm one by one; list those confirmed (R-M2a).

    Approval turns the leave's working days into leave. A day already recorded otherwise (the cadre's 在村, a
    reported official business) changes only when the decider chose it: a record someone stated is never
    overwritten silently. A confirmed month is refused by the ledger with its own message instead.
    """
    recorded = leave_selectors.days_leave_would_overwrite(leave)
    if not recorded or locked_months(leave.dispatch, [r.date for r in recorded]):
        return []
    unconfirmed = [r for r in recorded if r.date not in overwrite]
    if unconfirmed:
        raise ValidationError(
            _("以下日子已有考勤登记:%(days)s。批准后将改记为请假,请逐日勾选“以请假覆盖”后再批准,或不批准。")
            % {"days": join_list(f"{r.date.isoformat()} {r.status_label}" for r in unconfirmed)}
        )
    leave_label = DayStatus.LEAVE.label
    return [f"{r.date.isoformat()} {r.status_label} → {leave_label}" for r in recorded]


def leave_decide(
    *, leave: LeaveRequest, by: User, approve: bool, comment: str = "", overwrite: Iterable[datetime.date] = ()
) -> LeaveRequest:
    """The deciding tier approves or rejects; the township forwards longer leave to the org dept (R-M2).

    Up to N working days (LEAVE_TOWNSHIP_MAX_DAYS) the township approves; above N it reviews and the org dept
    decides. A rejection needs a reason. Approval writes the leave's working days into the day ledger; days
    already recorded otherwise are overwritten only when named in `overwrite`, else approval is refused (R-M2a).
    """
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError(_("不批准时请写明理由。"))
    stage = leave.state
    require_state(leave, leave.reject)
    org_stage = stage == LeaveState.REVIEWED
    require_perm(by, leave_selectors.decider_perm(stage), leave, action="leave.decide")
    with transaction.atomic():
        leave = _locked(leave)
        if leave.state != stage:
            raise _already_handled(leave)
        now = timezone.now()
        before = leave.state
        if not approve:
            leave.reject(by=by, on=now, comment=comment)
            action = "leave.reject"
        elif org_stage:
            leave.approve_by_org_dept(by=by, on=now, comment=comment)
            action = "leave.approve"
        elif leave.needs_org_dept():
            leave.review(by=by, comment=comment)
            action = "leave.review"
        else:
            leave.approve_by_township(by=by, on=now, comment=comment)
            action = "leave.approve"
        overwritten = _confirmed_overwrites(leave, set(overwrite)) if leave.state == LeaveState.APPROVED else []
        leave.save()
        audit_transition(
            leave,
            action=action,
            by=by,
            before=before,
            reason=comment,
            data={
                "tier": "org_dept" if org_stage else "township",
                **({"overwritten": overwritten} if overwritten else {}),
            },
        )
        if leave.state == LeaveState.APPROVED:
            _fill_leave_days(leave, by)
        complete_task(leave, "decide_org" if org_stage else "decide_township", by)
        if leave.state in (LeaveState.APPROVED, LeaveState.REJECTED):
            _tell_cadre_the_decision(leave, comment)
    return leave


def _tell_cadre_the_decision(leave: LeaveRequest, comment: str) -> None:
    """The cadre hears of the decision on their leave, after it commits (issue 13)."""
    cadre_user = leave.dispatch.cadre.user
    if cadre_user is None:
        return
    approved = leave.state == LeaveState.APPROVED
    title = _("您 %(start)s 至 %(end)s 的请假已批准") if approved else _("您 %(start)s 至 %(end)s 的请假未获批准")
    notify(
        [cadre_user],
        kind="leave_approved" if approved else "leave_rejected",
        title=title % {"start": leave.starts_on.isoformat(), "end": leave.ends_on.isoformat()},
        body=comment,
        url=reverse("leave:leave"),
    )


def leave_withdraw(*, leave: LeaveRequest, by: User) -> LeaveRequest:
    """The cadre withdraws the request before it is decided; its flow is cancelled (R-M2)."""
    require_state(leave, leave.withdraw)
    _require_owner(by, leave, action="leave.withdraw")
    with transaction.atomic():
        leave = _locked(leave)
        require_state(leave, leave.withdraw)
        before = leave.state
        leave.withdraw()
        leave.save()
        audit_transition(leave, action="leave.withdraw", by=by, before=before)
        cancel_process(leave)
    return leave


def leave_begin_due(*, on: datetime.date) -> list[LeaveRequest]:
    """Approved leave whose first day has come is now being taken (R-M2); run daily by the scheduler."""
    begun = []
    due = LeaveRequest.objects.filter(state=LeaveState.APPROVED, starts_on__lte=on).order_by("starts_on", "pk")
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            leave = _locked(LeaveRequest(pk=pk))
            if leave.state != LeaveState.APPROVED:
                continue
            before = leave.state
            leave.begin()
            leave.save()
            audit_transition(leave, action="leave.begin", by=None, before=before, data={"on": str(on)})
        begun.append(leave)
    return begun


# --- Report on return and close (R-M2, R-M3) ------------------------------------------------------


def leave_report_back(*, leave: LeaveRequest, returned_on: datetime.date, by: User) -> LeaveRequest:
    """The cadre reports back (销假) with the day they were back in the village (R-M2, R-M3).

    Working days after the leave's end and before the return are absence, flagged as late (逾期未归); returning
    early gives the unused leave days back to the village. Days in a month the township has already confirmed,
    or recorded by an inspection or the org dept, keep their confirmed status.
    """
    require_state(leave, leave.report_back)
    _require_owner(by, leave, action="leave.report_back")
    if returned_on < leave.starts_on:
        raise ValidationError(_("返岗日期不能早于请假开始日期。"))
    if returned_on > timezone.localdate():
        raise ValidationError(_("返岗日期不能晚于今天。"))
    with transaction.atomic():
        leave = _locked(leave)
        require_state(leave, leave.report_back)
        dispatch = leave.dispatch
        county = dispatch.unit.county_id
        late = workdays_between(
            leave.ends_on + datetime.timedelta(days=1),
            min(returned_on - datetime.timedelta(days=1), _term_end(dispatch)),
            county,
        )
        unused = workdays_between(returned_on, leave.ends_on, county)
        before = leave.state
        leave.report_back(returned_on=returned_on, late_days=len(late))
        leave.save()
        audit_transition(
            leave,
            action="leave.report_back",
            by=by,
            before=before,
            reason=_("逾期未归 %(n)s 个工作日") % {"n": len(late)} if late else "",
            data={"returned_on": str(returned_on), "late_days": len(late), "unused_days": len(unused)},
        )
        ledger_write(
            dispatch=dispatch,
            statuses=dict.fromkeys(_writable(dispatch, late), DayStatus.ABSENT),
            source=DaySource.LEAVE,
            by=by,
            reason=str(LATE_NOTE),
            note=str(LATE_NOTE),
        )
        on_leave = set(
            AttendanceDay.objects.filter(
                dispatch=dispatch, date__in=unused, status=DayStatus.LEAVE, source=DaySource.LEAVE
            ).values_list("date", flat=True)
        )
        back = [d for d in _writable(dispatch, unused) if d in on_leave]
        ledger_write(
            dispatch=dispatch,
            statuses=dict.fromkeys(back, DayStatus.IN_VILLAGE),
            source=DaySource.LEAVE,
            by=by,
            reason=str(EARLY_NOTE),
            note=str(EARLY_NOTE),
        )
        complete_task(leave, "report_back", by)
    return leave


def leave_close(*, leave: LeaveRequest, by: User) -> LeaveRequest:
    """The township confirms the report on return and closes the leave (R-M2)."""
    require_state(leave, leave.close)
    require_perm(by, DECIDE_LEAVE, leave, action="leave.close")
    with transaction.atomic():
        leave = _locked(leave)
        require_state(leave, leave.close)
        before = leave.state
        leave.close()
        leave.save()
        audit_transition(leave, action="leave.close", by=by, before=before, data={"late_days": leave.late_days})
        complete_task(leave, "close", by)
    return leave
