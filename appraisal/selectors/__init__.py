"""Reads of the appraisal: progress per township, the queues, a cadre's record and promotion answer (R-A1 … R-A5)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

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
from dispatch.models import ONCE_STATIONED, Dispatch, DispatchState
from leave.models import PRESENT_STATUSES, AttendanceDay, DayStatus
from workflows.models import Cadre, User
from workflows.permissions import visible_to
from workflows.policy import policy

APPRAISAL_RELATED = ("round__county", "dispatch__cadre", "dispatch__unit", "dispatch__village__township")


def appraisals_visible_to(user: User | None) -> QuerySet[Appraisal]:
    return visible_to(user, Appraisal.objects.select_related(*APPRAISAL_RELATED))


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


# --- Attendance over a term, for the scorers and the record (R-A2a, R-A4) ----------------------------


@dataclass(frozen=True)
class TermCounts:
    present: int = 0
    leave: int = 0
    absent: int = 0


def term_counts(dispatch_ids: list[int]) -> dict[int, TermCounts]:
    """Days in the village, on leave and absent over each term, from the day ledger, in one query."""
    if not dispatch_ids:
        return {}
    rows = (
        AttendanceDay.objects.filter(dispatch_id__in=dispatch_ids)
        .values("dispatch_id")
        .annotate(
            present=Count("pk", filter=Q(status__in=PRESENT_STATUSES)),
            leave=Count("pk", filter=Q(status=DayStatus.LEAVE)),
            absent=Count("pk", filter=Q(status=DayStatus.ABSENT)),
        )
        .order_by()
    )
    found = {row["dispatch_id"]: TermCounts(row["present"], row["leave"], row["absent"]) for row in rows}
    return {pk: found.get(pk, TermCounts()) for pk in dispatch_ids}


@dataclass(frozen=True)
class TermSummary:
    dispatch: Dispatch
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    counts: TermCounts


def term_summary(dispatch: Dispatch) -> TermSummary:
    """What a scorer should see before scoring: the term and its attendance, never typed again (R-A1)."""
    return TermSummary(
        dispatch,
        dispatch.stationed_on,
        dispatch.ended_on or dispatch.term_ends_on,
        term_counts([dispatch.pk])[dispatch.pk],
    )


@dataclass(frozen=True)
class VoteRow:
    grade: str
    label: str
    count: int
    worth: int


def vote_rows(appraisal: Appraisal) -> list[VoteRow]:
    """The collected votes per grade, with what each is worth, for the finalisation page (R-A2)."""
    worth = {
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


# --- A cadre's record and the consequences of a grade (R-A3, R-A4) -----------------------------------


@dataclass(frozen=True)
class Experience:
    dispatch: Dispatch
    starts_on: datetime.date
    ends_on: datetime.date | None
    days_in_village: int
    appraisal: Appraisal | None

    @property
    def grade(self) -> str:
        return self.appraisal.grade if self.appraisal else ""

    @property
    def grade_label(self) -> str:
        return Grade(self.grade).label if self.grade else ""


EXPERIENCE_STATES = ONCE_STATIONED


def experience_of(cadre: Cadre) -> list[Experience]:
    """Every stationing of the cadre with its village, dates, days in the village and grade (three queries)."""
    dispatches = list(
        cadre.dispatches.filter(state__in=EXPERIENCE_STATES, stationed_on__isnull=False)
        .select_related("village__township", "unit")
        .order_by("stationed_on")
    )
    counts = term_counts([d.pk for d in dispatches])
    appraisals = {
        a.dispatch_id: a
        for a in Appraisal.objects.filter(dispatch__in=dispatches)
        .exclude(state=AppraisalState.CANCELLED)
        .select_related("round")
    }
    return [
        Experience(
            d,
            d.stationed_on,
            d.ended_on or (d.term_ends_on if d.state != DispatchState.STATIONED else None),
            counts[d.pk].present,
            appraisals.get(d.pk),
        )
        for d in dispatches
    ]


@dataclass(frozen=True)
class StationingSpan:
    """The stationing terms added up, against the year(s) selecting organs expect (R-A4)."""

    days: int
    years_expected: int
    meets: bool


def stationing_span(experience: list[Experience], *, today: datetime.date) -> StationingSpan:
    """Add the terms' lengths (a term still running counts to today) and compare with the years expected."""
    days = sum(max(0, ((e.ends_on or today) - e.starts_on).days + 1) for e in experience)
    # A year of stationing is 365 days whether or not it spans a 29 February.
    years = policy("STATIONING_EXPERIENCE_YEARS_EXPECTED")
    return StationingSpan(days, years, days >= 365 * years)


def certified(experience: list[Experience]) -> list[Experience]:
    """What a certificate may state: terms with a finalised grade or that have ended, not one still running."""
    return [e for e in experience if e.grade or e.ends_on is not None]


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class PromotionAnswer:
    allowed: bool
    preferred: bool
    reason: str
    until: datetime.date | None = None


def may_be_promoted(cadre: Cadre, *, on: datetime.date) -> PromotionAnswer:
    """May this cadre be promoted on this date, and are they preferred? With the reason (R-A3, R-A4)."""
    years = policy("NO_PROMOTION_YEARS_AFTER_INCOMPETENT")
    finalised = list(
        Appraisal.objects.filter(dispatch__cadre=cadre, state=AppraisalState.FINALISED, finalised_on__lte=on)
        .select_related("round")
        .order_by("-finalised_on", "-pk")
    )
    for appraisal in finalised:
        if appraisal.final_grade == Grade.INCOMPETENT:
            until = add_years(appraisal.finalised_on, years)
            if on < until:
                return PromotionAnswer(
                    False,
                    False,
                    _("%(date)s「%(round)s」考核为不称职,%(years)s 年内不予提拔,%(until)s起方可提拔。")
                    % {
                        "date": _chinese_date(appraisal.finalised_on),
                        "round": appraisal.round.title,
                        "years": years,
                        "until": _chinese_date(until),
                    },
                    until,
                )
    latest = finalised[0] if finalised else None
    if latest is not None and latest.final_grade == Grade.EXCELLENT:
        return PromotionAnswer(
            True,
            True,
            _("%(date)s「%(round)s」考核为优秀,同等条件下优先选拔使用。")
            % {"date": _chinese_date(latest.finalised_on), "round": latest.round.title},
        )
    # A term served to its appraisal, and not found incompetent, is the stationing experience promotions prefer.
    served = [a for a in finalised if a.final_grade != Grade.INCOMPETENT]
    if served:
        return PromotionAnswer(
            True,
            True,
            _("有驻村蹲点工作经历(%(round)s,考核为%(grade)s),提任时同等条件下优先使用。")
            % {"round": served[0].round.title, "grade": Grade(served[0].final_grade).label},
        )
    return PromotionAnswer(True, False, _("没有影响提拔的考核结果。"))


def _chinese_date(day: datetime.date) -> str:
    return _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}
