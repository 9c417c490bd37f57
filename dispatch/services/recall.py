"""Recalling a stationed cadre: proposal, decision, carrying out (R-M5a)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import (
    Dispatch,
    DispatchState,
    Recall,
    RecallReason,
)
from dispatch.services._common import _locked
from workflows.audit import audit_record, audit_transition
from workflows.flows import complete_task, lock_process, start_process
from workflows.guards import require_perm, require_state
from workflows.models import Cadre, User
from workflows.permissions import (
    COORDINATE_COUNTY,
    MANAGE_STATIONED,
    NOMINATE_CADRES,
)


def recall_propose(*, dispatch: Dispatch, by: User, reason: str, details: str, own_fault: bool = True) -> Recall:
    """The township proposes recalling a stationed cadre, with one of the listed reasons (R-M5a)."""
    require_perm(by, MANAGE_STATIONED, dispatch.village.township, action="recall.propose")
    if reason not in RecallReason.values:
        raise ValidationError(_("请选择召回原因。"))
    if not details.strip():
        raise ValidationError(_("请写明具体情况。"))
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if dispatch.state != DispatchState.STATIONED:
            raise ValidationError(_("只能对驻村中的干部提出召回。"))
        if Recall.objects.filter(dispatch=dispatch, state__in=["proposed", "approved"]).exists():
            raise ValidationError(_("该干部已有待处理的召回。"))
        recall = Recall.objects.create(
            dispatch=dispatch, reason=reason, details=details.strip(), own_fault=own_fault, proposed_by=by
        )
        audit_record(
            action="recall.propose",
            actor=by,
            obj=recall,
            to_state=recall.state,
            reason=f"{recall.get_reason_display()}:{recall.details}",
        )
        start_process(recall)
    return recall


def recall_decide(*, recall: Recall, by: User, approve: bool, comment: str = "") -> Recall:
    """The org dept agrees to the recall or declines it with a reason (R-M5a)."""
    require_perm(by, COORDINATE_COUNTY, recall.dispatch.unit.county, action="recall.decide")
    if not approve and not comment.strip():
        raise ValidationError(_("不同意召回时请写明理由。"))
    with transaction.atomic():
        lock_process(recall)
        recall = Recall.objects.select_for_update().select_related("dispatch__cadre").get(pk=recall.pk)
        transition = recall.approve if approve else recall.decline
        require_state(recall, transition)
        before = recall.state
        transition(by=by, on=timezone.now(), comment=comment.strip())
        recall.save()
        audit_record(
            action="recall.approve" if approve else "recall.decline",
            actor=by,
            obj=recall,
            from_state=before,
            to_state=recall.state,
            reason=comment.strip(),
        )
        complete_task(recall, "decide", by)
    return recall


def recall_carry_out(*, recall: Recall, by: User, on: datetime.date) -> Recall:
    """The unit recalls its cadre; through their own fault a reserve cadre loses reserve status (R-M5a)."""
    require_perm(by, NOMINATE_CADRES, recall.dispatch.unit, action="recall.carry_out")
    with transaction.atomic():
        lock_process(recall)
        recall = Recall.objects.select_for_update().get(pk=recall.pk)
        require_state(recall, recall.carry_out)
        dispatch = _locked(recall.dispatch)
        require_state(dispatch, dispatch.recall)
        assert dispatch.stationed_on is not None  # a dispatch that may be recalled is stationed
        if on < dispatch.stationed_on:
            raise ValidationError(_("召回日期不能早于到村日期。"))
        recall.carry_out(on=on)
        recall.save()
        audit_record(action="recall.done", actor=by, obj=recall, from_state="approved", to_state=recall.state)
        before = dispatch.state
        dispatch.recall(on=on, reason=f"{recall.get_reason_display()}:{recall.details}")
        dispatch.save()
        audit_transition(dispatch, action="dispatch.recall", by=by, before=before, reason=dispatch.end_reason)
        cadre = Cadre.objects.select_for_update().get(pk=dispatch.cadre_id)
        if recall.own_fault and cadre.is_reserve:
            cadre.is_reserve = False
            cadre.save(update_fields=["is_reserve"])
            audit_record(
                action="cadre.reserve_lost",
                actor=by,
                obj=cadre,
                from_state="reserve",
                to_state="",
                reason=_("因本人原因被召回,取消后备干部资格"),
                data={"recall": recall.pk},
            )
        complete_task(recall, "carry_out", by)
    return recall
