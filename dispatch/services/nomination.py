"""Units nominate cadres, heads decide, units withdraw (R-S1, R-S3, R-S4)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import selectors
from dispatch.models import (
    ACTIVE_STATES,
    Application,
    Dispatch,
    Exclusion,
    Pairing,
    Source,
)
from dispatch.services._common import _locked
from workflows.audit import audit_record, audit_transition
from workflows.flows import cancel_process, complete_task, lock_process, start_process
from workflows.guards import require_perm, require_state
from workflows.models import Cadre, User, Village
from workflows.permissions import (
    APPROVE_NOMINATIONS,
    NOMINATE_CADRES,
)


def dispatch_nominate(
    *,
    cadre: Cadre,
    village: Village,
    by: User,
    year: int | None = None,
    note: str = "",
    exclusion: str = "",
    exclusion_note: str = "",
    application: Application | None = None,
) -> Dispatch:
    """The unit nominates one of its cadres for one of its paired villages (R-S1, R-S2, R-S4)."""
    year = year or timezone.localdate().year
    unit = cadre.unit
    require_perm(by, NOMINATE_CADRES, unit, action="dispatch.nominate")
    if exclusion and exclusion not in Exclusion.values:
        raise ValidationError(_("不宜选派情形无效。"))
    if exclusion and not exclusion_note.strip():
        raise ValidationError(_("记录不宜选派情形时,请写明具体情况。"))
    if application is not None:
        if application.cadre_id != cadre.pk:
            raise ValidationError(_("报名与干部不符。"))
        require_state(application, application.nominate)
    with transaction.atomic():
        # Lock the village and the cadre so that two nominations racing for either cannot both pass.
        village = Village.objects.select_for_update().select_related("township").get(pk=village.pk)
        cadre = Cadre.objects.select_for_update().select_related("unit").get(pk=cadre.pk)
        if not Pairing.objects.filter(unit=unit, village=village, year=year).exists():
            raise ValidationError(
                _("%(village)s 不是本单位 %(year)s 年度的结对村。") % {"village": village.name, "year": year}
            )
        if Dispatch.objects.filter(cadre=cadre, state__in=ACTIVE_STATES).exists():
            raise ValidationError(_("%(name)s 已在选派中,不能重复推荐。") % {"name": cadre.name})
        places = selectors.paired_villages_with_places(unit, year)
        # `has_place` is the selector's annotation, which its QuerySet[Village] return type cannot name.
        if not places.filter(pk=village.pk, has_place=True).exists():  # type: ignore[misc]
            raise ValidationError(village_full_message(village, year))
        dispatch = Dispatch.objects.create(
            cadre=cadre,
            unit=unit,
            village=village,
            year=year,
            nominated_by=by,
            nomination_note=note.strip(),
            exclusion=exclusion,
            exclusion_note=exclusion_note.strip(),
            source=Source.SELF if application else Source.UNIT,
        )
        if application is not None:
            application = Application.objects.select_for_update().get(pk=application.pk)
            application.nominate(by=by, on=timezone.now(), dispatch=dispatch)
            application.save()
            audit_record(
                action="application.nominate",
                actor=by,
                obj=application,
                from_state="submitted",
                to_state=application.state,
            )
        audit_transition(
            dispatch,
            action="dispatch.nominate",
            by=by,
            before="",
            reason=exclusion_note.strip() if exclusion else note.strip(),
            data={"exclusion": exclusion, "source": dispatch.source},
        )
        start_process(dispatch)
    return dispatch


def village_full_message(village: Village, year: int) -> str:
    """Why a village cannot take another cadre this round (R-S6): the same words on the form and in the service."""
    if selectors.cadres_per_village_per_round() == 1:
        return _("%(village)s 本年度已有选派干部,不能再派第二名。") % {"village": village.name}
    return _("%(village)s 本年度已有 %(n)s 名选派干部,已达上限。") % {
        "village": village.name,
        "n": selectors.cadres_per_village_per_round(),
    }


def dispatch_approve(*, dispatch: Dispatch, by: User, comment: str = "") -> Dispatch:
    """The unit head approves; waiting reserve cadres shown on the page go into the audit (R-S1, R-S3, R-S4)."""
    require_perm(by, APPROVE_NOMINATIONS, dispatch.unit, action="dispatch.approve")
    with transaction.atomic():
        dispatch = _locked(dispatch)
        require_state(
            dispatch,
            dispatch.approve,
            _("该干部已记录为不宜选派(%(why)s),不能批准。") % {"why": dispatch.get_exclusion_display()},
        )
        waiting = selectors.waiting_reserve_candidates(dispatch)
        before = dispatch.state
        dispatch.approve(by=by, on=timezone.now(), comment=comment.strip())
        dispatch.save()
        audit_transition(
            dispatch,
            action="dispatch.approve",
            by=by,
            before=before,
            reason=comment.strip(),
            data={"reserve_warning_shown": [d.cadre.name for d in waiting]},
        )
        complete_task(dispatch, "approve", by)
    return dispatch


def dispatch_reject(*, dispatch: Dispatch, by: User, reason: str) -> Dispatch:
    """The unit head rejects a nomination with a reason (R-S1)."""
    if not reason.strip():
        raise ValidationError(_("请填写不批准的理由。"))
    require_perm(by, APPROVE_NOMINATIONS, dispatch.unit, action="dispatch.reject")
    with transaction.atomic():
        dispatch = _locked(dispatch)
        require_state(dispatch, dispatch.reject)
        before = dispatch.state
        dispatch.reject(by=by, on=timezone.now(), reason=reason.strip())
        dispatch.save()
        audit_transition(dispatch, action="dispatch.reject", by=by, before=before, reason=reason.strip())
        complete_task(dispatch, "approve", by)
    return dispatch


def dispatch_withdraw(*, dispatch: Dispatch, by: User, reason: str) -> Dispatch:
    """The unit withdraws its nomination before the head decides; the flow is cancelled (R-S1)."""
    if not reason.strip():
        raise ValidationError(_("请填写撤回的理由。"))
    require_perm(by, NOMINATE_CADRES, dispatch.unit, action="dispatch.withdraw")
    with transaction.atomic():
        lock_process(dispatch)
        dispatch = _locked(dispatch)
        require_state(dispatch, dispatch.withdraw)
        before = dispatch.state
        dispatch.withdraw(on=timezone.localdate(), reason=reason.strip())
        dispatch.save()
        audit_transition(dispatch, action="dispatch.withdraw", by=by, before=before, reason=reason.strip())
        cancel_process(dispatch)
    return dispatch
