"""Dispatch operations: pairing, quotas, nominations, approval, training, stationing, recall, teams."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import selectors
from dispatch.models import (
    ACTIVE_STATES,
    Application,
    Dispatch,
    DispatchState,
    Exclusion,
    Pairing,
    Quota,
    QuotaSanction,
    Recall,
    RecallReason,
    Source,
    TeamLeader,
    TrainingBatch,
    WorkGroup,
)
from workflows.audit import audit_record
from workflows.dates import add_months
from workflows.flows import cancel_process, complete_task, finish_task, lock_process, locked, start_process
from workflows.guards import require_perm, require_state
from workflows.models import Cadre, County, Post, Role, Township, Unit, User, Village
from workflows.permissions import (
    APPROVE_NOMINATIONS,
    COORDINATE_COUNTY,
    MANAGE_STATIONED,
    NOMINATE_CADRES,
)
from workflows.policy import policy
from workflows.text import join_list


def term_end(stationed_on: datetime.date) -> datetime.date:
    """The last day of a term that starts on `stationed_on` (R-S7)."""
    return add_months(stationed_on, policy("TERM_MONTHS")) - datetime.timedelta(days=1)


def _locked(dispatch: Dispatch) -> Dispatch:
    """Re-read the dispatch under a row lock, so two people deciding at once cannot both succeed.

    Its flow's process row is locked first, the order the task pages take them in (no deadlock).
    """
    return locked(dispatch, "cadre", "unit__county", "village__township")


def _audit_transition(
    dispatch: Dispatch, *, action: str, by: User | None, before: str, reason: str = "", data: dict | None = None
) -> None:
    audit_record(
        action=action,
        actor=by,
        obj=dispatch,
        from_state=before,
        to_state=dispatch.state,
        reason=reason,
        data={"cadre": dispatch.cadre.name, "village": dispatch.village.name, **(data or {})},
    )


# --- Pairing and quota (R-S5, R-S6) ---------------------------------------------------------------


def pairing_add(*, unit: Unit, village: Village, year: int, by: User) -> Pairing:
    """The org dept pairs a unit with a village for a year (R-S6)."""
    require_perm(by, COORDINATE_COUNTY, unit.county, action="pairing.add")
    if village.township.county_id != unit.county_id:
        raise ValidationError(_("只能与本县的村结对。"))
    with transaction.atomic():
        pairing, created = Pairing.objects.get_or_create(unit=unit, village=village, year=year)
        if created:
            audit_record(action="pairing.add", actor=by, obj=pairing, data={"year": year})
    return pairing


def pairing_remove(*, pairing: Pairing, by: User) -> None:
    """The org dept removes a pairing that no active dispatch uses (R-S6)."""
    require_perm(by, COORDINATE_COUNTY, pairing.unit.county, action="pairing.remove")
    in_use = Dispatch.objects.filter(
        unit=pairing.unit, village=pairing.village, year=pairing.year, state__in=ACTIVE_STATES
    ).exists()
    if in_use:
        raise ValidationError(_("该结对村已有本单位在派干部,不能取消结对。"))
    with transaction.atomic():
        audit_record(action="pairing.remove", actor=by, obj=pairing, data={"year": pairing.year})
        pairing.delete()


def quota_set(
    *, unit: Unit, year: int, cadres: int, deadline: datetime.date, by: User, confirm_past_deadline: bool = False
) -> Quota:
    """The org dept sets a unit's yearly quota and deadline; a deadline already past only when confirmed (R-S5)."""
    require_perm(by, COORDINATE_COUNTY, unit.county, action="quota.set")
    if cadres < 1:
        raise ValidationError(_("选派名额至少为 1 名。"))
    today = timezone.localdate()
    past = deadline < today
    with transaction.atomic():
        quota = Quota.objects.select_for_update().filter(unit=unit, year=year).first()
        if quota is not None and quota.enforced_at is not None:
            raise ValidationError(_("该年度选派任务已到期核查,不能再修改。"))
        if past and not confirm_past_deadline:
            raise ValidationError(
                _(
                    "截止日期 %(deadline)s 已经过去(今天是 %(today)s)。"
                    "保存后该任务即可到期核查,未完成的单位将被记录处理;"
                    "如确需补录,请勾选“确认截止日期已过”后再保存。"
                )
                % {"deadline": deadline.isoformat(), "today": today.isoformat()},
                code="deadline_past",
            )
        before = f"{quota.cadres} / {quota.deadline}" if quota else ""
        if quota is None:
            quota = Quota(unit=unit, year=year)
        quota.cadres, quota.deadline = cadres, deadline
        quota.save()
        audit_record(
            action="quota.set",
            actor=by,
            obj=quota,
            from_state=before,
            to_state=f"{cadres} / {deadline}",
            data={"past_deadline_confirmed": True} if past else None,
        )
    return quota


