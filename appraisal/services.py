"""Services of the year-end appraisal: rounds, scores, ballots, proposal, finalisation (R-A1, R-A2, R-A2a, R-A5)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal import ballots, grading
from appraisal.models import (
    LIVE_STATES,
    Appraisal,
    AppraisalRound,
    AppraisalState,
    BallotBatch,
    BallotCode,
    Grade,
    OnlineTally,
    PaperSession,
    RoundState,
)
from dispatch.models import Dispatch, DispatchState
from workflows.audit import audit_record, audit_refusal
from workflows.guards import require_perm, require_state
from workflows.models import County, User, Village
from workflows.permissions import APPRAISE_AS_TOWNSHIP, APPRAISE_AS_UNIT, COORDINATE_COUNTY, may
from workflows.policy import policy

ACTION_LABELS: dict = {
    "appraisal_round.open": gettext_lazy("发起年度考评"),
    "appraisal_round.close": gettext_lazy("结束村民评议"),
    "appraisal.open": gettext_lazy("列入年度考评"),
    "appraisal.no_votes": gettext_lazy("说明无村民评议票的原因"),
    "appraisal.score_township": gettext_lazy("乡镇评分"),
    "appraisal.score_unit": gettext_lazy("派出单位评分"),
    "appraisal.collect": gettext_lazy("汇总评分和评议"),
    "appraisal.propose": gettext_lazy("拟定考评等次"),
    "appraisal.finalise": gettext_lazy("审定考评等次"),
    "appraisal.reopen": gettext_lazy("重新审定考评等次"),
    "appraisal.cancel": gettext_lazy("撤销考评"),
    "ballots.issue": gettext_lazy("发放村民评议投票码"),
    "ballots.print": gettext_lazy("打印村民评议投票卡"),
    "ballot.cast": gettext_lazy("村民网上投票"),
    "paper_session.enter": gettext_lazy("录入现场评议计票"),
    "paper_session.void": gettext_lazy("作废现场评议计票"),
}


class BallotRefused(Exception):
    """Any reason a ballot code cannot be used; the villager is told the same thing whatever it is (R-A5)."""


def _flow():
    # Imported late: the flow imports the task pages, which import this module.
    from appraisal.flows import AppraisalFlow

    return AppraisalFlow


def _locked(appraisal: Appraisal) -> Appraisal:
    """Re-read the appraisal under a row lock, after its flow's process row: the order the task pages use."""
    from workflows.flows import process_of

    flow = _flow()
    process = process_of(flow, appraisal)
    if process is not None:
        flow.process_class._default_manager.select_for_update().filter(pk=process.pk).exists()
    return (
        Appraisal.objects.select_for_update()
        .select_related("round__county", "dispatch__cadre", "dispatch__unit", "dispatch__village__township")
        .get(pk=appraisal.pk)
    )


def _complete_task(appraisal: Appraisal, node_name: str, by: User) -> None:
    """Move the flow past the human task whose work this service just did (no-op inside its own page)."""
    from workflows.flows import complete_human_task

    complete_human_task(_flow(), node_name, appraisal, by)


def _audit(
    appraisal: Appraisal, *, action: str, by: User | None, before: str, reason: str = "", data: dict | None = None
) -> None:
    audit_record(
        action=action,
        actor=by,
        obj=appraisal,
        from_state=before,
        to_state=appraisal.state,
        reason=reason,
        data={"cadre": appraisal.dispatch.cadre.name, "village": appraisal.dispatch.village.name, **(data or {})},
    )


