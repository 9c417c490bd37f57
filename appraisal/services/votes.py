"""The villagers' vote: ballot codes, online ballots, paper tallies and their totals (R-A5)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal import ballots
from appraisal.models import (
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
from appraisal.services._base import _lock_round_shared, _locked
from workflows.audit import audit_record, audit_refusal
from workflows.guards import require_perm
from workflows.models import User, Village
from workflows.permissions import APPRAISE_AS_TOWNSHIP, COORDINATE_COUNTY, may
from workflows.policy import policy


class BallotRefused(Exception):
    """Any reason a ballot code cannot be used; the villager is told the same thing whatever it is (R-A5)."""


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


def vote_totals(appraisal: Appraisal) -> dict[str, int]:
    """Online and paper votes added together (R-A5)."""
    totals = dict.fromkeys(Grade.values, 0)
    for grade, count in appraisal.online_tallies.values_list("grade", "count"):
        totals[grade] += count
    for session in appraisal.paper_sessions.filter(voided_at__isnull=True):
        for grade, count in session.vote_counts().items():
            totals[grade] += count
    return totals