def quota_enforce(
    *, on: datetime.date, by: User | None = None, county: County | None = None, confirmed: Iterable[int] | None = None
) -> list[QuotaSanction]:
    """At each passed deadline, sanction every unit that sent fewer cadres than its quota (R-S5).

    A person confirms the list they were shown (`confirmed`: the quota ids the confirmation page listed); if
    the quotas due are no longer exactly those, nothing is recorded and they are told to look again.
    """
    if by is not None:
        # A person enforces in their own county; only the scheduler (by=None) runs across counties.
        if county is None:
            raise PermissionDenied(_("请指定要核查的县。"))
        require_perm(by, COORDINATE_COUNTY, county, action="quota.enforce")
    sanctions = []
    with transaction.atomic():
        # Count under the lock, for exactly the quotas locked: a quota falling due in between is counted too.
        due = list(selectors.quotas_due(on=on, county=county).select_for_update(of=("self",)))
        if confirmed is not None and {q.pk for q in due} != set(confirmed):
            raise ValidationError(
                _(
                    "待核查的选派任务已有变化(可能已由他人核查,或有任务刚刚设定或修改),"
                    "本次未记录任何处理。请核对新的清单后再确认。"
                ),
                code="stale",
            )
        for check in selectors.quota_checks(due):
            quota = check.quota
            quota.enforced_at = timezone.now()
            quota.save(update_fields=["enforced_at"])
            if not check.short:
                audit_record(action="quota.met", actor=by, obj=quota, data={"sent": check.sent, "quota": quota.cadres})
                continue
            sanction = QuotaSanction.objects.create(
                unit=quota.unit, quota=quota, sent=check.sent, starts_on=check.starts_on, ends_on=check.ends_on
            )
            audit_record(
                action="quota.sanction",
                actor=by,
                obj=sanction,
                to_state="sanctioned",
                reason=_("未完成选派任务:名额 %(quota)s,实派 %(sent)s") % {"quota": quota.cadres, "sent": check.sent},
                data={"starts_on": str(sanction.starts_on), "ends_on": str(sanction.ends_on)},
            )
            sanctions.append(sanction)
    return sanctions


def quota_sanction_revoke(*, sanction: QuotaSanction, by: User, reason: str) -> QuotaSanction:
    """The org dept revokes a sanction, with a reason: the unit may be considered for the awards again (R-S5)."""
    if sanction.revoked_at is not None:
        raise ValidationError(
            _("该处理已于 %(when)s 撤销。")
            % {"when": timezone.localtime(sanction.revoked_at).strftime("%Y-%m-%d %H:%M")}
        )
    require_perm(by, COORDINATE_COUNTY, sanction.unit.county, action="quota.sanction_revoke")
    if not reason.strip():
        raise ValidationError(_("请填写撤销处理的理由。"))
    with transaction.atomic():
        sanction = (
            QuotaSanction.objects.select_for_update(of=("self",)).select_related("unit", "quota").get(pk=sanction.pk)
        )
        if sanction.revoked_at is not None:
            raise ValidationError(_("该处理已由他人撤销。"))
        sanction.revoked_at, sanction.revoked_by, sanction.revoke_reason = timezone.now(), by, reason.strip()
        sanction.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(
            action="quota.sanction_revoke",
            actor=by,
            obj=sanction,
            from_state="sanctioned",
            to_state="revoked",
            reason=sanction.revoke_reason,
            data={
                "unit": sanction.unit.name,
                "year": sanction.quota.year,
                "starts_on": str(sanction.starts_on),
                "ends_on": str(sanction.ends_on),
            },
        )
    return sanction


