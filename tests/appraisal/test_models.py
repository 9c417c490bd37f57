"""Every legal and illegal transition of a round and of an appraisal, on the models alone (R-A1, R-A2, R-A5).

R-A1: a round holds the cadres whose term ends; each appraisal takes one township and one unit score.
R-A2: the scores and votes are collected, a grade is proposed, then finalised (and may be reopened).
R-A5: closing the round closes the villagers' vote.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from appraisal.models import (
    Appraisal,
    AppraisalRound,
    AppraisalState,
    CadreCategory,
    Grade,
    PaperSession,
    RoundState,
)

S = AppraisalState
NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
ON = datetime.date(2026, 3, 10)


def _round(w, title="2026年度考评") -> AppraisalRound:
    return AppraisalRound.objects.create(
        county=w["county"],
        title=title,
        year=2026,
        term_ends_from=datetime.date(2026, 1, 1),
        term_ends_to=datetime.date(2026, 12, 31),
        opened_by=w["people"]["org"],
    )


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def _save(appraisal: Appraisal) -> Appraisal:
    appraisal.save()
    return _fresh(appraisal)


def _score_township(a, w):
    a.score_as_township(score=88, comment="扎实", by=w["people"]["town_a"], at=NOW)


def _score_unit(a, w):
    a.score_as_unit(score=90, comment="良好", by=w["people"]["head_a"], at=NOW)


def _collect(a, w):
    a.collect(votes={Grade.EXCELLENT: 3, Grade.COMPETENT: 1}, absences=0)


def _propose(a, w):
    a.propose(
        villagers_score=Decimal("95.00"),
        combined_score=Decimal("90.70"),
        computed_grade=Grade.EXCELLENT,
        proposed_grade=Grade.EXCELLENT,
        note="",
    )


def _finalise(a, w):
    a.finalise(grade=Grade.EXCELLENT, reason="", by=w["people"]["org"], on=ON)


def _reopen(a, w):
    a.reopen(reason="群众反映情况需核实")


def _cancel(a, w):
    a.cancel(reason="已召回")


TRANSITIONS = {
    "score_as_township": _score_township,
    "score_as_unit": _score_unit,
    "collect": _collect,
    "propose": _propose,
    "finalise": _finalise,
    "reopen": _reopen,
    "cancel": _cancel,
}

#: The transitions each state allows (conditions aside); every other pair is illegal.
LEGAL = {
    S.OPEN: {"score_as_township", "score_as_unit", "collect", "cancel"},
    S.COLLECTED: {"propose", "cancel"},
    S.PROPOSED: {"finalise", "cancel"},
    S.FINALISED: {"reopen"},
    S.CANCELLED: set(),
}
ILLEGAL = [(state, name) for state in LEGAL for name in TRANSITIONS if name not in LEGAL[state]]

#: The legal path from OPEN to each state.
PATH = {
    S.OPEN: [],
    S.COLLECTED: ["score_as_township", "score_as_unit", "collect"],
    S.PROPOSED: ["score_as_township", "score_as_unit", "collect", "propose"],
    S.FINALISED: ["score_as_township", "score_as_unit", "collect", "propose", "finalise"],
    S.CANCELLED: ["cancel"],
}


@pytest.fixture
def w(stationed_world):
    w = dict(stationed_world)
    w["round"] = _round(w)
    return w


def _new(w) -> Appraisal:
    return Appraisal.objects.create(round=w["round"], dispatch=w["dispatch_a"], category=CadreCategory.GENERAL)


def _at(w, state) -> Appraisal:
    """An appraisal of cadre_a brought to `state` through the legal transitions, saved and re-fetched."""
    appraisal = _new(w)
    for name in PATH[state]:
        TRANSITIONS[name](appraisal, w)
        appraisal = _save(appraisal)
    assert appraisal.state == state
    return appraisal


# --- The round (R-A1, R-A5) -------------------------------------------------------------------------


def test_a_new_round_is_open_r_a1(w):
    """R-A1: a round opens in the open state, with nobody having closed it."""
    stored = _fresh(w["round"])
    assert stored.state == RoundState.OPEN and stored.is_open
    assert stored.closed_by is None and stored.closed_at is None


def test_closing_an_open_round_records_who_and_when_r_a5(w):
    """R-A5: OPEN → CLOSED, with the closer and the time."""
    round_ = _fresh(w["round"])
    round_.close(by=w["people"]["org"], at=NOW)
    round_.save()
    stored = _fresh(round_)
    assert stored.state == RoundState.CLOSED and not stored.is_open
    assert stored.closed_by == w["people"]["org"] and stored.closed_at == NOW


def test_a_closed_round_cannot_be_closed_again_r_a5(w):
    """R-A5: CLOSED is final; nothing reopens the vote."""
    round_ = _fresh(w["round"])
    round_.close(by=w["people"]["org"], at=NOW)
    round_.save()
    round_ = _fresh(round_)
    with pytest.raises(TransitionNotAllowed):
        round_.close(by=w["people"]["auditor"], at=NOW + datetime.timedelta(hours=1))
    stored = _fresh(round_)
    assert stored.state == RoundState.CLOSED
    assert stored.closed_by == w["people"]["org"] and stored.closed_at == NOW


def test_a_rounds_state_cannot_be_set_directly_r_a5(w):
    """R-A5: the state field is protected; only `close` changes it."""
    round_ = _fresh(w["round"])
    with pytest.raises(AttributeError):
        round_.state = RoundState.CLOSED


# --- Legal transitions of an appraisal (R-A1, R-A2) --------------------------------------------------


def test_a_new_appraisal_is_open_and_unscored_r_a1(w):
    """R-A1: a cadre enters the round open, with neither score."""
    appraisal = _fresh(_new(w))
    assert appraisal.state == S.OPEN
    assert appraisal.township_score is None and appraisal.unit_score is None
    assert appraisal.grade == ""


def test_the_township_scores_once_and_the_appraisal_stays_open_r_a1(w):
    """R-A1: OPEN → OPEN with the township's score, comment, scorer and time."""
    appraisal = _new(w)
    _score_township(appraisal, w)
    stored = _save(appraisal)
    assert stored.state == S.OPEN
    assert (stored.township_score, stored.township_comment) == (88, "扎实")
    assert stored.township_scored_by == w["people"]["town_a"] and stored.township_scored_at == NOW
    assert stored.unit_score is None


