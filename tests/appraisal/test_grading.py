"""The arithmetic of a proposed grade, without a database: weights, thresholds, absence caps, the excellence share.

R-A2: the grade combines the township's, the unit's and the villagers' scores by weights that are settings.
R-A2a: unexcused absences cap the grade; the share of excellent grades may be capped per cadre category.
"""

from decimal import Decimal

import pytest

from appraisal import grading
from appraisal.models import CadreCategory, Grade
from workflows.models import Cadre, Rank

D = Decimal
E, C, B, N = Grade.EXCELLENT, Grade.COMPETENT, Grade.BASICALLY_COMPETENT, Grade.INCOMPETENT


def votes(excellent=0, competent=0, basically=0, incompetent=0) -> dict[str, int]:
    return {E: excellent, C: competent, B: basically, N: incompetent}


@pytest.fixture
def policy(settings):
    """Change some policy numbers for one test: `policy(GRADE_MIN_EXCELLENT=85)`."""

    def change(**numbers):
        settings.POLICY = {**settings.POLICY, **numbers}

    return change


# --- Villagers' score (R-A2) ------------------------------------------------------------------------


@pytest.mark.parametrize(("grade", "worth"), [(E, D("100.00")), (C, D("80.00")), (B, D("60.00")), (N, D("0.00"))])
def test_a_single_vote_is_worth_its_grades_setting_r_a2(grade, worth):
    """R-A2: 优秀 100, 称职 80, 基本称职 60, 不称职 0 by default."""
    assert grading.villagers_score({**votes(), grade: 1}) == worth


def test_mixed_votes_average_their_worth_r_a2():
    """R-A2: (3×100 + 2×80 + 1×60 + 1×0) / 7 = 74.2857… → 74.29."""
    assert grading.villagers_score(votes(3, 2, 1, 1)) == D("74.29")


def test_villagers_score_rounds_half_up_to_two_places_r_a2():
    """R-A2: the average is rounded half up (not to even) to two places."""
    assert grading.villagers_score(votes(1, 0, 0, 7)) == D("12.50")  # 100 / 8 exactly
    assert grading.villagers_score(votes(1, 0, 0, 31)) == D("3.13")  # 100 / 32 = 3.125
    assert grading.villagers_score(votes(0, 0, 1, 31)) == D("1.88")  # 60 / 32 = 1.875
    assert grading.villagers_score(votes(2, 0, 0, 1)) == D("66.67")  # 200 / 3 = 66.666…
    assert grading.villagers_score(votes(1, 0, 0, 2)) == D("33.33")  # 100 / 3 = 33.333…


def test_villagers_score_has_two_decimal_places_r_a2():
    """R-A2: stored in a DecimalField of two places, the score is quantised, never 80.0 or 80.000."""
    score = grading.villagers_score(votes(0, 5))
    assert score == D("80") and score.as_tuple().exponent == -2


def test_no_votes_give_no_villagers_score_r_a2():
    """R-A2: nobody voted is not the same as everybody voting 不称职."""
    assert grading.villagers_score(votes()) is None
    assert grading.villagers_score({}) is None


def test_vote_worth_follows_the_settings_r_a2(policy):
    """R-A2: the worth of each grade's vote is a setting."""
    policy(
        VOTE_SCORE_EXCELLENT=95, VOTE_SCORE_COMPETENT=85, VOTE_SCORE_BASICALLY_COMPETENT=70, VOTE_SCORE_INCOMPETENT=40
    )
    assert grading.villagers_score(votes(1, 1, 1, 1)) == D("72.50")


# --- Combined score (R-A2) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("township", "unit", "villagers", "combined"),
    [
        # 0.4×90 + 0.3×80 + 0.3×85.5 = 36 + 24 + 25.65
        (90, 80, D("85.50"), D("85.65")),
        # 0.4×100 + 0.3×100 + 0.3×100
        (100, 100, D("100.00"), D("100.00")),
        (0, 0, D("0.00"), D("0.00")),
        # 0.4×95 + 0.3×70 + 0.3×74.29 = 38 + 21 + 22.287 = 81.287
        (95, 70, D("74.29"), D("81.29")),
        # 0.4×61 + 0.3×59 + 0.3×66.67 = 24.4 + 17.7 + 20.001 = 62.101
        (61, 59, D("66.67"), D("62.10")),
        # 0.4×89 + 0.3×90 + 0.3×91.65 = 35.6 + 27 + 27.495 = 90.095 → 90.10 (half up)
        (89, 90, D("91.65"), D("90.10")),
    ],
)
def test_combined_score_weighs_the_three_parts_40_30_30_r_a2(township, unit, villagers, combined):
    """R-A2: with the default weights, township 40 %, unit 30 %, villagers 30 %."""
    assert grading.combined_score(township, unit, villagers) == combined