def _lock_round_shared(round_pk: int) -> str:
    """Read the round's state, holding it against being closed until this transaction ends (R-A5).

    Votes and paper tallies take a shared lock, so any number of them go on side by side while closing
    the round, which takes the exclusive one, waits for them and is then seen by every later one.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT state FROM {AppraisalRound._meta.db_table} WHERE id = %s FOR SHARE", [round_pk])
            row = cursor.fetchone()
        return row[0] if row else ""
    return AppraisalRound.objects.filter(pk=round_pk).values_list("state", flat=True).first() or ""


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
        flow = _flow()
        for dispatch in dispatches:
            appraisal = Appraisal.objects.create(
                round=round_, dispatch=dispatch, category=grading.category_of(dispatch.cadre)
            )
            OnlineTally.objects.bulk_create(OnlineTally(appraisal=appraisal, grade=g) for g in Grade.values)
            _audit(appraisal, action="appraisal.open", by=by, before="", data={"round": round_.title})
            flow.start.run(appraisal=appraisal)
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
    from appraisal.selectors import appraisals_without_votes
    from workflows.flows import finish_handle

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
            _audit(
                appraisal, action="appraisal.no_votes", by=by, before=appraisal.state, reason=appraisal.no_votes_reason
            )
        for appraisal in round_.appraisals.filter(state=AppraisalState.OPEN).order_by("pk"):
            finish_handle(_flow(), "votes_closed", appraisal)
    return round_


# --- Scores (R-A1) ---------------------------------------------------------------------------------


def _check_score(score, comment: str) -> tuple[int, str]:
    if score is None or isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise ValidationError(_("评分须为 0 到 100 之间的整数。"))
    if not (comment or "").strip():
        raise ValidationError(_("请填写评语。"))
    return score, comment.strip()


#: Who scores, by the flow node that asks them: permission, transition, and the message when already scored.
_SCORERS = {
    "score_township": (APPRAISE_AS_TOWNSHIP, "score_as_township", gettext_lazy("乡镇已经评过分。")),
    "score_unit": (APPRAISE_AS_UNIT, "score_as_unit", gettext_lazy("单位已经评过分。")),
}


def _score_enter(node: str, *, appraisal: Appraisal, score: int, comment: str, by: User) -> Appraisal:
    perm, transition, already = _SCORERS[node]
    score, comment = _check_score(score, comment)
    # Outside the transaction, so that the audit record of a refusal is not rolled back with it (R-X1).
    require_perm(by, perm, appraisal, action=f"appraisal.{node}")
    with transaction.atomic():
        appraisal = _locked(appraisal)
        require_state(appraisal, getattr(appraisal, transition), str(already))
        before = appraisal.state
        getattr(appraisal, transition)(score=score, comment=comment, by=by, at=timezone.now())
        appraisal.save()
        _audit(appraisal, action=f"appraisal.{node}", by=by, before=before, reason=comment, data={"score": score})
        _complete_task(appraisal, node, by)
    return appraisal


def township_score_enter(*, appraisal: Appraisal, score: int, comment: str, by: User) -> Appraisal:
    """The township committee scores a cadre stationed in its township, once (R-A1)."""
    return _score_enter("score_township", appraisal=appraisal, score=score, comment=comment, by=by)


def unit_score_enter(*, appraisal: Appraisal, score: int, comment: str, by: User) -> Appraisal:
    """The dispatching unit scores its own cadre, once (R-A1)."""
    return _score_enter("score_unit", appraisal=appraisal, score=score, comment=comment, by=by)


# --- Villagers' vote (R-A5) ------------------------------------------------------------------------


def may_issue_ballots(user: User | None, village: Village) -> bool:
    return may(user, COORDINATE_COUNTY, village) or may(user, APPRAISE_AS_TOWNSHIP, village)


def _require_may_issue(user: User | None, village: Village, *, action: str) -> None:
    if may_issue_ballots(user, village):
        return
    audit_refusal(action=f"{action}.refused", actor=user, obj=village, reason=_("越权操作被拒绝"))
    raise PermissionDenied(_("只有县委组织部和本乡镇党委可以为该村发放投票码。"))


def ballots_issue(*, round_: AppraisalRound, village: Village, count: int, by: User) -> BallotBatch:
    """Issue one-time ballot codes for a village whose cadre is appraised in an open round (R-A5)."""
    _require_may_issue(by, village, action="ballots.issue")
    most = policy("BALLOT_CODES_MAX_PER_ISSUE")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= most:
        raise ValidationError(_("每次可发放 1 到 %(most)s 张投票码。") % {"most": most})
    if round_.county_id != village.township.county_id:
        raise PermissionDenied(_("该村不属于本次考评的县。"))
    with transaction.atomic():
        if _lock_round_shared(round_.pk) != RoundState.OPEN:
            raise ValidationError(_("本次考评的村民评议已经结束,不能再发放投票码。"))
        if not round_.appraisals.filter(dispatch__village=village, state=AppraisalState.OPEN).exists():
            raise ValidationError(_("%(village)s 没有正在考评的驻村干部。") % {"village": village.name})
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    batch = BallotBatch.objects.create(round=round_, village=village, count=count, issued_by=by)
                    BallotCode.objects.bulk_create(
                        BallotCode(batch=batch, number=n, digest=ballots.digest(ballots.derive(batch.pk, n)))
                        for n in range(1, count + 1)
                    )
                break
            except IntegrityError:
                # Two derived codes met (odds about 1e-11 per pair): a new batch derives new codes.
                continue
        else:  # pragma: no cover - three collisions in a row do not happen
            raise ValidationError(_("生成投票码失败,请重试。"))
        audit_record(
            action="ballots.issue",
            actor=by,
            obj=batch,
            data={"round": round_.title, "village": village.name, "count": count},
        )
    return batch


def ballot_sheet_codes(*, batch: BallotBatch, by: User) -> list[str]:
    """The batch's codes not used yet, for printing; who printed them is audited (R-A5)."""
    _require_may_issue(by, batch.village, action="ballots.print")
    if batch.round.state != RoundState.OPEN:
        raise ValidationError(_("本次考评的村民评议已经结束,投票卡不再有用。"))
    numbers = list(batch.codes.filter(used=False).order_by("number").values_list("number", flat=True))
    audit_record(
        action="ballots.print",
        actor=by,
        obj=batch,
        data={"round": batch.round.title, "village": batch.village.name, "printed": len(numbers)},
    )
    return [ballots.derive(batch.pk, n) for n in numbers]