def test_the_unit_scores_once_and_the_appraisal_stays_open_r_a1(w):
    """R-A1: OPEN → OPEN with the unit's score, comment, scorer and time."""
    appraisal = _new(w)
    _score_unit(appraisal, w)
    stored = _save(appraisal)
    assert stored.state == S.OPEN
    assert (stored.unit_score, stored.unit_comment) == (90, "良好")
    assert stored.unit_scored_by == w["people"]["head_a"] and stored.unit_scored_at == NOW
    assert stored.township_score is None


@pytest.mark.parametrize("first", ["score_as_township", "score_as_unit"])
def test_the_two_scores_come_in_either_order_r_a1(w, first):
    """R-A1: neither scorer waits for the other."""
    appraisal = _new(w)
    second = "score_as_unit" if first == "score_as_township" else "score_as_township"
    TRANSITIONS[first](appraisal, w)
    appraisal = _save(appraisal)
    TRANSITIONS[second](appraisal, w)
    stored = _save(appraisal)
    assert stored.has_both_scores() and stored.state == S.OPEN


def test_collecting_takes_the_votes_and_absences_as_they_stand_r_a2(w):
    """R-A2, R-A5: OPEN → COLLECTED once both scores are in; the votes are copied, missing grades are 0."""
    appraisal = _at(w, S.OPEN)
    _score_township(appraisal, w)
    _score_unit(appraisal, w)
    appraisal = _save(appraisal)
    appraisal.collect(votes={Grade.EXCELLENT: 3, Grade.INCOMPETENT: 2}, absences=1)
    stored = _save(appraisal)
    assert stored.state == S.COLLECTED
    assert stored.vote_counts() == {
        Grade.EXCELLENT: 3,
        Grade.COMPETENT: 0,
        Grade.BASICALLY_COMPETENT: 0,
        Grade.INCOMPETENT: 2,
    }
    assert stored.votes_total == 5 and stored.absences == 1


