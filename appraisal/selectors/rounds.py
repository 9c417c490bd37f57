"""Reads of the rounds: who sees which appraisal, villages without votes, the votes, progress (R-A1, R-A5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

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
)
from workflows.models import User
from workflows.permissions import COORDINATE_COUNTY, acting_on, visible_to
from workflows.policy import policy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

APPRAISAL_RELATED = ("round__county", "dispatch__cadre", "dispatch__unit", "dispatch__village__township")


def appraisals_visible_to(user: User | None) -> QuerySet[Appraisal]:
    return visible_to(user, Appraisal.objects.select_related(*APPRAISAL_RELATED))


def appraisals_awaiting_finalisation(user: User | None) -> QuerySet[Appraisal]:
    """Appraisals proposed and waiting for this user's finalisation, in the counties they coordinate (R-A2)."""
    return acting_on(
        user,
        COORDINATE_COUNTY,
        Appraisal.objects.filter(state=AppraisalState.PROPOSED).select_related(*APPRAISAL_RELATED),
    ).order_by("dispatch__village__township__code", "dispatch__village__code", "pk")


def appraisals_without_votes(round_: AppraisalRound) -> QuerySet[Appraisal]:
    """The round's appraisals still in the vote with not one villager's vote, online or on paper (R-A1, R-A5)."""
    online = OnlineTally.objects.filter(appraisal=OuterRef("pk"), count__gt=0)
    paper = PaperSession.objects.filter(appraisal=OuterRef("pk"), voided_at__isnull=True).filter(
        Q(excellent__gt=0) | Q(competent__gt=0) | Q(basically_competent__gt=0) | Q(incompetent__gt=0)
    )
    return (
        round_.appraisals.filter(state=AppraisalState.OPEN)
        .exclude(Exists(online))
        .exclude(Exists(paper))
        .select_related(*APPRAISAL_RELATED)
        .order_by("dispatch__village__township__code", "dispatch__village__code", "pk")
    )


def rounds_visible_to(user: User | None) -> QuerySet[AppraisalRound]:
    """Rounds of the counties the user reads, and rounds holding an appraisal of the user's tier or their own."""
    seen = appraisals_visible_to(user).values("round_id")
    return (
        AppraisalRound.objects.filter(
            Q(pk__in=seen) | Q(pk__in=visible_to(user, AppraisalRound.objects.all()).values("pk"))
        )
        .select_related("county")
        .order_by("-opened_at")
    )


@dataclass(frozen=True)
class VoteRow:
    grade: str
    label: StrOrPromise
    count: int
    worth: int


def vote_rows(appraisal: Appraisal) -> list[VoteRow]:
    """The collected votes per grade, with what each is worth, for the finalisation page (R-A2)."""
    worth: dict[str, str] = {
        Grade.EXCELLENT: "VOTE_SCORE_EXCELLENT",
        Grade.COMPETENT: "VOTE_SCORE_COMPETENT",
        Grade.BASICALLY_COMPETENT: "VOTE_SCORE_BASICALLY_COMPETENT",
        Grade.INCOMPETENT: "VOTE_SCORE_INCOMPETENT",
    }
    return [
        VoteRow(grade, Grade(grade).label, count, policy(worth[grade]))
        for grade, count in appraisal.vote_counts().items()
    ]


# --- The round's progress (R-A1, R-A5) ---------------------------------------------------------------


@dataclass
class TownshipProgress:
    township_id: int
    township: str
    cadres: int = 0
    township_scored: int = 0
    unit_scored: int = 0
    proposed: int = 0
    finalised: int = 0
    cancelled: int = 0
    codes_issued: int = 0
    codes_used: int = 0
    paper_ballots: int = 0


@dataclass
class RoundProgress:
    round: AppraisalRound
    townships: list[TownshipProgress] = field(default_factory=list)
    grades: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> TownshipProgress:
        total = TownshipProgress(0, _("合计"))
        for row in self.townships:
            for name in (
                "cadres",
                "township_scored",
                "unit_scored",
                "proposed",
                "finalised",
                "cancelled",
                "codes_issued",
                "codes_used",
                "paper_ballots",
            ):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total


def round_progress(round_: AppraisalRound, appraisals: QuerySet[Appraisal]) -> RoundProgress:
    """Per township: scores in, ballots issued and cast, grades proposed and finalised (four queries)."""
    township_field = "dispatch__village__township"
    live = Q(state__in=LIVE_STATES)
    rows = (
        appraisals.filter(round=round_)
        .values(f"{township_field}_id", f"{township_field}__name", f"{township_field}__code")
        .annotate(
            cadres=Count("pk", filter=live),
            township_scored=Count("pk", filter=live & Q(township_score__isnull=False)),
            unit_scored=Count("pk", filter=live & Q(unit_score__isnull=False)),
            proposed=Count("pk", filter=Q(state=AppraisalState.PROPOSED)),
            finalised=Count("pk", filter=Q(state=AppraisalState.FINALISED)),
            cancelled=Count("pk", filter=Q(state=AppraisalState.CANCELLED)),
            paper=Sum("paper_sessions__ballots", filter=Q(paper_sessions__voided_at__isnull=True)),
        )
        .order_by(f"{township_field}__code")
    )
    progress = RoundProgress(round_)
    by_township = {}
    for row in rows:
        entry = TownshipProgress(
            row[f"{township_field}_id"],
            row[f"{township_field}__name"],
            row["cadres"],
            row["township_scored"],
            row["unit_scored"],
            row["proposed"],
            row["finalised"],
            row["cancelled"],
            paper_ballots=row["paper"] or 0,
        )
        by_township[entry.township_id] = entry
        progress.townships.append(entry)
    codes = (
        BallotCode.objects.filter(batch__round=round_, batch__village__township_id__in=list(by_township))
        .values("batch__village__township_id")
        .annotate(issued=Count("pk"), used=Count("pk", filter=Q(used=True)))
        .order_by()
    )
    for row in codes:
        entry = by_township[row["batch__village__township_id"]]
        entry.codes_issued, entry.codes_used = row["issued"], row["used"]
    grades = dict(
        appraisals.filter(round=round_, state=AppraisalState.FINALISED)
        .values_list("final_grade")
        .annotate(n=Count("pk"))
        .order_by()
    )
    progress.grades = {grade: grades.get(grade, 0) for grade in Grade.values}
    return progress


def batches_of_round(round_: AppraisalRound, villages: list[int]) -> QuerySet[BallotBatch]:
    return (
        BallotBatch.objects.filter(round=round_, village_id__in=villages)
        .select_related("village__township", "issued_by")
        .annotate(used=Count("codes", filter=Q(codes__used=True)))
        .order_by("village__code", "pk")
    )