def ballot_open(code: str) -> tuple[BallotBatch, list[Appraisal]]:
    """The ballot a code opens: its village's cadres in an open round; anything else is refused alike (R-A5)."""
    entry = (
        BallotCode.objects.select_related("batch__round", "batch__village__township")
        .filter(digest=ballots.digest(code), used=False, batch__round__state=RoundState.OPEN)
        .first()
    )
    if entry is None:
        raise BallotRefused
    appraisals = list(
        entry.batch.round.appraisals.filter(dispatch__village=entry.batch.village, state=AppraisalState.OPEN)
        .select_related("dispatch__cadre", "dispatch__unit")
        .order_by("pk")
    )
    if not appraisals:
        raise BallotRefused
    return entry.batch, appraisals


def ballot_cast(*, code: str, choices: dict[int, str]) -> None:
    """One code, one ballot: mark the code used and add one to each chosen grade's count, or refuse (R-A5).

    The code is spent by a conditional UPDATE, so of two submissions of the same code exactly one counts.
    Nothing stored or audited says which code chose which grade: the tallies are bare counts.
    """
    if not choices or any(grade not in Grade.values for grade in choices.values()):
        raise BallotRefused
    with transaction.atomic():
        batch, appraisals = ballot_open(code)
        if _lock_round_shared(batch.round_id) != RoundState.OPEN:
            raise BallotRefused
        if set(choices) != {a.pk for a in appraisals}:
            raise BallotRefused
        spent = BallotCode.objects.filter(digest=ballots.digest(code), used=False).update(used=True)
        if spent != 1:
            raise BallotRefused
        for appraisal_pk, grade in sorted(choices.items()):
            OnlineTally.objects.filter(appraisal_id=appraisal_pk, grade=grade).update(count=F("count") + 1)
        audit_record(
            action="ballot.cast",
            actor=None,
            obj=batch.round,
            data={"village": batch.village.name, "township": batch.village.township.name},
        )


def _tier_open_appraisal(appraisal: Appraisal) -> Appraisal:
    appraisal = _locked(appraisal)
    if _lock_round_shared(appraisal.round_id) != RoundState.OPEN or appraisal.state != AppraisalState.OPEN:
        raise ValidationError(_("村民评议已经结束,计票不能再录入或更改。"))
    return appraisal


def paper_session_enter(
    *,
    appraisal: Appraisal,
    held_on: datetime.date,
    excellent: int,
    competent: int,
    basically_competent: int,
    incompetent: int,
    invalid: int,
    ballots_collected: int,
    by: User,
    note: str = "",
) -> PaperSession:
    """The township enters the tallies of a paper ballot session; they add to the online votes (R-A5)."""
    counts = [excellent, competent, basically_competent, incompetent, invalid, ballots_collected]
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in counts):
        raise ValidationError(_("票数须为不小于 0 的整数。"))
    if excellent + competent + basically_competent + incompetent + invalid != ballots_collected:
        raise ValidationError(
            _("各等次票数与无效票之和(%(sum)s)与收回票数(%(n)s)不符。")
            % {"sum": excellent + competent + basically_competent + incompetent + invalid, "n": ballots_collected}
        )
    if ballots_collected == 0:
        raise ValidationError(_("收回票数为 0,无需录入。"))
    voters = policy("VILLAGE_VOTERS_MAX")
    if ballots_collected > voters:
        raise ValidationError(
            _("收回票数(%(n)s)超过一个村的选民人数上限(%(most)s 人),请核对。")
            % {"n": ballots_collected, "most": voters}
        )
    if not isinstance(held_on, datetime.date) or isinstance(held_on, datetime.datetime):
        raise ValidationError(_("请填写评议日期。"))
    if held_on > timezone.localdate():
        raise ValidationError(_("评议日期不能晚于今天。"))
    require_perm(by, APPRAISE_AS_TOWNSHIP, appraisal, action="paper_session.enter")
    with transaction.atomic():
        appraisal = _tier_open_appraisal(appraisal)
        # The villagers evaluate the cadre's stay in their village: not before it began (R-A1).
        arrived = appraisal.dispatch.stationed_on
        if arrived is not None and held_on < arrived:
            raise ValidationError(
                _("评议日期(%(day)s)早于该干部到村日期(%(arrived)s),请核对。")
                % {"day": held_on.isoformat(), "arrived": arrived.isoformat()}
            )
        # One vote per voter per cadre (R-A5): online and paper votes together are at most the village's voters.
        so_far = sum(appraisal.online_tallies.values_list("count", flat=True)) + sum(
            appraisal.paper_sessions.filter(voided_at__isnull=True).values_list("ballots", flat=True)
        )
        if so_far + ballots_collected > voters:
            raise ValidationError(
                _(
                    "该干部已有网上和现场评议票 %(so_far)s 张,再录入 %(n)s 张将超过一个村的选民人数上限"
                    "(%(most)s 人),请核对。"
                )
                % {"so_far": so_far, "n": ballots_collected, "most": voters}
            )
        session = PaperSession.objects.create(
            appraisal=appraisal,
            held_on=held_on,
            ballots=ballots_collected,
            excellent=excellent,
            competent=competent,
            basically_competent=basically_competent,
            incompetent=incompetent,
            invalid=invalid,
            note=note.strip(),
            entered_by=by,
        )
        audit_record(
            action="paper_session.enter",
            actor=by,
            obj=appraisal,
            reason=session.note,
            data={
                "session": session.pk,
                "held_on": str(held_on),
                "ballots": ballots_collected,
                "excellent": excellent,
                "competent": competent,
                "basically_competent": basically_competent,
                "incompetent": incompetent,
                "invalid": invalid,
            },
        )
    return session


