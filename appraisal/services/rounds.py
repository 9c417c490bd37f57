"""The appraisal round: who is in it, opening it, closing the villagers' vote (R-A1, R-A5)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal import grading
from appraisal.models import LIVE_STATES, Appraisal, AppraisalRound, AppraisalState, Grade, OnlineTally
from appraisal.selectors import appraisals_without_votes
from dispatch.models import Dispatch, DispatchState
from workflows.audit import audit_record, audit_transition
from workflows.flows import finish_task, start_process
from workflows.guards import require_perm, require_state
from workflows.models import County, User
from workflows.permissions import COORDINATE_COUNTY

# --- The round (R-A1) ------------------------------------------------------------------------------


def round_candidates(*, county: County, term_ends_from: datetime.date, term_ends_to: datetime.date):
    """Stationed cadres of the county whose term ends in the window and who are in no round yet."""
    return (
        Dispatch.objects.filter(
            unit__county=county, state=DispatchState.STATIONED, term_ends_on__range=(term_ends_from, term_ends_to)
        )
        .exclude(appraisals__state__in=LIVE_STATES)
        .select_related("cadre", "unit", "village__township")
        .order_by("village__township__code", "village__code")
    )


def round_open(
    *, county: County, title: str, year: int, term_ends_from: datetime.date, term_ends_to: datetime.date, by: User
) -> AppraisalRound:
    """The org dept opens a round for the cadres whose term ends in the window; each gets an appraisal (R-A1)."""
    require_perm(by, COORDINATE_COUNTY, county, action="appraisal_round.open")
    title = title.strip()
    if not title:
        raise ValidationError(_("请填写考评名称。"))
    if term_ends_to < term_ends_from:
        raise ValidationError(_("期满日期的结束不能早于开始。"))
    if AppraisalRound.objects.filter(county=county, title=title).exists():
        raise ValidationError(_("已有名为「%(title)s」的考评。") % {"title": title})
    with transaction.atomic():
        dispatches = list(
            round_candidates(county=county, term_ends_from=term_ends_from, term_ends_to=term_ends_to).select_for_update(
                of=("self",)
            )
        )
        if not dispatches:
            raise ValidationError(
                _("%(start)s 至 %(end)s 之间没有期满、尚未列入考评的驻村干部。")
                % {"start": term_ends_from.isoformat(), "end": term_ends_to.isoformat()}
            )
        round_ = AppraisalRound.objects.create(
            county=county,
            title=title,
            year=year,
            term_ends_from=term_ends_from,
            term_ends_to=term_ends_to,
            opened_by=by,
        )
        audit_record(
            action="appraisal_round.open",
            actor=by,
            obj=round_,
            to_state=round_.state,
            data={"title": title, "from": str(term_ends_from), "to": str(term_ends_to), "cadres": len(dispatches)},
        )
        for dispatch in dispatches:
            appraisal = Appraisal.objects.create(
                round=round_, dispatch=dispatch, category=grading.category_of(dispatch.cadre)
            )
            OnlineTally.objects.bulk_create(OnlineTally(appraisal=appraisal, grade=g) for g in Grade.values)
            audit_transition(appraisal, action="appraisal.open", by=by, before="", data={"round": round_.title})
            start_process(appraisal)
    return round_


def round_close(
    *, round_: AppraisalRound, by: User, no_votes_reasons: Mapping[int, str] | None = None
) -> AppraisalRound:
    """The org dept closes the villagers' vote; each appraisal whose scores are in is proposed a grade (R-A1, R-A5).

    A village whose cadre has not one villager's vote (online or on paper) was not evaluated by its villagers, as
    R-A1 requires: closing then needs the org dept's reason for each such appraisal, in `no_votes_reasons` by
    appraisal id, kept on the appraisal and audited. Reasons given for appraisals that have votes are not kept.
    """
    require_perm(by, COORDINATE_COUNTY, round_, action="appraisal_round.close")

    reasons = {pk: (text or "").strip() for pk, text in (no_votes_reasons or {}).items()}
    with transaction.atomic():
        # The exclusive lock waits for votes and tallies in progress (they hold it shared), so the villages
        # without votes read below stay without votes until the round is closed.
        round_ = AppraisalRound.objects.select_for_update().get(pk=round_.pk)
        require_state(round_, round_.close)
        silent = list(appraisals_without_votes(round_))
        missing = [a for a in silent if not reasons.get(a.pk)]
        if missing:
            raise ValidationError(
                _("以下村没有村民评议票(网上和现场均无),须逐村写明原因后才能结束评议:%(villages)s。")
                % {"villages": "、".join(f"{a.dispatch.village.name}({a.dispatch.cadre.name})" for a in missing)}
            )
        before = round_.state
        round_.close(by=by, at=timezone.now())
        round_.save()
        audit_record(
            action="appraisal_round.close",
            actor=by,
            obj=round_,
            from_state=before,
            to_state=round_.state,
            data={"title": round_.title, "without_votes": [a.pk for a in silent]},
        )
        for appraisal in silent:
            appraisal.no_votes_reason = reasons[appraisal.pk]
            appraisal.save(update_fields=["no_votes_reason"])
            audit_transition(
                appraisal, action="appraisal.no_votes", by=by, before=appraisal.state, reason=appraisal.no_votes_reason
            )
        for appraisal in round_.appraisals.filter(state=AppraisalState.OPEN).order_by("pk"):
            finish_task(appraisal, "votes_closed")
    return round_
