"""Villagers' ballot codes and votes: one code one vote, secret, nothing after the close (R-A5).

R-A5: a villager vote is one vote per voter per cadre, secret, and cannot be changed or added after the vote
closes. The concurrent tests need real row locks, so they run on PostgreSQL with one connection per thread.
"""

import datetime
import json
import threading
import time

import pytest
from django.db import connection, models, transaction

from appraisal import ballots, services
from appraisal.models import (
    Appraisal,
    AppraisalRound,
    AppraisalState,
    BallotBatch,
    BallotCode,
    Grade,
    OnlineTally,
)
from appraisal.services import BallotRefused
from dispatch.models import Pairing
from tests.appraisal.conftest import STATIONED_ON, close_vote, score_both
from tests.dispatch.test_race import HOLD_SECONDS, _run_together, needs_postgresql
from tests.dispatch.test_team import stationed
from workflows.models import AuditEvent, User

E, C, B, N = Grade.EXCELLENT, Grade.COMPETENT, Grade.BASICALLY_COMPETENT, Grade.INCOMPETENT


def _issue(w, count=3, village="village_a") -> tuple[BallotBatch, list[str]]:
    org = w["people"]["org"]
    batch = services.ballots_issue(round_=w["round"], village=w[village], count=count, by=org)
    return batch, services.ballot_sheet_codes(batch=batch, by=org)


def _tallies(appraisal) -> dict[str, int]:
    return dict(OnlineTally.objects.filter(appraisal=appraisal).values_list("grade", "count"))


def _zero() -> dict[str, int]:
    return dict.fromkeys(Grade.values, 0)


def _used(code: str) -> bool:
    return BallotCode.objects.get(digest=ballots.digest(code)).used


def _audit_text(events) -> str:
    return " ".join(f"{e.object_repr} {e.reason} {json.dumps(e.data, ensure_ascii=False)}" for e in events)


# --- The codes (R-A5) -------------------------------------------------------------------------------


def test_a_code_is_12_letters_of_the_alphabet_without_look_alikes_r_a5():
    """R-A5: 12 characters from 31, no 0/O, 1/I/L."""
    assert len(ballots.ALPHABET) == 31 and not set("01OIL") & set(ballots.ALPHABET)
    for number in range(1, 101):
        code = ballots.derive(7, number)
        assert len(code) == ballots.LENGTH == 12
        assert set(code) <= set(ballots.ALPHABET)


def test_deriving_a_code_is_deterministic_per_batch_and_number_r_a5():
    """R-A5: a sheet can be reprinted: the same (batch, number) always gives the same code."""
    assert ballots.derive(3, 17) == ballots.derive(3, 17)
    assert [ballots.derive(4, n) for n in range(1, 20)] == [ballots.derive(4, n) for n in range(1, 20)]


def test_codes_differ_across_numbers_and_batches_r_a5():
    """R-A5: 5 batches × 200 slips, 1000 different codes; (12, 3) and (1, 23) do not meet either."""
    codes = {ballots.derive(batch, number) for batch in range(1, 6) for number in range(1, 201)}
    assert len(codes) == 1000
    assert ballots.derive(12, 3) != ballots.derive(1, 23)


def test_codes_depend_on_the_secret_key_r_a5(settings):
    """R-A5: without the key nobody can derive a village's codes from its batch and slip numbers."""
    before = ballots.derive(1, 1), ballots.digest("ABCDEFGHJKMN")
    settings.BALLOT_CODE_KEY = "another-key"
    assert ballots.derive(1, 1) != before[0]
    assert ballots.digest("ABCDEFGHJKMN") != before[1]


def test_the_digest_is_not_the_code_and_ignores_case_spaces_and_dashes_r_a5():
    """R-A5: what a villager types is normalised before it is digested."""
    code = ballots.derive(1, 1)
    digest = ballots.digest(code)
    assert digest != code and code not in digest and len(digest) == 64
    assert ballots.digest(ballots.formatted(code).lower()) == digest
    assert ballots.digest(" " + " ".join(ballots.formatted(code)) + " ") == digest
    assert ballots.digest(ballots.derive(1, 2)) != digest
    assert ballots.formatted(code) == f"{code[:4]}-{code[4:8]}-{code[8:]}"


