"""The grade: proposed once scores and votes are in, finalised, reopened or cancelled (R-A2, R-A2a, R-A3)."""

from __future__ import annotations

import datetime
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal import grading
from appraisal.models import Appraisal, AppraisalRound, AppraisalState, Grade
from appraisal.services._base import _locked
from appraisal.services.votes import vote_totals
from dispatch.models import Dispatch, DispatchState
from leave.selectors import absences_in
from workflows.audit import audit_record, audit_transition
from workflows.flows import cancel_process, complete_task, flow_of
from workflows.guards import require_perm, require_state
from workflows.models import User
from workflows.permissions import COORDINATE_COUNTY
from workflows.policy import policy

# --- Proposal (R-A2, R-A2a), run by the flow once scores and votes are in ----------------------------


def unexcused_absences(dispatch: Dispatch) -> int:
    """Days recorded absent (缺勤) in the day ledger over the term (R-A2a, R-M1)."""
    # An appraised cadre was stationed: `station` set the arrival and the term's end.
    first = cast(datetime.date, dispatch.stationed_on)
    last = cast(datetime.date, dispatch.ended_on or dispatch.term_ends_on)
    return len(absences_in([dispatch.pk], first, last).get(dispatch.pk, []))


def appraisal_collect_and_propose(*, appraisal: Appraisal) -> Appraisal:
    """Take the votes and absences as they stand and propose a grade (R-A2, R-A2a, R-A5); the flow calls this."""
    with transaction.atomic():
        appraisal = (
            Appraisal.objects.select_for_update()
            .select_related("round", "dispatch__cadre", "dispatch__village")
            .get(pk=appraisal.pk)
        )
        require_state(appraisal, appraisal.collect)
        votes = vote_totals(appraisal)
        absences = unexcused_absences(appraisal.dispatch)
        before = appraisal.state
        appraisal.collect(votes=votes, absences=absences)
        appraisal.save()
        audit_transition(
            appraisal,
            action="appraisal.collect",
            by=None,
            before=before,
            data={
                "township_score": appraisal.township_score,
                "unit_score": appraisal.unit_score,
                "votes": votes,
                "absences": absences,
            },
        )
        # `collect` takes both scores as given: its transition is open only once both are in.
        proposal = grading.propose(
            township=cast(int, appraisal.township_score),
            unit=cast(int, appraisal.unit_score),
            votes=votes,
            absences=absences,
        )
        before = appraisal.state
        appraisal.propose(
            villagers_score=proposal.villagers_score,
            combined_score=proposal.combined_score,
            computed_grade=proposal.computed_grade,
            proposed_grade=proposal.proposed_grade,
            note=proposal.note,
        )
        appraisal.save()
        audit_transition(
            appraisal,
            action="appraisal.propose",
            by=None,
            before=before,
            reason=proposal.note,
            data={
                "villagers_score": str(proposal.villagers_score),
                "combined_score": str(proposal.combined_score),
                "computed_grade": proposal.computed_grade,
                "proposed_grade": proposal.proposed_grade,
                "weights": [
                    policy("APPRAISAL_WEIGHT_TOWNSHIP"),
                    policy("APPRAISAL_WEIGHT_UNIT"),
                    policy("APPRAISAL_WEIGHT_VILLAGERS"),
                ],
            },
        )
    return appraisal


# --- Finalisation (R-A2, R-A2a, R-A3) ---------------------------------------------------------------


def excellent_share(*, round_: AppraisalRound, category: str) -> tuple[int, int | None]:
    """(excellent grades finalised, how many the cap allows or None) for one category of a round (R-A2a)."""
    in_round = round_.appraisals.exclude(state=AppraisalState.CANCELLED).filter(category=category)
    finalised = in_round.filter(state=AppraisalState.FINALISED, final_grade=Grade.EXCELLENT).count()
    return finalised, grading.excellent_allowed(in_round.count())