def test_proposing_records_the_scores_and_grades_r_a2(w):
    """R-A2: COLLECTED → PROPOSED with the villagers' and combined scores, the computed and proposed grades."""
    appraisal = _at(w, S.COLLECTED)
    appraisal.propose(
        villagers_score=Decimal("95.00"),
        combined_score=Decimal("90.70"),
        computed_grade=Grade.EXCELLENT,
        proposed_grade=Grade.COMPETENT,
        note="无故缺勤 1 天",
    )
    stored = _save(appraisal)
    assert stored.state == S.PROPOSED
    assert (stored.villagers_score, stored.combined_score) == (Decimal("95.00"), Decimal("90.70"))
    assert (stored.computed_grade, stored.proposed_grade) == (Grade.EXCELLENT, Grade.COMPETENT)
    assert stored.proposal_note == "无故缺勤 1 天"
    assert stored.grade == ""


def test_finalising_records_the_grade_the_reason_who_and_when_r_a2(w):
    """R-A2: PROPOSED → FINALISED; the grade in force is the final one."""
    appraisal = _at(w, S.PROPOSED)
    appraisal.finalise(grade=Grade.COMPETENT, reason="群众评议一般", by=w["people"]["org"], on=ON)
    stored = _save(appraisal)
    assert stored.state == S.FINALISED
    assert (stored.final_grade, stored.final_reason) == (Grade.COMPETENT, "群众评议一般")
    assert stored.finalised_by == w["people"]["org"] and stored.finalised_on == ON
    assert stored.grade == Grade.COMPETENT


def test_reopening_clears_the_final_grade_and_keeps_the_proposal_r_a2(w):
    """R-A2: FINALISED → PROPOSED with the reason; the old final grade is no longer in force."""
    appraisal = _at(w, S.FINALISED)
    appraisal.reopen(reason="群众反映情况需核实")
    stored = _save(appraisal)
    assert stored.state == S.PROPOSED
    assert stored.reopen_reason == "群众反映情况需核实"
    assert (stored.final_grade, stored.final_reason, stored.finalised_by, stored.finalised_on) == ("", "", None, None)
    assert stored.proposed_grade == Grade.EXCELLENT
    assert stored.grade == ""


def test_a_reopened_appraisal_can_be_finalised_again_r_a2(w):
    """R-A2: PROPOSED → FINALISED → PROPOSED → FINALISED."""
    appraisal = _at(w, S.FINALISED)
    _reopen(appraisal, w)
    appraisal = _save(appraisal)
    appraisal.finalise(grade=Grade.BASICALLY_COMPETENT, reason="核实后降档", by=w["people"]["org"], on=ON)
    stored = _save(appraisal)
    assert stored.state == S.FINALISED and stored.final_grade == Grade.BASICALLY_COMPETENT


@pytest.mark.parametrize("state", [S.OPEN, S.COLLECTED, S.PROPOSED])
def test_an_appraisal_not_yet_finalised_can_be_cancelled_r_a1(w, state):
    """R-A1: OPEN, COLLECTED or PROPOSED → CANCELLED, with the reason."""
    appraisal = _at(w, state)
    appraisal.cancel(reason="已召回")
    stored = _save(appraisal)
    assert stored.state == S.CANCELLED and stored.cancel_reason == "已召回"


# --- Illegal transitions (R-A1, R-A2) ---------------------------------------------------------------


@pytest.mark.parametrize(("state", "name"), ILLEGAL, ids=[f"{s}-{n}" for s, n in ILLEGAL])
def test_a_transition_from_the_wrong_state_is_refused_and_changes_nothing_r_a2(w, state, name):
    """R-A1, R-A2: every pair of state and transition not in LEGAL raises TransitionNotAllowed."""
    appraisal = _at(w, state)
    before = {f.attname: getattr(appraisal, f.attname) for f in Appraisal._meta.concrete_fields}
    assert not can_proceed(getattr(appraisal, name), check_conditions=False)
    with pytest.raises(TransitionNotAllowed):
        TRANSITIONS[name](appraisal, w)
    assert appraisal.state == state
    stored = _fresh(appraisal)
    assert {f.attname: getattr(stored, f.attname) for f in Appraisal._meta.concrete_fields} == before