def test_issued_codes_are_the_derived_ones_and_only_their_digests_are_stored_r_a5(round_world):
    """R-A5: no column of the ballot code table holds a code, in any form."""
    w = round_world
    batch, codes = _issue(w, count=5)
    assert codes == [ballots.derive(batch.pk, n) for n in range(1, 6)]
    rows = {row.number: row for row in batch.codes.all()}
    for number, code in enumerate(codes, start=1):
        assert rows[number].digest == ballots.digest(code)
    forms = {c for code in codes for c in (code, code.lower(), ballots.formatted(code))}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {BallotCode._meta.db_table}")
        stored = [str(value) for row in cursor.fetchall() for value in row]
        cursor.execute(f"SELECT * FROM {BallotBatch._meta.db_table}")
        stored += [str(value) for row in cursor.fetchall() for value in row]
    assert len(stored) >= 5 * len(BallotCode._meta.concrete_fields)
    assert not [value for value in stored for form in forms if form in value]


def test_printing_the_sheet_stores_and_audits_no_code_r_a5(round_world):
    """R-A5: the print is audited by count only."""
    w = round_world
    _batch, codes = _issue(w, count=4)
    text = _audit_text(AuditEvent.objects.all())
    assert not [code for code in codes if code in text or ballots.formatted(code) in text]


# --- One code, one vote (R-A5) -----------------------------------------------------------------------


def test_a_code_opens_the_ballot_of_its_villages_cadres_r_a5(round_world):
    """R-A5: the ballot shows the appraisals still open in the code's village."""
    w = round_world
    batch, [code, *_] = _issue(w)
    opened_batch, appraisals = services.ballot_open(code)
    assert opened_batch == batch and appraisals == [w["appraisal_a"]]


@pytest.mark.parametrize("code", ["", "ABCDEFGHJKMN", "2345-6789-ABCD", "x" * 200])
def test_an_unknown_code_is_refused_r_a5(round_world, code):
    """R-A5: anything that is not an issued code is refused alike."""
    with pytest.raises(BallotRefused):
        services.ballot_open(code)
    with pytest.raises(BallotRefused):
        services.ballot_cast(code=code, choices={round_world["appraisal_a"].pk: E})


def test_a_cast_adds_one_vote_to_the_chosen_grade_and_spends_the_code_r_a5(round_world):
    """R-A5: the tally of the chosen grade goes up by one; the code is used."""
    w = round_world
    _batch, [code, other, _] = _issue(w)
    services.ballot_cast(code=ballots.formatted(code).lower(), choices={w["appraisal_a"].pk: B})
    assert _tallies(w["appraisal_a"]) == {**_zero(), B: 1}
    assert _used(code) and not _used(other)
    assert _tallies(w["appraisal_b"]) == _zero()


@pytest.mark.parametrize("second", [E, B])
def test_a_code_votes_once_and_the_vote_cannot_be_changed_r_a5(round_world, second):
    """R-A5: the second cast of a code is refused, for the same grade or another; the tallies stay."""
    w = round_world
    _batch, [code, *_] = _issue(w)
    services.ballot_cast(code=code, choices={w["appraisal_a"].pk: E})
    with pytest.raises(BallotRefused):
        services.ballot_cast(code=code, choices={w["appraisal_a"].pk: second})
    with pytest.raises(BallotRefused):
        services.ballot_open(code)
    assert _tallies(w["appraisal_a"]) == {**_zero(), E: 1}
    assert AuditEvent.objects.filter(action="ballot.cast").count() == 1


def test_each_code_is_one_voter_r_a5(round_world):
    """R-A5: three codes, three votes."""
    w = round_world
    _batch, codes = _issue(w)
    for code, grade in zip(codes, [E, E, C], strict=True):
        services.ballot_cast(code=code, choices={w["appraisal_a"].pk: grade})
    assert _tallies(w["appraisal_a"]) == {**_zero(), E: 2, C: 1}