def appraisal_finalise(*, appraisal: Appraisal, grade: str, by: User, reason: str = "") -> Appraisal:
    """The org dept finalises the grade; a change from the proposal needs a reason; the term closes (R-A2, R-A3)."""
    if grade not in Grade.values:
        raise ValidationError(_("请选择考评等次。"))
    reason = (reason or "").strip()
    require_perm(by, COORDINATE_COUNTY, appraisal, action="appraisal.finalise")
    with transaction.atomic():
        # The round row serialises finalisations, so two excellent grades cannot both take the last place.
        AppraisalRound.objects.select_for_update().filter(pk=appraisal.round_id).exists()
        appraisal = _locked(appraisal)
        require_state(appraisal, appraisal.finalise)
        if grade != appraisal.proposed_grade and not reason:
            raise ValidationError(
                _("审定等次与拟定等次(%(proposed)s)不同,须写明理由。")
                % {"proposed": Grade(appraisal.proposed_grade).label}
            )
        if grade == Grade.EXCELLENT:
            finalised, allowed = excellent_share(round_=appraisal.round, category=appraisal.category)
            if allowed is not None and finalised >= allowed:
                raise ValidationError(
                    _("本次考评「%(category)s」的优秀名额为 %(allowed)s 名,已经审定 %(n)s 名优秀。")
                    % {"category": appraisal.get_category_display(), "allowed": allowed, "n": finalised}
                )
        dispatch = Dispatch.objects.select_for_update().get(pk=appraisal.dispatch_id)
        if dispatch.state not in (DispatchState.STATIONED, DispatchState.APPRAISED):
            raise ValidationError(
                _("该干部的选派已「%(state)s」,不能审定等次,请撤销其考评。") % {"state": dispatch.get_state_display()}
            )
        today = timezone.localdate()
        before = appraisal.state
        appraisal.finalise(grade=grade, reason=reason, by=by, on=today)
        appraisal.save()
        audit_transition(
            appraisal,
            action="appraisal.finalise",
            by=by,
            before=before,
            reason=reason,
            data={
                "proposed_grade": appraisal.proposed_grade,
                "final_grade": grade,
                "changed": grade != appraisal.proposed_grade,
            },
        )
        if dispatch.state == DispatchState.STATIONED:
            dispatch_before = dispatch.state
            dispatch.appraise(on=min(today, cast(datetime.date, dispatch.term_ends_on)))
            dispatch.save()
            audit_record(
                action="dispatch.appraise",
                actor=by,
                obj=dispatch,
                from_state=dispatch_before,
                to_state=dispatch.state,
                data={"grade": grade, "ended_on": str(dispatch.ended_on)},
            )
        complete_task(appraisal, "finalise", by)
    return appraisal


def appraisal_reopen(*, appraisal: Appraisal, reason: str, by: User) -> Appraisal:
    """Only the org dept reopens a finalised grade, with a reason; it goes back to the finalisation queue (R-A2)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写重新审定的理由。"))
    require_perm(by, COORDINATE_COUNTY, appraisal, action="appraisal.reopen")
    with transaction.atomic():
        appraisal = _locked(appraisal)
        require_state(appraisal, appraisal.reopen)
        before, was = appraisal.state, appraisal.final_grade
        appraisal.reopen(reason=reason)
        appraisal.save()
        audit_transition(appraisal, action="appraisal.reopen", by=by, before=before, reason=reason, data={"was": was})
        flow_of(appraisal).reopen.run(appraisal=appraisal)
    return appraisal


def appraisal_cancel(*, appraisal: Appraisal, reason: str, by: User) -> Appraisal:
    """The org dept takes a cadre out of the round (recalled, or listed by mistake), with a reason (R-A1)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写撤销理由。"))
    require_perm(by, COORDINATE_COUNTY, appraisal, action="appraisal.cancel")
    with transaction.atomic():
        appraisal = _locked(appraisal)
        require_state(appraisal, appraisal.cancel)
        before = appraisal.state
        appraisal.cancel(reason=reason)
        appraisal.save()
        audit_transition(appraisal, action="appraisal.cancel", by=by, before=before, reason=reason)
        cancel_process(appraisal)
    return appraisal