def test_the_legal_and_illegal_lists_cover_every_pair_r_a2():
    """R-A2: five states × seven transitions, nine of them legal."""
    assert len(ILLEGAL) + sum(len(names) for names in LEGAL.values()) == len(S) * len(TRANSITIONS)
    assert set(LEGAL) == set(S)


def test_a_second_township_score_is_refused_r_a1(w):
    """R-A1: the township scores once; the first score stands."""
    appraisal = _new(w)
    _score_township(appraisal, w)
    appraisal = _save(appraisal)
    assert not can_proceed(appraisal.score_as_township)
    with pytest.raises(TransitionNotAllowed):
        appraisal.score_as_township(score=60, comment="改分", by=w["people"]["town_a"], at=NOW)
    stored = _fresh(appraisal)
    assert (stored.township_score, stored.township_comment) == (88, "扎实")


def test_a_second_unit_score_is_refused_r_a1(w):
    """R-A1: the unit scores once; the first score stands."""
    appraisal = _new(w)
    _score_unit(appraisal, w)
    appraisal = _save(appraisal)
    assert not can_proceed(appraisal.score_as_unit)
    with pytest.raises(TransitionNotAllowed):
        appraisal.score_as_unit(score=100, comment="改分", by=w["people"]["head_a"], at=NOW)
    stored = _fresh(appraisal)
    assert (stored.unit_score, stored.unit_comment) == (90, "良好")


@pytest.mark.parametrize("scored", [[], ["score_as_township"], ["score_as_unit"]])
def test_collecting_is_refused_without_both_scores_r_a2(w, scored):
    """R-A2: no grade is proposed from one score or none."""
    appraisal = _new(w)
    for name in scored:
        TRANSITIONS[name](appraisal, w)
        appraisal = _save(appraisal)
    assert can_proceed(appraisal.collect, check_conditions=False)
    assert not can_proceed(appraisal.collect)
    with pytest.raises(TransitionNotAllowed):
        _collect(appraisal, w)
    stored = _fresh(appraisal)
    assert stored.state == S.OPEN and stored.votes_total == 0 and stored.absences is None


def test_an_appraisals_state_cannot_be_set_directly_r_a2(w):
    """R-A2: the state field is protected; only the transitions change it."""
    appraisal = _fresh(_new(w))
    with pytest.raises(AttributeError):
        appraisal.state = S.FINALISED


# --- What the database itself holds to (R-A1, R-A2, R-A5) ---------------------------------------------


def test_a_term_is_appraised_once_r_a1(w):
    """R-A1: a second live appraisal of the same dispatch is refused by the database."""
    _new(w)
    with pytest.raises(IntegrityError), transaction.atomic():
        _new(w)


def test_a_cancelled_appraisal_makes_room_for_another_r_a1(w):
    """R-A1: the uniqueness counts live appraisals only."""
    _at(w, S.CANCELLED)
    again = _new(w)
    assert _fresh(again).state == S.OPEN


def test_a_score_above_100_is_refused_by_the_database_r_a1(w):
    """R-A1: even around the services, a score is at most 100."""
    appraisal = _new(w)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appraisal.objects.filter(pk=appraisal.pk).update(township_score=101)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appraisal.objects.filter(pk=appraisal.pk).update(unit_score=101)


def test_a_finalised_appraisal_always_has_a_grade_r_a2(w):
    """R-A2: FINALISED with an empty final grade is refused by the database."""
    appraisal = _at(w, S.PROPOSED)
    appraisal.finalise(grade="", reason="", by=w["people"]["org"], on=ON)
    with pytest.raises(IntegrityError), transaction.atomic():
        appraisal.save()


def test_a_paper_sessions_counts_must_add_up_in_the_database_r_a5(w):
    """R-A5: 收回票数 = the four grades + invalid, or the row is refused."""
    appraisal = _new(w)
    fields = {"appraisal": appraisal, "held_on": ON, "entered_by": w["people"]["town_a"], "entered_at": timezone.now()}
    PaperSession.objects.create(
        ballots=5, excellent=2, competent=1, basically_competent=1, incompetent=0, invalid=1, **fields
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaperSession.objects.create(
            ballots=5, excellent=2, competent=1, basically_competent=1, incompetent=0, invalid=0, **fields
        )