def test_casting_after_the_round_closes_is_refused_and_spends_nothing_r_a5(round_world):
    """R-A5: no vote is added after the vote closes."""
    w = round_world
    _batch, [code, *_] = _issue(w)
    close_vote(w["round"], w["people"]["org"])
    with pytest.raises(BallotRefused):
        services.ballot_open(code)
    with pytest.raises(BallotRefused):
        services.ballot_cast(code=code, choices={w["appraisal_a"].pk: E})
    assert _tallies(w["appraisal_a"]) == _zero()
    assert not _used(code)
    assert not AuditEvent.objects.filter(action="ballot.cast").exists()


def test_votes_counted_before_the_close_are_the_ones_collected_r_a5(round_world):
    """R-A5: the proposal takes exactly the votes cast while the vote was open."""
    w = round_world
    score_both(w, w["appraisal_a"])
    _batch, [first, second, late] = _issue(w)
    services.ballot_cast(code=first, choices={w["appraisal_a"].pk: E})
    services.ballot_cast(code=second, choices={w["appraisal_a"].pk: N})
    close_vote(w["round"], w["people"]["org"])
    with pytest.raises(BallotRefused):
        services.ballot_cast(code=late, choices={w["appraisal_a"].pk: E})
    stored = Appraisal.objects.get(pk=w["appraisal_a"].pk)
    assert stored.state == AppraisalState.PROPOSED
    assert stored.vote_counts() == {**_zero(), E: 1, N: 1}


def test_a_cancelled_cadre_can_no_longer_be_voted_on_r_a5(round_world):
    """R-A5: the code opens nothing once its village has no appraisal in the round."""
    w = round_world
    _batch, [code, *_] = _issue(w)
    services.appraisal_cancel(appraisal=w["appraisal_a"], reason="已召回", by=w["people"]["org"])
    with pytest.raises(BallotRefused):
        services.ballot_cast(code=code, choices={w["appraisal_a"].pk: E})
    assert not _used(code)


WRONG_CHOICES = [
    "none",
    "another village's cadre",
    "an extra cadre",
    "a grade that does not exist",
    "an empty grade",
    "no such appraisal",
]


def _wrong_choices(w, case: str) -> dict:
    a, b = w["appraisal_a"].pk, w["appraisal_b"].pk
    return {
        "none": {},
        "another village's cadre": {b: E},
        "an extra cadre": {a: E, b: E},
        "a grade that does not exist": {a: "outstanding"},
        "an empty grade": {a: ""},
        "no such appraisal": {a + b + 1000: E},
    }[case]


@pytest.mark.parametrize("case", WRONG_CHOICES)
def test_choices_not_matching_the_villages_cadres_are_refused_and_the_code_is_kept_r_a5(round_world, case):
    """R-A5: a refused ballot spends nothing: the villager can still vote with the same code."""
    w = round_world
    _batch, [code, *_] = _issue(w)
    with pytest.raises(BallotRefused):
        services.ballot_cast(code=code, choices=_wrong_choices(w, case))
    assert not _used(code)
    assert _tallies(w["appraisal_a"]) == _zero() and _tallies(w["appraisal_b"]) == _zero()
    services.ballot_cast(code=code, choices={w["appraisal_a"].pk: C})
    assert _tallies(w["appraisal_a"]) == {**_zero(), C: 1}


@pytest.fixture
def two_in_a_village(stationed_world, settings):
    """cadre_a and plain_a both stationed in 东官庄村 (allowed by setting), one round for all three cadres."""
    settings.POLICY = {**settings.POLICY, "ALLOW_TWO_CADRES_PER_VILLAGE_PER_ROUND": True}
    w = dict(stationed_world)
    assert Pairing.objects.filter(unit=w["unit_a"], village=w["village_a"], year=STATIONED_ON.year).exists()
    w["dispatch_plain"] = stationed(w["plain_a"], w["village_a"], on=STATIONED_ON)
    w["round"] = services.round_open(
        county=w["county"],
        title="2026年度考评",
        year=2026,
        term_ends_from=datetime.date(2026, 1, 1),
        term_ends_to=datetime.date(2026, 12, 31),
        by=w["people"]["org"],
    )
    w["appraisal_a"] = Appraisal.objects.get(dispatch=w["dispatch_a"])
    w["appraisal_plain"] = Appraisal.objects.get(dispatch=w["dispatch_plain"])
    return w