@pytest.mark.parametrize(
    ("township", "unit", "combined"),
    [
        # (40×90 + 30×80) / 70 = 6000 / 70 = 85.714…
        (90, 80, D("85.71")),
        # (40×80 + 30×90) / 70 = 5900 / 70 = 84.285…
        (80, 90, D("84.29")),
        (75, 75, D("75.00")),
        # (40×100 + 30×0) / 70 = 57.142…
        (100, 0, D("57.14")),
    ],
)
def test_without_votes_the_two_scores_keep_their_relative_weights_r_a2(township, unit, combined):
    """R-A2: no villagers' votes at all: the 40 and 30 are renormalised to 4/7 and 3/7."""
    assert grading.combined_score(township, unit, None) == combined


def test_a_villagers_score_of_zero_is_still_weighed_r_a2():
    """R-A2: 0 is a score (everyone voted 不称职), not a missing one: 0.4×90 + 0.3×80 + 0 = 60."""
    assert grading.combined_score(90, 80, D("0.00")) == D("60.00")


def test_other_weights_change_the_combined_score_r_a2(policy):
    """R-A2: the weights are settings: 50/30/20 gives 0.5×90 + 0.3×80 + 0.2×60 = 81."""
    policy(APPRAISAL_WEIGHT_TOWNSHIP=50, APPRAISAL_WEIGHT_UNIT=30, APPRAISAL_WEIGHT_VILLAGERS=20)
    assert grading.combined_score(90, 80, D("60.00")) == D("81.00")
    # Without votes: (50×90 + 30×80) / 80 = 86.25.
    assert grading.combined_score(90, 80, None) == D("86.25")


# --- Thresholds (R-A2) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", E),
        ("90", E),
        ("90.00", E),
        ("89.99", C),
        ("75", C),
        ("75.00", C),
        ("74.99", B),
        ("60", B),
        ("60.00", B),
        ("59.99", N),
        ("0", N),
    ],
)
def test_each_threshold_is_the_lowest_score_of_its_grade_r_a2(score, grade):
    """R-A2: ≥ 90 优秀, ≥ 75 称职, ≥ 60 基本称职, below 不称职."""
    assert grading.grade_for(D(score)) == grade


def test_other_thresholds_change_the_grade_r_a2(policy):
    """R-A2: the thresholds are settings."""
    policy(GRADE_MIN_EXCELLENT=85, GRADE_MIN_COMPETENT=70, GRADE_MIN_BASICALLY_COMPETENT=50)
    assert grading.grade_for(D("85.00")) == E
    assert grading.grade_for(D("84.99")) == C
    assert grading.grade_for(D("70.00")) == C
    assert grading.grade_for(D("69.99")) == B
    assert grading.grade_for(D("50.00")) == B
    assert grading.grade_for(D("49.99")) == N


# --- Absence cap (R-A2a) ----------------------------------------------------------------------------


@pytest.mark.parametrize(("absences", "cap"), [(0, None), (1, C), (2, B), (3, N), (4, N), (30, N)])
def test_absences_give_the_best_grade_allowed_r_a2a(absences, cap):
    """R-A2a: 1 → not excellent; 2 → at most 基本称职; 3 or more → 不称职."""
    assert grading.absence_cap(absences) == cap


#: Scores (township = unit, no votes) that reach each grade.
SCORE_OF = {E: 95, C: 80, B: 65, N: 50}

CAPPED = {
    0: {E: E, C: C, B: B, N: N},
    1: {E: C, C: C, B: B, N: N},
    2: {E: B, C: B, B: B, N: N},
    3: {E: N, C: N, B: N, N: N},
    4: {E: N, C: N, B: N, N: N},
}


@pytest.mark.parametrize("absences", sorted(CAPPED))
@pytest.mark.parametrize("computed", [E, C, B, N])
def test_the_absence_cap_only_ever_lowers_the_proposed_grade_r_a2a(computed, absences):
    """R-A2a: the proposal is the worse of the computed grade and the cap; the computed grade is kept."""
    score = SCORE_OF[computed]
    proposal = grading.propose(township=score, unit=score, votes=votes(), absences=absences)
    assert proposal.computed_grade == computed
    assert proposal.proposed_grade == CAPPED[absences][computed]
    assert proposal.combined_score == D(score)
    assert proposal.villagers_score is None
    capped = proposal.proposed_grade != computed
    assert ("无故缺勤" in proposal.note) == capped
    if capped:
        assert f"{absences} 天" in proposal.note
        assert f"「{Grade(proposal.proposed_grade).label}」" in proposal.note


def test_one_absence_keeps_an_excellent_score_from_excellent_r_a2a():
    """R-A2a: 100 from everyone but one unexcused absence: 称职 at best."""
    proposal = grading.propose(township=100, unit=100, votes=votes(10), absences=1)
    assert (proposal.computed_grade, proposal.proposed_grade) == (E, C)


