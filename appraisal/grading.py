"""The arithmetic of a proposed grade: weights, thresholds, the absence cap and the excellence share (R-A2, R-A2a).

Pure functions of numbers and settings, so every boundary is tested without a database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from appraisal.models import GRADE_ORDER, CadreCategory, Grade
from workflows.models import Cadre, Rank
from workflows.policy import policy

TWO_PLACES = Decimal("0.01")

#: Ranks counted as 科级及以上 when the excellence share is capped per category (R-A2a).
LEADING_RANKS = {Rank.SECTION_DEPUTY, Rank.SECTION_CHIEF, Rank.LEVEL4_PRINCIPAL}


def category_of(cadre: Cadre) -> str:
    return CadreCategory.LEADING if cadre.rank in LEADING_RANKS else CadreCategory.GENERAL


def _round(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def villagers_score(votes: dict[str, int]) -> Decimal | None:
    """The villagers' votes as a 0-100 score: each vote worth its grade's setting; None when nobody voted."""
    total = sum(votes.values())
    if total == 0:
        return None
    worth = {
        Grade.EXCELLENT: policy("VOTE_SCORE_EXCELLENT"),
        Grade.COMPETENT: policy("VOTE_SCORE_COMPETENT"),
        Grade.BASICALLY_COMPETENT: policy("VOTE_SCORE_BASICALLY_COMPETENT"),
        Grade.INCOMPETENT: policy("VOTE_SCORE_INCOMPETENT"),
    }
    points = sum(Decimal(worth[grade]) * count for grade, count in votes.items())
    return _round(points / total)


def combined_score(township: int, unit: int, villagers: Decimal | None) -> Decimal:
    """Weighted by the settings; with no villagers' votes at all, the two scores keep their relative weights."""
    parts = [(Decimal(township), policy("APPRAISAL_WEIGHT_TOWNSHIP")), (Decimal(unit), policy("APPRAISAL_WEIGHT_UNIT"))]
    if villagers is not None:
        parts.append((villagers, policy("APPRAISAL_WEIGHT_VILLAGERS")))
    weight = sum(w for _score, w in parts)
    return _round(sum(score * w for score, w in parts) / weight)


def grade_for(score: Decimal) -> str:
    """The grade a combined score reaches; each threshold is the lowest score of its grade."""
    if score >= policy("GRADE_MIN_EXCELLENT"):
        return Grade.EXCELLENT
    if score >= policy("GRADE_MIN_COMPETENT"):
        return Grade.COMPETENT
    if score >= policy("GRADE_MIN_BASICALLY_COMPETENT"):
        return Grade.BASICALLY_COMPETENT
    return Grade.INCOMPETENT


def absence_cap(absences: int) -> str | None:
    """The best grade a cadre with this many unexcused absences may have, or None for no cap (R-A2a)."""
    if absences >= policy("ABSENCES_CAP_INCOMPETENT"):
        return Grade.INCOMPETENT
    if absences >= policy("ABSENCES_CAP_BASICALLY_COMPETENT"):
        return Grade.BASICALLY_COMPETENT
    if absences >= policy("ABSENCES_CAP_NOT_EXCELLENT"):
        return Grade.COMPETENT
    return None


def worse(a: str, b: str) -> str:
    return a if GRADE_ORDER.index(a) >= GRADE_ORDER.index(b) else b


@dataclass(frozen=True)
class Proposal:
    villagers_score: Decimal | None
    combined_score: Decimal
    computed_grade: str
    proposed_grade: str
    note: str


def propose(*, township: int, unit: int, votes: dict[str, int], absences: int) -> Proposal:
    """Combine the three parts into a grade, then apply the absence cap (R-A2, R-A2a)."""
    villagers = villagers_score(votes)
    combined = combined_score(township, unit, villagers)
    computed = grade_for(combined)
    notes = []
    if villagers is None:
        notes.append(_("没有村民评议票,综合得分按乡镇和单位评分的权重折算。"))
    proposed = computed
    cap = absence_cap(absences)
    if cap is not None and worse(computed, cap) != computed:
        proposed = cap
        notes.append(_("无故缺勤 %(n)s 天,等次最高为「%(grade)s」。") % {"n": absences, "grade": Grade(cap).label})
    return Proposal(villagers, combined, computed, proposed, "".join(notes))


def excellent_allowed(appraisals_in_category: int) -> int | None:
    """How many excellent grades a category of this size may have in a round; None when there is no cap (R-A2a).

    Rounded down: the cap is a ceiling, and local practice reads "不超过 N %" literally.
    """
    percent = policy("EXCELLENT_SHARE_CAP_PERCENT")
    if not percent:
        return None
    return math.floor(appraisals_in_category * percent / 100)