def test_one_ballot_votes_once_for_each_cadre_of_the_village_r_a5(two_in_a_village):
    """R-A5: one vote per voter per cadre: a ballot must choose for every cadre of the village, once."""
    w = two_in_a_village
    a, plain = w["appraisal_a"], w["appraisal_plain"]
    _batch, [code, *_] = _issue(w)
    _batch, appraisals = services.ballot_open(code)
    assert appraisals == [a, plain]
    with pytest.raises(BallotRefused):
        services.ballot_cast(code=code, choices={a.pk: E})
    assert not _used(code)
    services.ballot_cast(code=code, choices={a.pk: E, plain.pk: B})
    assert _tallies(a) == {**_zero(), E: 1} and _tallies(plain) == {**_zero(), B: 1}
    with pytest.raises(BallotRefused):
        services.ballot_cast(code=code, choices={a.pk: E, plain.pk: E})
    assert _tallies(a) == {**_zero(), E: 1} and _tallies(plain) == {**_zero(), B: 1}


# --- Secrecy (R-A5) ---------------------------------------------------------------------------------


def _related_models(model) -> set:
    return {f.related_model for f in model._meta.get_fields() if f.is_relation}


def test_an_online_tally_has_no_field_linking_to_a_code_a_voter_or_a_time_r_a5():
    """R-A5: a tally is a bare count per appraisal and grade."""
    fields = OnlineTally._meta.get_fields()
    assert {f.name for f in fields} == {"id", "appraisal", "grade", "count"}
    assert _related_models(OnlineTally) == {Appraisal}
    assert not _related_models(OnlineTally) & {BallotCode, BallotBatch, User}
    assert not [f for f in fields if isinstance(f, models.DateField | models.TimeField | models.DurationField)]
    assert not [f for f in fields if isinstance(f, models.GenericIPAddressField)]


def test_a_ballot_code_has_no_field_holding_a_grade_or_an_appraisal_r_a5():
    """R-A5: a code knows whether it was used, never how, nor when, nor by whom."""
    fields = BallotCode._meta.get_fields()
    assert {f.name for f in fields} == {"id", "batch", "number", "digest", "used"}
    assert _related_models(BallotCode) == {BallotBatch}
    assert not [f for f in fields if getattr(f, "choices", None)]
    assert not [f for f in fields if isinstance(f, models.DateField | models.TimeField | models.DurationField)]
    # The batch links codes to a village and a round, never to an appraisal or a vote.
    assert not _related_models(BallotBatch) & {Appraisal, OnlineTally}


def test_the_audit_of_a_cast_holds_neither_the_code_nor_the_grade_r_a5(round_world):
    """R-A5: the trail says a villager of 东官庄村 voted, not with which code nor for which grade."""
    w = round_world
    _batch, [code, *_] = _issue(w)
    mark = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    services.ballot_cast(code=code, choices={w["appraisal_a"].pk: B})
    written = list(AuditEvent.objects.filter(seq__gt=mark))
    assert [e.action for e in written] == ["ballot.cast"]
    [event] = written
    assert event.actor is None and event.actor_name == "" and event.ip is None
    assert event.content_type.model_class() is AppraisalRound and event.object_id == str(w["round"].pk)
    assert event.data == {"village": w["village_a"].name, "township": w["town_a"].name}
    cast_text = _audit_text(written)
    for secret in (B, str(Grade.BASICALLY_COMPETENT.label), "基本称职"):
        assert secret not in cast_text
    everything = _audit_text(AuditEvent.objects.all())
    for secret in (code, code.lower(), ballots.formatted(code), ballots.digest(code)):
        assert secret not in everything


