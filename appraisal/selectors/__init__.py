"""Reads of the appraisal: progress per township, the queues, a cadre's record and promotion answer (R-A1 … R-A5)."""

from appraisal.selectors.record import (
    EXPERIENCE_STATES,
    Experience,
    PromotionAnswer,
    StationingSpan,
    add_years,
    certified,
    experience_of,
    may_be_promoted,
    stationing_span,
)
from appraisal.selectors.rounds import (
    APPRAISAL_RELATED,
    RoundProgress,
    TownshipProgress,
    VoteRow,
    appraisals_awaiting_finalisation,
    appraisals_visible_to,
    appraisals_without_votes,
    batches_of_round,
    round_progress,
    rounds_visible_to,
    vote_rows,
)
from appraisal.selectors.terms import (
    TermCounts,
    TermSummary,
    term_counts,
    term_summary,
)

__all__ = [
    "APPRAISAL_RELATED",
    "EXPERIENCE_STATES",
    "Experience",
    "PromotionAnswer",
    "RoundProgress",
    "StationingSpan",
    "TermCounts",
    "TermSummary",
    "TownshipProgress",
    "VoteRow",
    "add_years",
    "appraisals_awaiting_finalisation",
    "appraisals_visible_to",
    "appraisals_without_votes",
    "batches_of_round",
    "certified",
    "experience_of",
    "may_be_promoted",
    "round_progress",
    "rounds_visible_to",
    "stationing_span",
    "term_counts",
    "term_summary",
    "vote_rows",
]