# --- Self-application (R-S2) ---------------------------------------------------------------------


def application_submit(
    *, cadre: Cadre, year: int, statement: str, by: User, preferred_village: Village | None = None
) -> Application:
    """A cadre applies to be stationed (R-S2)."""
    if by.pk != cadre.user_id:
        raise PermissionDenied(_("只能为本人报名。"))
    if not statement.strip():
        raise ValidationError(_("请填写报名理由。"))
    if Dispatch.objects.filter(cadre=cadre, state__in=ACTIVE_STATES).exists():
        raise ValidationError(_("您已在选派中,不需要再报名。"))
    if preferred_village and not Pairing.objects.filter(unit=cadre.unit, village=preferred_village, year=year).exists():
        raise ValidationError(_("意向村须是本单位的结对村。"))
    try:
        with transaction.atomic():
            application = Application.objects.create(
                cadre=cadre, year=year, statement=statement.strip(), preferred_village=preferred_village
            )
            audit_record(action="application.submit", actor=by, obj=application, to_state=application.state)
    except IntegrityError as exc:
        raise ValidationError(_("您本年度已有待单位决定的报名。")) from exc
    return application


def application_decline(*, application: Application, by: User, reason: str) -> Application:
    """The unit declines a cadre's application, with a reason (R-S2)."""
    if not reason.strip():
        raise ValidationError(_("请填写未推荐的理由。"))
    require_state(application, application.decline)
    require_perm(by, NOMINATE_CADRES, application.cadre.unit, action="application.decline")
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        require_state(application, application.decline)
        before = application.state
        application.decline(by=by, on=timezone.now(), reason=reason.strip())
        application.save()
        audit_record(
            action="application.decline",
            actor=by,
            obj=application,
            from_state=before,
            to_state=application.state,
            reason=reason.strip(),
        )
    return application