# --- At once, on real row locks (PostgreSQL) --------------------------------------------------------


@needs_postgresql
def test_eight_submissions_of_one_code_at_once_count_exactly_one_vote_r_a5(transactional_db, round_world):
    """R-A5: eight tabs submit the same code together: one vote counted, seven refused, no error."""
    w = round_world
    _batch, [code, *_] = _issue(w)
    appraisal_pk = w["appraisal_a"].pk

    def cast(n):
        with transaction.atomic():
            services.ballot_cast(code=code, choices={appraisal_pk: E})
            # The winner keeps its transaction open, so that the others really meet its row lock.
            time.sleep(HOLD_SECONDS)
        return "counted"

    outcomes = _run_together(cast, count=8)
    assert outcomes.count("counted") == 1, outcomes
    assert all(isinstance(o, BallotRefused) for o in outcomes if o != "counted"), outcomes
    assert _tallies(w["appraisal_a"]) == {**_zero(), E: 1}
    assert _used(code)
    assert AuditEvent.objects.filter(action="ballot.cast").count() == 1


@needs_postgresql
def test_closing_the_round_while_votes_come_in_never_counts_a_vote_after_the_close_r_a5(transactional_db, round_world):
    """R-A5: votes in flight finish before the close or are refused; the proposal holds every counted vote.

    Three voters cast and hold their transactions; the org dept closes meanwhile (and must wait for them);
    three more vote around the close; two vote after it. Whatever the interleaving, every counted vote
    was audited before the close, the spent codes are exactly the counted votes, and the collected votes
    equal the tallies.
    """
    w = round_world
    score_both(w, w["appraisal_a"], township=90, unit=90)
    _batch, codes = _issue(w, count=8)
    appraisal_pk, round_pk, org_pk = w["appraisal_a"].pk, w["round"].pk, w["people"]["org"].pk
    silent_pk = w["appraisal_b"].pk  # village_b votes neither online nor on paper (R-A1)
    early_cast = [threading.Event() for _ in range(3)]
    closed = threading.Event()

    def voter(n):
        code = codes[n]
        if n >= 6:
            assert closed.wait(20)
        elif n >= 3:
            for event in early_cast:
                assert event.wait(20)
        with transaction.atomic():
            services.ballot_cast(code=code, choices={appraisal_pk: E})
            if n < 3:
                early_cast[n].set()
                time.sleep(HOLD_SECONDS)
        return "counted"

    def closer():
        for event in early_cast:
            assert event.wait(20)
        try:
            return services.round_close(
                round_=AppraisalRound.objects.get(pk=round_pk),
                by=User.objects.get(pk=org_pk),
                no_votes_reasons={silent_pk: "未组织评议"},
            )
        finally:
            closed.set()

    def work(n):
        return closer() if n == 8 else voter(n)

    outcomes = _run_together(work, count=9)
    votes, close = outcomes[:8], outcomes[8]
    assert isinstance(close, AppraisalRound), outcomes
    assert votes[:3] == ["counted"] * 3, outcomes
    assert all(isinstance(o, BallotRefused) for o in votes[6:]), outcomes
    assert all(o == "counted" or isinstance(o, BallotRefused) for o in votes), outcomes
    counted = votes.count("counted")

    round_ = AppraisalRound.objects.get(pk=round_pk)
    assert round_.state == "closed"
    assert _tallies(w["appraisal_a"])[E] == counted
    assert BallotCode.objects.filter(used=True).count() == counted
    assert [_used(code) for code in codes] == [o == "counted" for o in votes]
    casts = list(AuditEvent.objects.filter(action="ballot.cast"))
    [close_event] = AuditEvent.objects.filter(action="appraisal_round.close")
    assert len(casts) == counted
    assert all(e.seq < close_event.seq and e.at <= round_.closed_at for e in casts)
    stored = Appraisal.objects.get(pk=appraisal_pk)
    assert stored.state == AppraisalState.PROPOSED
    assert stored.votes_excellent == counted and stored.votes_total == counted