def test_other_absence_caps_change_the_proposal_r_a2a(policy):
    """R-A2a: the caps are settings: with 2 / 4 / 6, one absence costs nothing and two cost 优秀."""
    policy(ABSENCES_CAP_NOT_EXCELLENT=2, ABSENCES_CAP_BASICALLY_COMPETENT=4, ABSENCES_CAP_INCOMPETENT=6)
    assert grading.absence_cap(1) is None
    assert grading.absence_cap(2) == C
    assert grading.absence_cap(3) == C
    assert grading.absence_cap(4) == B
    assert grading.absence_cap(5) == B
    assert grading.absence_cap(6) == N
    assert grading.propose(township=95, unit=95, votes=votes(), absences=1).proposed_grade == E
    assert grading.propose(township=95, unit=95, votes=votes(), absences=3).proposed_grade == C


# --- The whole proposal (R-A2) ----------------------------------------------------------------------


def test_the_proposal_combines_votes_and_scores_r_a2():
    """R-A2: villagers (3×100 + 1×80) / 4 = 95; combined 0.4×88 + 0.3×90 + 0.3×95 = 90.7 → 优秀."""
    proposal = grading.propose(township=88, unit=90, votes=votes(3, 1), absences=0)
    assert proposal.villagers_score == D("95.00")
    assert proposal.combined_score == D("90.70")
    assert proposal.computed_grade == proposal.proposed_grade == E
    assert proposal.note == ""


def test_a_proposal_without_votes_says_so_r_a2():
    """R-A2: the note tells the org dept the score was renormalised."""
    proposal = grading.propose(township=88, unit=90, votes=votes(), absences=0)
    assert proposal.combined_score == D("88.86")  # (40×88 + 30×90) / 70 = 88.857…
    assert "没有村民评议票" in proposal.note


def test_changed_settings_change_the_proposed_grade_r_a2(policy):
    """R-A2: the same scores cross a different threshold under different settings."""
    assert grading.propose(township=88, unit=88, votes=votes(), absences=0).proposed_grade == C
    policy(GRADE_MIN_EXCELLENT=88)
    assert grading.propose(township=88, unit=88, votes=votes(), absences=0).proposed_grade == E


def test_changed_weights_change_the_proposed_grade_r_a2(policy):
    """R-A2: township 100, unit 80, villagers 90: the weights decide between 优秀 and 称职."""
    # 0.4×100 + 0.3×80 + 0.3×90 = 91 → 优秀
    assert grading.propose(township=100, unit=80, votes=votes(1, 1), absences=0).proposed_grade == E
    policy(APPRAISAL_WEIGHT_TOWNSHIP=20, APPRAISAL_WEIGHT_UNIT=50, APPRAISAL_WEIGHT_VILLAGERS=30)
    # 0.2×100 + 0.5×80 + 0.3×90 = 87 → 称职
    assert grading.propose(township=100, unit=80, votes=votes(1, 1), absences=0).proposed_grade == C


# --- The excellence share (R-A2a) -------------------------------------------------------------------


def test_no_excellence_cap_by_default_r_a2a():
    """R-A2a: the share cap is off by default: no limit at all."""
    assert grading.excellent_allowed(9) is None
    assert grading.excellent_allowed(0) is None


def test_excellence_cap_off_when_set_to_zero_r_a2a(policy):
    """R-A2a: 0 % means off, not 'nobody may be excellent'."""
    policy(EXCELLENT_SHARE_CAP_PERCENT=0)
    assert grading.excellent_allowed(100) is None


@pytest.mark.parametrize(
    ("percent", "size", "allowed"),
    [
        (10, 9, 0),
        (10, 10, 1),
        (10, 19, 1),
        (10, 20, 2),
        (25, 8, 2),
        (25, 7, 1),
        (25, 4, 1),
        (25, 3, 0),
        (50, 2, 1),
        (50, 1, 0),
        (100, 3, 3),
        (15, 0, 0),
    ],
)
def test_the_excellence_cap_rounds_down_r_a2a(policy, percent, size, allowed):
    """R-A2a: "不超过 N %" is a ceiling: 10 % of 9 is 0.9, so none; 25 % of 8 is 2."""
    policy(EXCELLENT_SHARE_CAP_PERCENT=percent)
    assert grading.excellent_allowed(size) == allowed


# --- Categories (R-A2a) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "category"),
    [
        (Rank.SECTION_DEPUTY, CadreCategory.LEADING),
        (Rank.SECTION_CHIEF, CadreCategory.LEADING),
        (Rank.LEVEL4_PRINCIPAL, CadreCategory.LEADING),
        (Rank.STAFF, CadreCategory.GENERAL),
        (Rank.LEVEL1_STAFF, CadreCategory.GENERAL),
        (Rank.OTHER, CadreCategory.GENERAL),
    ],
)
def test_a_cadres_rank_gives_the_category_the_excellence_share_is_counted_in_r_a2a(rank, category):
    """R-A2a: 科级及以上 and 一般干部 are counted separately."""
    assert grading.category_of(Cadre(rank=rank)) == category


def test_every_rank_has_a_category_r_a2a():
    """R-A2a: a rank added later falls in one of the two categories."""
    assert {grading.category_of(Cadre(rank=rank)) for rank in Rank.values} == set(CadreCategory.values)