# --- Nomination and decision (R-S1, R-S3, R-S4) ---------------------------------------------------


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
        if not selectors.paired_villages_with_places(unit, year).filter(pk=village.pk, has_place=True).exists():
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
        _audit_transition(
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
        _audit_transition(
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
        _audit_transition(dispatch, action="dispatch.reject", by=by, before=before, reason=reason.strip())
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
        _audit_transition(dispatch, action="dispatch.withdraw", by=by, before=before, reason=reason.strip())
        cancel_process(dispatch)
    return dispatch


# --- Training (R-S8) ------------------------------------------------------------------------------


def training_batch_create(
    *, county: County, year: int, name: str, starts_on: datetime.date, ends_on: datetime.date, content: str, by: User
) -> TrainingBatch:
    """The org dept opens a pre-service training batch (R-S8)."""
    require_perm(by, COORDINATE_COUNTY, county, action="training.create")
    if ends_on < starts_on:
        raise ValidationError(_("结业日期不能早于开班日期。"))
    with transaction.atomic():
        batch = TrainingBatch.objects.create(
            county=county, year=year, name=name.strip(), starts_on=starts_on, ends_on=ends_on, content=content.strip()
        )
        audit_record(action="training.create", actor=by, obj=batch)
    return batch


def dispatch_enrol(*, dispatches: Iterable[Dispatch], batch: TrainingBatch, by: User) -> list[Dispatch]:
    """The org dept places approved cadres in a training batch (R-S8)."""
    require_perm(by, COORDINATE_COUNTY, batch.county, action="training.enrol")
    done = []
    with transaction.atomic():
        for dispatch in dispatches:
            dispatch = _locked(dispatch)
            require_state(dispatch, dispatch.enrol)
            if dispatch.unit.county_id != batch.county_id:
                raise ValidationError(
                    _("%(name)s 不是本县的干部,不能参加本县的培训班。") % {"name": dispatch.cadre.name}
                )
            before = dispatch.state
            dispatch.enrol(batch=batch)
            dispatch.save()
            _audit_transition(dispatch, action="dispatch.enrol", by=by, before=before, data={"batch": batch.name})
            done.append(dispatch)
    return done


def dispatch_complete_training(
    *, dispatches: Iterable[Dispatch], completed_on: datetime.date, by: User
) -> list[Dispatch]:
    """The org dept records that cadres completed pre-service training (R-S8)."""
    dispatches = list(dispatches)
    for dispatch in dispatches:
        require_perm(by, COORDINATE_COUNTY, dispatch.unit.county, action="training.complete")
    today = timezone.localdate()
    if completed_on > today:
        raise ValidationError(
            _("结业日期 %(day)s 晚于今天(%(today)s):培训结束后才能记录结业。")
            % {"day": completed_on.isoformat(), "today": today.isoformat()}
        )
    done = []
    with transaction.atomic():
        for dispatch in dispatches:
            lock_process(dispatch)
            dispatch = _locked(dispatch)
            if dispatch.state != DispatchState.TRAINING:
                raise ValidationError(_("%(name)s 不在岗前培训中。") % {"name": dispatch.cadre.name})
            if dispatch.training_batch and completed_on < dispatch.training_batch.starts_on:
                raise ValidationError(_("结业日期不能早于开班日期。"))
            dispatch.training_completed_on = completed_on
            dispatch.save(update_fields=["training_completed_on"])
            audit_record(
                action="dispatch.training_completed",
                actor=by,
                obj=dispatch,
                data={"completed_on": str(completed_on), "cadre": dispatch.cadre.name},
            )
            finish_task(dispatch, "training")
            done.append(dispatch)
    return done


# --- Stationing (R-S7, R-S9) ----------------------------------------------------------------------


def dispatch_record_arrangements(
    *,
    dispatch: Dispatch,
    by: User,
    insurer: str,
    insurance_policy_no: str,
    insurance_starts_on: datetime.date,
    insurance_ends_on: datetime.date,
    party_relation_transferred_on: datetime.date,
    living_allowance_yuan: Decimal,
) -> Dispatch:
    """The unit records insurance, party-relation transfer and living allowance (R-S9)."""
    require_perm(by, NOMINATE_CADRES, dispatch.unit, action="dispatch.arrangements")
    if insurance_ends_on < insurance_starts_on:
        raise ValidationError(_("保险止期不能早于起期。"))
    if living_allowance_yuan is None or living_allowance_yuan <= 0:
        raise ValidationError(_("生活补助应大于 0 元。"))
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if dispatch.state not in (DispatchState.APPROVED, DispatchState.TRAINING):
            raise ValidationError(_("只有已批准、尚未到村的干部才能登记这些保障事项。"))
        dispatch.insurer, dispatch.insurance_policy_no = insurer.strip(), insurance_policy_no.strip()
        dispatch.insurance_starts_on, dispatch.insurance_ends_on = insurance_starts_on, insurance_ends_on
        dispatch.party_relation_transferred_on = party_relation_transferred_on
        dispatch.living_allowance_yuan = living_allowance_yuan
        dispatch.save()
        audit_record(
            action="dispatch.arrangements",
            actor=by,
            obj=dispatch,
            data={
                "insurer": dispatch.insurer,
                "policy": dispatch.insurance_policy_no,
                "insured": f"{insurance_starts_on}–{insurance_ends_on}",
                "party_relation": str(party_relation_transferred_on),
                "allowance": str(living_allowance_yuan),
            },
        )
        complete_task(dispatch, "arrange", by)
    return dispatch


def dispatch_station(*, dispatch: Dispatch, by: User, on: datetime.date) -> Dispatch:
    """The township takes in the cadre: the term starts and its end is set (R-S7, R-S8, R-S9)."""
    require_perm(by, MANAGE_STATIONED, dispatch.village.township, action="dispatch.station")
    with transaction.atomic():
        dispatch = _locked(dispatch)
        missing = dispatch.missing_stationing_items()
        if not dispatch.has_completed_training():
            missing.insert(0, _("岗前培训结业"))
        require_state(dispatch, dispatch.station, _("尚不能到村:还缺 %(items)s。") % {"items": join_list(missing)})
        if dispatch.insurance_ends_on < on or dispatch.insurance_starts_on > on:
            raise ValidationError(_("到村日期不在意外伤害保险期内。"))
        before = dispatch.state
        dispatch.station(on=on, term_ends_on=term_end(on))
        dispatch.save()
        _audit_transition(
            dispatch,
            action="dispatch.station",
            by=by,
            before=before,
            data={"stationed_on": str(on), "term_ends_on": str(dispatch.term_ends_on)},
        )
        complete_task(dispatch, "station", by)
    return dispatch


# --- Recall (R-M5a) -------------------------------------------------------------------------------


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
        if on < dispatch.stationed_on:
            raise ValidationError(_("召回日期不能早于到村日期。"))
        recall.carry_out(on=on)
        recall.save()
        audit_record(action="recall.done", actor=by, obj=recall, from_state="approved", to_state=recall.state)
        before = dispatch.state
        dispatch.recall(on=on, reason=f"{recall.get_reason_display()}:{recall.details}")
        dispatch.save()
        _audit_transition(dispatch, action="dispatch.recall", by=by, before=before, reason=dispatch.end_reason)
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


# --- Township organisation (R-M4) -----------------------------------------------------------------


def _stationed_in(township: Township, dispatch: Dispatch) -> bool:
    return dispatch.state == DispatchState.STATIONED and dispatch.village.township_id == township.pk


def team_leader_name(*, township: Township, dispatch: Dispatch, by: User) -> TeamLeader:
    """The township names one team leader among the cadres stationed in it (R-M4)."""
    require_perm(by, MANAGE_STATIONED, township, action="team.leader")
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if not _stationed_in(township, dispatch):
            raise ValidationError(_("领队须是驻本乡镇的在村干部。"))
        previous = TeamLeader.objects.select_for_update().filter(township=township).first()
        before = previous.dispatch.cadre.name if previous else ""
        leader, _created = TeamLeader.objects.update_or_create(township=township, defaults={"dispatch": dispatch})
        audit_record(action="team.leader", actor=by, obj=township, from_state=before, to_state=dispatch.cadre.name)
    return leader


def work_group_save(
    *, township: Township, year: int, name: str, villages: list[Village], by: User, group: WorkGroup | None = None
) -> WorkGroup:
    """The township groups 2 to 3 neighbouring villages into a work group (R-M4)."""
    require_perm(by, MANAGE_STATIONED, township, action="team.group")
    low, high = policy("WORK_GROUP_MIN_VILLAGES"), policy("WORK_GROUP_MAX_VILLAGES")
    villages = list({v.pk: v for v in villages}.values())
    if not low <= len(villages) <= high:
        raise ValidationError(
            _("每个工作小组由 %(low)s 至 %(high)s 个相邻村组成,现选了 %(n)s 个。")
            % {"low": low, "high": high, "n": len(villages)}
        )
    if any(v.township_id != township.pk for v in villages):
        raise ValidationError(_("工作小组的村须都在本乡镇。"))
    taken = WorkGroup.objects.filter(township=township, year=year, villages__in=villages)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    if taken.exists():
        raise ValidationError(_("有的村已在本年度另一个工作小组中。"))
    if not name.strip():
        raise ValidationError(_("请填写小组名称。"))
    with transaction.atomic():
        if group is None:
            group = WorkGroup.objects.create(township=township, year=year, name=name.strip())
        else:
            group.name = name.strip()
            group.save(update_fields=["name"])
        group.villages.set(villages)
        audit_record(action="team.group", actor=by, obj=group, data={"villages": [v.name for v in villages]})
    return group


def mentor_assign(*, dispatch: Dispatch, mentor: User, by: User) -> Dispatch:
    """The township pairs a stationed cadre with one of its leaders for mentoring (传帮带, R-M4)."""
    township = dispatch.village.township
    require_perm(by, MANAGE_STATIONED, township, action="team.mentor")
    if not Post.objects.active().filter(user=mentor, role=Role.TOWNSHIP_COMMITTEE, township=township).exists():
        raise ValidationError(_("传帮带联系领导须是本乡镇的领导。"))
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if not _stationed_in(township, dispatch):
            raise ValidationError(_("只能为驻本乡镇的在村干部确定联系领导。"))
        before = str(dispatch.mentor or "")
        dispatch.mentor = mentor
        dispatch.save(update_fields=["mentor"])
        audit_record(action="team.mentor", actor=by, obj=dispatch, from_state=before, to_state=str(mentor))
    return dispatch