def paper_session_void(*, session: PaperSession, reason: str, by: User) -> PaperSession:
    """The township voids a wrongly entered session while the vote is open, with a reason (R-A5)."""
    if not reason.strip():
        raise ValidationError(_("请填写作废理由。"))
    require_perm(by, APPRAISE_AS_TOWNSHIP, session.appraisal, action="paper_session.void")
    with transaction.atomic():
        _tier_open_appraisal(session.appraisal)
        session = PaperSession.objects.select_for_update().get(pk=session.pk)
        if session.voided_at is not None:
            raise ValidationError(_("该次计票已经作废。"))
        session.voided_by, session.voided_at, session.void_reason = by, timezone.now(), reason.strip()
        session.save(update_fields=["voided_by", "voided_at", "void_reason"])
        audit_record(
            action="paper_session.void",
            actor=by,
            obj=session.appraisal,
            reason=session.void_reason,
            data={"session": session.pk, "held_on": str(session.held_on), "ballots": session.ballots},
        )
    return session


# --- Proposal (R-A2, R-A2a), run by the flow once scores and votes are in ----------------------------


def vote_totals(appraisal: Appraisal) -> dict[str, int]:
    """Online and paper votes added together (R-A5)."""
    totals = dict.fromkeys(Grade.values, 0)
    for grade, count in appraisal.online_tallies.values_list("grade", "count"):
        totals[grade] += count
    for session in appraisal.paper_sessions.filter(voided_at__isnull=True):
        for grade, count in session.vote_counts().items():
            totals[grade] += count
    return totals


def unexcused_absences(dispatch: Dispatch) -> int:
    """Days recorded absent (缺勤) in the day ledger over the term (R-A2a, R-M1)."""
    from leave.selectors.attendance import absences_in

    last = dispatch.ended_on or dispatch.term_ends_on
    return len(absences_in([dispatch.pk], dispatch.stationed_on, last).get(dispatch.pk, []))


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
        _audit(
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
        proposal = grading.propose(
            township=appraisal.township_score, unit=appraisal.unit_score, votes=votes, absences=absences
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
        _audit(
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
        _audit(
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
            dispatch.appraise(on=min(today, dispatch.term_ends_on))
            dispatch.save()
            audit_record(
                action="dispatch.appraise",
                actor=by,
                obj=dispatch,
                from_state=dispatch_before,
                to_state=dispatch.state,
                data={"grade": grade, "ended_on": str(dispatch.ended_on)},
            )
        _complete_task(appraisal, "finalise", by)
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
        _audit(appraisal, action="appraisal.reopen", by=by, before=before, reason=reason, data={"was": was})
        _flow().reopen.run(appraisal=appraisal)
    return appraisal


def appraisal_cancel(*, appraisal: Appraisal, reason: str, by: User) -> Appraisal:
    """The org dept takes a cadre out of the round (recalled, or listed by mistake), with a reason (R-A1)."""
    from workflows.flows import cancel_process_of

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
        _audit(appraisal, action="appraisal.cancel", by=by, before=before, reason=reason)
        cancel_process_of(_flow(), appraisal)
    return appraisal
