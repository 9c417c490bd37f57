"""The appraisal's services: the round, scores, votes, proposal, finalisation, and what a grade means later.

R-A1: the unit, the township and the org dept appraise; the villagers evaluate.
R-A2: the grade combines the three parts by weights; the org dept finalises and may change it only with a reason.
R-A2a: unexcused absences cap the grade; the share of excellent grades may be capped per cadre category.
R-A3: incompetent bars promotion for 3 years (setting); excellent is preferred.
R-A4: the stationing experience (village, dates, days in the village, grade) is on record.
R-A5: one vote per code, secret, nothing cast or entered after the vote closes.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from viewflow.workflow.status import STATUS

from appraisal import selectors, services
from appraisal.flows import AppraisalFlow
from appraisal.models import (
    Appraisal,
    AppraisalRound,
    AppraisalState,
    BallotBatch,
    BallotCode,
    CadreCategory,
    Grade,
    OnlineTally,
    PaperSession,
    RoundState,
)
from dispatch.models import Dispatch, DispatchState, Pairing
from leave.ledger import ledger_write
from leave.models import DaySource, DayStatus
from tests.appraisal.conftest import STATIONED_ON, close_vote, score_both
from tests.dispatch.test_team import stationed
from tests.factories import CadreFactory, UserFactory, VillageFactory
from workflows.flows import open_tasks_for, process_of
from workflows.models import AuditEvent, Rank

D = datetime.date
S = AppraisalState
E, C, B, N = Grade.EXCELLENT, Grade.COMPETENT, Grade.BASICALLY_COMPETENT, Grade.INCOMPETENT
TERM_ENDS = D(2026, 3, 4)
WINDOW = {"term_ends_from": D(2026, 1, 1), "term_ends_to": D(2026, 12, 31)}
HELD_ON = D(2026, 2, 28)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def _message(exc) -> str:
    return " ".join(exc.value.messages)


def _chinese(exc) -> str:
    text = _message(exc)
    assert CHINESE.search(text), text
    return text


def _events(action, obj=None):
    events = AuditEvent.objects.filter(action=action)
    if obj is not None:
        events = events.filter(object_id=str(obj.pk))
    return events


def _tasks(user, appraisal=None) -> list[str]:
    """The names of the appraisal tasks in the user's queue (for one appraisal, or all)."""
    return sorted(
        t.flow_task.name
        for t in open_tasks_for(user, [AppraisalFlow])
        if appraisal is None or t.process.artifact_object_id == appraisal.pk
    )


def _open_round(w, title="2026年度驻村干部考评", **window) -> AppraisalRound:
    return services.round_open(
        county=w["county"], title=title, year=2026, by=w["people"]["org"], **{**WINDOW, **window}
    )


def _close(w) -> AppraisalRound:
    return close_vote(w["round"], w["people"]["org"])


def _proposed(w, *appraisals, township=90, unit=90) -> list[Appraisal]:
    """Score the appraisals, close the round: each is proposed a grade."""
    for appraisal in appraisals:
        score_both(w, appraisal, township=township, unit=unit)
    _close(w)
    return [_fresh(a) for a in appraisals]


def _finalised(w, appraisal, *, township=90, unit=90, grade=None, reason="") -> Appraisal:
    [appraisal] = _proposed(w, appraisal, township=township, unit=unit)
    return services.appraisal_finalise(
        appraisal=appraisal, grade=grade or appraisal.proposed_grade, by=w["people"]["org"], reason=reason
    )


def _vote(w, village, grades: list[str]) -> None:
    """Villagers of `village` vote online, one code each, each choice for the village's only appraisal."""
    org = w["people"]["org"]
    batch = services.ballots_issue(round_=w["round"], village=village, count=len(grades), by=org)
    appraisal = Appraisal.objects.get(round=w["round"], dispatch__village=village, state=S.OPEN)
    for code, grade in zip(services.ballot_sheet_codes(batch=batch, by=org), grades, strict=True):
        services.ballot_cast(code=code, choices={appraisal.pk: grade})


def _paper(
    w, appraisal, *, excellent=0, competent=0, basically=0, incompetent=0, invalid=0, by="town_a", held_on=HELD_ON
) -> PaperSession:
    return services.paper_session_enter(
        appraisal=appraisal,
        held_on=held_on,
        excellent=excellent,
        competent=competent,
        basically_competent=basically,
        incompetent=incompetent,
        invalid=invalid,
        ballots_collected=excellent + competent + basically + incompetent + invalid,
        by=w["people"][by],
    )


def _absent(w, dispatch, *days: D) -> None:
    ledger_write(
        dispatch=dispatch,
        statuses=dict.fromkeys(days, DayStatus.ABSENT),
        source=DaySource.TOWNSHIP,
        by=w["people"]["town_a"],
        reason="两头不见人",
    )


def _also_stationed(w, name, unit, village, *, rank=Rank.STAFF, on=STATIONED_ON) -> Dispatch:
    cadre = CadreFactory(unit=unit, user=UserFactory(username=name, name=f"干部{name}"), rank=rank)
    Pairing.objects.get_or_create(unit=unit, village=village, year=on.year)
    w[name] = cadre
    return stationed(cadre, village, on=on)


# --- Opening a round (R-A1) -------------------------------------------------------------------------


@pytest.fixture
def mixed_world(stationed_world):
    """stationed_world, plus plain_a stationed later (term ends 2026-05-31) and a cadre nominated only."""
    w = dict(stationed_world)
    w["dispatch_plain"] = _also_stationed(w, "later_a", w["unit_a"], w["village_a2"], on=D(2025, 6, 1))
    village_b2 = VillageFactory(township=w["town_b"], name="北关村")
    Pairing.objects.create(unit=w["unit_b"], village=village_b2, year=2026)
    from dispatch import services as dispatch_services

    w["nominated"] = dispatch_services.dispatch_nominate(
        cadre=CadreFactory(unit=w["unit_b"], user=UserFactory(username="nominee_b", name="候选人")),
        village=village_b2,
        by=w["people"]["head_b"],
        year=2026,
    )
    return w


def test_a_round_takes_only_stationed_cadres_whose_term_ends_in_the_window_r_a1(mixed_world):
    """R-A1: cadre_a and cadre_b end on 2026-03-04; later_a ends 2026-05-31; the nominee is not stationed."""
    w = mixed_world
    assert w["dispatch_plain"].term_ends_on == D(2026, 5, 31)
    round_ = _open_round(w, term_ends_from=D(2026, 1, 1), term_ends_to=D(2026, 3, 31))
    assert set(round_.appraisals.values_list("dispatch_id", flat=True)) == {w["dispatch_a"].pk, w["dispatch_b"].pk}
    later = _open_round(w, "2026年第二批考评", term_ends_from=D(2026, 3, 5), term_ends_to=D(2026, 12, 31))
    assert list(later.appraisals.values_list("dispatch_id", flat=True)) == [w["dispatch_plain"].pk]
    assert not Appraisal.objects.filter(dispatch=w["nominated"]).exists()


def test_the_window_is_inclusive_at_both_ends_r_a1(stationed_world):
    """R-A1: a term ending on the first or the last day of the window is in it."""
    w = stationed_world
    round_ = _open_round(w, term_ends_from=TERM_ENDS, term_ends_to=TERM_ENDS)
    assert round_.appraisals.count() == 2


def test_opening_a_round_starts_each_appraisal_with_zero_tallies_and_two_score_tasks_r_a1(stationed_world):
    """R-A1: each cadre gets an open appraisal, a zero tally per grade, and tasks for its township and unit."""
    w = stationed_world
    round_ = _open_round(w)
    stored = _fresh(round_)
    assert stored.state == RoundState.OPEN and stored.opened_by == w["people"]["org"]
    appraisal_a = Appraisal.objects.get(round=round_, dispatch=w["dispatch_a"])
    assert appraisal_a.state == S.OPEN and appraisal_a.category == CadreCategory.GENERAL
    assert dict(appraisal_a.online_tallies.values_list("grade", "count")) == dict.fromkeys(Grade.values, 0)
    people = w["people"]
    assert _tasks(people["town_a"], appraisal_a) == ["score_township"]
    assert _tasks(people["head_a"], appraisal_a) == ["score_unit"]
    assert _tasks(people["town_b"], appraisal_a) == [] and _tasks(people["head_b"], appraisal_a) == []
    assert _tasks(people["org"], appraisal_a) == []
    [event] = _events("appraisal_round.open", round_)
    assert event.actor == people["org"] and event.data["cadres"] == 2
    assert _events("appraisal.open").count() == 2


def test_a_cadres_rank_sets_the_category_of_their_appraisal_r_a2a(stationed_world):
    """R-A2a: a 科级 cadre is counted among the leading cadres."""
    w = stationed_world
    type(w["cadre_b"]).objects.filter(pk=w["cadre_b"].pk).update(rank=Rank.SECTION_CHIEF)
    round_ = _open_round(w)
    assert round_.appraisals.get(dispatch=w["dispatch_b"]).category == CadreCategory.LEADING
    assert round_.appraisals.get(dispatch=w["dispatch_a"]).category == CadreCategory.GENERAL


@pytest.mark.parametrize("who", ["town_a", "head_a", "auditor", "outsider", "cadre_a"])
def test_only_the_org_dept_opens_a_round_and_a_refusal_is_audited_r_a1(stationed_world, who):
    """R-A1: without COORDINATE_COUNTY: PermissionDenied (403), an audited `.refused` event, no round."""
    w = stationed_world
    user = w["people"][who]
    with pytest.raises(PermissionDenied):
        services.round_open(county=w["county"], title="越权考评", year=2026, by=user, **WINDOW)
    assert not AppraisalRound.objects.exists() and not Appraisal.objects.exists()
    [event] = _events("appraisal_round.open.refused")
    assert event.actor == user
    assert event.data["perm"] == "coordinate_county"


def test_an_empty_window_is_refused_in_chinese_r_a1(stationed_world):
    """R-A1: no cadre ends their term in the window: a ValidationError, no round."""
    w = stationed_world
    with pytest.raises(ValidationError) as exc:
        _open_round(w, term_ends_from=D(2026, 3, 5), term_ends_to=D(2026, 12, 31))
    assert "没有期满" in _chinese(exc)
    assert not AppraisalRound.objects.exists()
    assert not _events("appraisal_round.open").exists()


@pytest.mark.parametrize(
    ("title", "window", "words"),
    [
        ("  ", WINDOW, "名称"),
        ("倒置", {"term_ends_from": D(2026, 12, 31), "term_ends_to": D(2026, 1, 1)}, "不能早于"),
    ],
)
def test_a_round_needs_a_title_and_a_window_the_right_way_round_r_a1(stationed_world, title, window, words):
    """R-A1: a blank title or a reversed window is refused in Chinese."""
    with pytest.raises(ValidationError) as exc:
        _open_round(stationed_world, title, **window)
    assert words in _chinese(exc)


def test_a_cadre_already_in_a_round_is_not_opened_again_r_a1(round_world):
    """R-A1: a term is appraised once; a second round over the same window finds nobody."""
    with pytest.raises(ValidationError) as exc:
        _open_round(round_world, "重复考评")
    assert "没有期满" in _chinese(exc)


def test_a_round_title_is_unique_in_the_county_r_a1(round_world):
    """R-A1: two rounds of one county cannot share a title."""
    with pytest.raises(ValidationError) as exc:
        _open_round(round_world, "2026年度驻村干部考评")
    assert "已有名为" in _chinese(exc)


def test_a_cancelled_appraisal_lets_the_cadre_be_opened_again_r_a1(round_world):
    """R-A1: cancelled (opened by mistake): the cadre can be put in another round, the other cadre is not."""
    w = round_world
    services.appraisal_cancel(appraisal=w["appraisal_a"], reason="列入有误", by=w["people"]["org"])
    again = _open_round(w, "2026年度补充考评")
    [appraisal] = again.appraisals.all()
    assert appraisal.dispatch == w["dispatch_a"] and appraisal.state == S.OPEN
    assert _tasks(w["people"]["town_a"], appraisal) == ["score_township"]


# --- Closing the vote (R-A5) ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["town_a", "head_a", "auditor", "outsider"])
def test_only_the_org_dept_closes_the_vote_r_a5(round_world, who):
    """R-A5: the vote is closed by the org dept alone; a refusal is audited and leaves the round open."""
    w = round_world
    with pytest.raises(PermissionDenied):
        services.round_close(round_=w["round"], by=w["people"][who])
    assert _fresh(w["round"]).state == RoundState.OPEN
    assert _events("appraisal_round.close.refused").count() == 1


def test_closing_the_vote_is_audited_and_cannot_be_repeated_r_a5(round_world):
    """R-A5: OPEN → CLOSED once, with who and when."""
    w = round_world
    _close(w)
    stored = _fresh(w["round"])
    assert stored.state == RoundState.CLOSED and stored.closed_by == w["people"]["org"]
    assert stored.closed_at is not None
    [event] = _events("appraisal_round.close", stored)
    assert (event.from_state, event.to_state) == ("open", "closed")
    with pytest.raises(ValidationError) as exc:
        _close(w)
    assert "评议已结束" in _chinese(exc)


def test_close_needs_a_reason_per_village_without_votes_and_names_them_r_a1(round_world):
    """R-A1: villagers evaluate the cadre; a village with no vote at all (online or paper) needs a reason."""
    w = round_world
    with pytest.raises(ValidationError) as exc:
        services.round_close(round_=w["round"], by=w["people"]["org"], no_votes_reasons={w["appraisal_a"].pk: "  "})
    text = _chinese(exc)
    for name in (w["village_a"].name, w["village_b"].name, w["cadre_a"].name, w["cadre_b"].name):
        assert name in text, name
    assert _fresh(w["round"]).state == RoundState.OPEN
    assert _fresh(w["appraisal_a"]).no_votes_reason == ""
    assert not _events("appraisal_round.close").exists() and not _events("appraisal.no_votes").exists()


def test_close_with_votes_in_one_village_asks_a_reason_only_for_the_other_r_a1(round_world):
    """R-A1: online votes in village_a, a voided paper session and an all-invalid one in village_b: only
    village_b is without votes; its reason is kept on the appraisal and audited as the org dept's statement."""
    w = round_world
    _vote(w, w["village_a"], [Grade.COMPETENT])
    appraisal_b = w["appraisal_b"]
    voided = services.paper_session_enter(
        appraisal=appraisal_b,
        held_on=HELD_ON,
        excellent=3,
        competent=0,
        basically_competent=0,
        incompetent=0,
        invalid=0,
        ballots_collected=3,
        by=w["people"]["town_b"],
    )
    services.paper_session_void(session=voided, reason="录错村", by=w["people"]["town_b"])
    services.paper_session_enter(
        appraisal=appraisal_b,
        held_on=HELD_ON,
        excellent=0,
        competent=0,
        basically_competent=0,
        incompetent=0,
        invalid=2,
        ballots_collected=2,
        by=w["people"]["town_b"],
    )
    assert list(selectors.appraisals_without_votes(w["round"])) == [appraisal_b]
    with pytest.raises(ValidationError) as exc:
        services.round_close(round_=w["round"], by=w["people"]["org"])
    assert w["village_b"].name in _chinese(exc) and w["village_a"].name not in _chinese(exc)

    services.round_close(
        round_=w["round"],
        by=w["people"]["org"],
        no_votes_reasons={appraisal_b.pk: " 村民大会未达到法定人数 ", w["appraisal_a"].pk: "多余"},
    )
    assert _fresh(w["round"]).state == RoundState.CLOSED
    assert _fresh(appraisal_b).no_votes_reason == "村民大会未达到法定人数"
    assert _fresh(w["appraisal_a"]).no_votes_reason == ""
    [event] = _events("appraisal.no_votes", appraisal_b)
    assert event.actor == w["people"]["org"] and event.reason == "村民大会未达到法定人数"
    assert event.data["village"] == w["village_b"].name
    [close] = _events("appraisal_round.close", w["round"])
    assert close.data["without_votes"] == [appraisal_b.pk]


def test_close_leaves_cancelled_appraisals_out_of_the_villages_without_votes_r_a1(round_world):
    w = round_world
    services.appraisal_cancel(appraisal=w["appraisal_b"], reason="列入有误", by=w["people"]["org"])
    services.round_close(
        round_=w["round"], by=w["people"]["org"], no_votes_reasons={w["appraisal_a"].pk: "疫情期间未组织评议"}
    )
    assert _fresh(w["appraisal_a"]).no_votes_reason == "疫情期间未组织评议"
    assert _fresh(w["appraisal_b"]).no_votes_reason == ""


# --- Scores (R-A1) ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["town_a", "town_a_deputy"])
def test_the_township_committee_scores_its_own_cadre_r_a1(round_world, who):
    """R-A1: any member of the cadre's township committee scores, once; audited; the task is done."""
    w = round_world
    user = w["people"].get(who) or w["mentor_a"]
    appraisal = services.township_score_enter(appraisal=w["appraisal_a"], score=86, comment=" 驻村扎实 ", by=user)
    stored = _fresh(appraisal)
    assert stored.state == S.OPEN
    assert (stored.township_score, stored.township_comment, stored.township_scored_by) == (86, "驻村扎实", user)
    [event] = _events("appraisal.score_township", stored)
    assert event.actor == user and event.data["score"] == 86 and event.reason == "驻村扎实"
    assert _tasks(w["people"]["town_a"], stored) == []


@pytest.mark.parametrize("who", ["head_a", "deputy_a"])
def test_the_dispatching_unit_scores_its_own_cadre_r_a1(round_world, who):
    """R-A1: the unit head or deputy scores, once; audited; the task is done."""
    w = round_world
    user = w["people"][who]
    services.unit_score_enter(appraisal=w["appraisal_a"], score=0, comment="长期不在岗", by=user)
    stored = _fresh(w["appraisal_a"])
    assert (stored.unit_score, stored.unit_comment, stored.unit_scored_by) == (0, "长期不在岗", user)
    assert _events("appraisal.score_unit", stored).count() == 1
    assert _tasks(w["people"]["head_a"], stored) == []


SCORERS_OUTSIDE = {
    "township": ["town_b", "head_a", "auditor", "outsider", "org", "cadre_a"],
    "unit": ["head_b", "town_a", "auditor", "outsider", "org", "cadre_a"],
}


@pytest.mark.parametrize(("kind", "who"), [(k, p) for k, people in SCORERS_OUTSIDE.items() for p in people])
def test_a_score_from_outside_the_tier_is_refused_and_changes_nothing_r_a1(round_world, kind, who):
    """R-A1: the other township, the other unit, the auditor, an outsider: 403, audited, nothing stored."""
    w = round_world
    enter = services.township_score_enter if kind == "township" else services.unit_score_enter
    with pytest.raises(PermissionDenied):
        enter(appraisal=w["appraisal_a"], score=95, comment="越权评分", by=w["people"][who])
    stored = _fresh(w["appraisal_a"])
    assert stored.township_score is None and stored.unit_score is None
    assert not _events(f"appraisal.score_{kind}").exists()
    assert _events(f"appraisal.score_{kind}.refused").get().actor == w["people"][who]
    assert _tasks(w["people"]["town_a"], stored) == ["score_township"]
    assert _tasks(w["people"]["head_a"], stored) == ["score_unit"]


def test_an_anonymous_score_is_refused_r_a1(round_world):
    """R-A1: nobody logged in scores nothing."""
    with pytest.raises(PermissionDenied):
        services.township_score_enter(appraisal=round_world["appraisal_a"], score=90, comment="匿名", by=None)


@pytest.mark.parametrize("score", [-1, 101, 1000, None, 85.5, "90", True])
def test_a_score_outside_0_to_100_is_refused_r_a1(round_world, score):
    """R-A1: a whole number from 0 to 100, nothing else."""
    w = round_world
    with pytest.raises(ValidationError) as exc:
        services.township_score_enter(appraisal=w["appraisal_a"], score=score, comment="评语", by=w["people"]["town_a"])
    assert "0 到 100" in _chinese(exc)
    assert _fresh(w["appraisal_a"]).township_score is None


@pytest.mark.parametrize("score", [0, 100])
def test_the_ends_of_the_score_range_are_accepted_r_a1(round_world, score):
    """R-A1: 0 and 100 are scores."""
    w = round_world
    services.unit_score_enter(appraisal=w["appraisal_a"], score=score, comment="评语", by=w["people"]["head_a"])
    assert _fresh(w["appraisal_a"]).unit_score == score


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_a_score_without_a_comment_is_refused_r_a1(round_world, comment):
    """R-A1: a score carries a written comment."""
    w = round_world
    with pytest.raises(ValidationError) as exc:
        services.unit_score_enter(appraisal=w["appraisal_a"], score=80, comment=comment, by=w["people"]["head_a"])
    assert "评语" in _chinese(exc)
    assert _fresh(w["appraisal_a"]).unit_score is None


def test_a_second_score_from_the_same_tier_is_refused_r_a1(round_world):
    """R-A1: the township scores once; the first score stands."""
    w = round_world
    services.township_score_enter(appraisal=w["appraisal_a"], score=70, comment="一般", by=w["people"]["town_a"])
    with pytest.raises(ValidationError) as exc:
        services.township_score_enter(appraisal=w["appraisal_a"], score=99, comment="改分", by=w["mentor_a"])
    assert "已经评过分" in _chinese(exc)
    assert _fresh(w["appraisal_a"]).township_score == 70


def test_a_score_after_the_proposal_is_refused_r_a1(round_world):
    """R-A1: once proposed, the scores are fixed."""
    w = round_world
    [appraisal] = _proposed(w, w["appraisal_a"])
    with pytest.raises(ValidationError):
        services.unit_score_enter(appraisal=appraisal, score=10, comment="改分", by=w["people"]["head_a"])


# --- The flow: scores and votes in, a proposal out (R-A2, R-A5) --------------------------------------


def test_after_both_scores_and_the_close_the_grade_is_proposed_from_scores_and_all_votes_r_a2(round_world):
    """R-A2, R-A5: online votes and paper sessions add up; a voided session is not counted.

    Votes: 优秀 2 online + 3 on paper, 称职 1 online, 基本称职 2 on paper, 不称职 1 on paper = 9.
    Villagers (5×100 + 1×80 + 2×60 + 0) / 9 = 77.777… → 77.78.
    Combined 0.4×90 + 0.3×80 + 0.3×77.78 = 36 + 24 + 23.334 = 83.334 → 83.33: 称职.
    """
    w = round_world
    appraisal = w["appraisal_a"]
    _vote(w, w["village_a"], [E, E, C])
    _paper(w, appraisal, excellent=3, basically=2, incompetent=1, invalid=1)
    voided = _paper(w, appraisal, incompetent=5, held_on=D(2026, 3, 1))
    services.paper_session_void(session=voided, reason="录入错村", by=w["people"]["town_a"])
    score_both(w, appraisal, township=90, unit=80)
    assert _fresh(appraisal).state == S.OPEN
    assert _tasks(w["people"]["org"], appraisal) == []

    _close(w)

    stored = _fresh(appraisal)
    assert stored.state == S.PROPOSED
    assert stored.vote_counts() == {E: 5, C: 1, B: 2, N: 1}
    assert stored.absences == 0
    assert stored.villagers_score == Decimal("77.78")
    assert stored.combined_score == Decimal("83.33")
    assert stored.computed_grade == stored.proposed_grade == C
    assert _tasks(w["people"]["org"], stored) == ["finalise"]
    assert _tasks(w["people"]["auditor"], stored) == [] and _tasks(w["people"]["town_a"], stored) == []
    [collect] = _events("appraisal.collect", stored)
    assert collect.data["votes"] == {E: 5, C: 1, B: 2, N: 1}
    [propose] = _events("appraisal.propose", stored)
    assert (propose.from_state, propose.to_state) == ("collected", "proposed")
    assert propose.data["combined_score"] == "83.33" and propose.data["proposed_grade"] == C
    assert propose.data["weights"] == [40, 30, 30]


def test_without_any_vote_the_two_scores_are_renormalised_r_a2(round_world):
    """R-A2: (40×90 + 30×80) / 70 = 85.71, and the proposal says why."""
    w = round_world
    [stored] = _proposed(w, w["appraisal_a"], township=90, unit=80)
    assert stored.villagers_score is None and stored.votes_total == 0
    assert stored.combined_score == Decimal("85.71") and stored.proposed_grade == C
    assert "没有村民评议票" in stored.proposal_note


def test_the_proposal_waits_for_the_close_of_the_vote_r_a5(round_world):
    """R-A5: both scores in but the vote still open: no proposal yet, votes can still come in."""
    w = round_world
    score_both(w, w["appraisal_a"], township=90, unit=90)
    _vote(w, w["village_a"], [N])
    assert _fresh(w["appraisal_a"]).state == S.OPEN
    _close(w)
    assert _fresh(w["appraisal_a"]).vote_counts()[N] == 1


def test_a_score_coming_after_the_close_proposes_with_the_votes_cast_before_r_a5(round_world):
    """R-A5: cadre_b's unit scores after the close; the votes are those cast while the vote was open."""
    w = round_world
    _vote(w, w["village_b"], [E, C])
    services.township_score_enter(appraisal=w["appraisal_b"], score=80, comment="好", by=w["people"]["town_b"])
    _close(w)
    assert _fresh(w["appraisal_b"]).state == S.OPEN
    services.unit_score_enter(appraisal=w["appraisal_b"], score=80, comment="好", by=w["people"]["head_b"])
    stored = _fresh(w["appraisal_b"])
    assert stored.state == S.PROPOSED
    assert stored.vote_counts() == {E: 1, C: 1, B: 0, N: 0}
    assert stored.villagers_score == Decimal("90.00") and stored.combined_score == Decimal("83.00")
    assert _tasks(w["people"]["org"], stored) == ["finalise"]


def test_the_proposal_reads_the_weights_in_force_r_a2(round_world, settings):
    """R-A2: weights 60/20/20 and no votes: (60×95 + 20×70) / 80 = 88.75."""
    settings.POLICY = {
        **settings.POLICY,
        "APPRAISAL_WEIGHT_TOWNSHIP": 60,
        "APPRAISAL_WEIGHT_UNIT": 20,
        "APPRAISAL_WEIGHT_VILLAGERS": 20,
    }
    [stored] = _proposed(round_world, round_world["appraisal_a"], township=95, unit=70)
    assert stored.combined_score == Decimal("88.75")


# --- The absence cap from the day ledger (R-A2a) ------------------------------------------------------


@pytest.mark.parametrize(("days", "proposed"), [(0, E), (1, C), (2, B), (3, N), (4, N)])
def test_absences_in_the_ledger_cap_the_proposed_grade_r_a2a(round_world, days, proposed):
    """R-A2a: 95 and 95 compute 优秀; each count of recorded absences caps it."""
    w = round_world
    workdays = [D(2025, 6, 3), D(2025, 6, 4), D(2025, 6, 5), D(2025, 6, 6)][:days]
    if workdays:
        _absent(w, w["dispatch_a"], *workdays)
    [stored] = _proposed(w, w["appraisal_a"], township=95, unit=95)
    assert stored.absences == days
    assert stored.computed_grade == E and stored.proposed_grade == proposed
    assert ("无故缺勤" in stored.proposal_note) == (days > 0)


def test_leave_holidays_and_official_business_are_not_absences_r_a2a(round_world):
    """R-A2a: only days recorded 缺勤 count."""
    w = round_world
    ledger_write(
        dispatch=w["dispatch_a"],
        source=DaySource.TOWNSHIP,
        by=w["people"]["town_a"],
        statuses={
            D(2025, 6, 3): DayStatus.LEAVE,
            D(2025, 6, 4): DayStatus.HOLIDAY,
            D(2025, 6, 5): DayStatus.OFFICIAL_BUSINESS,
            D(2025, 6, 6): DayStatus.IN_VILLAGE,
        },
    )
    [stored] = _proposed(w, w["appraisal_a"], township=95, unit=95)
    assert stored.absences == 0 and stored.proposed_grade == E


def test_an_absence_corrected_before_the_close_no_longer_counts_r_a2a(round_world):
    """R-A2a: the ledger is read when the vote closes, as it stands then."""
    w = round_world
    _absent(w, w["dispatch_a"], D(2025, 6, 3))
    ledger_write(
        dispatch=w["dispatch_a"],
        statuses={D(2025, 6, 3): DayStatus.OFFICIAL_BUSINESS},
        source=DaySource.ORG_CORRECTION,
        by=w["people"]["org"],
        reason="已报备",
    )
    [stored] = _proposed(w, w["appraisal_a"], township=95, unit=95)
    assert stored.absences == 0 and stored.proposed_grade == E


def test_another_cadres_absences_do_not_count_r_a2a(round_world):
    """R-A2a: absences are counted per dispatch."""
    w = round_world
    _absent(w, w["dispatch_b"], D(2025, 6, 3), D(2025, 6, 4), D(2025, 6, 5))
    a, b = _proposed(w, w["appraisal_a"], w["appraisal_b"], township=95, unit=95)
    assert (a.absences, a.proposed_grade) == (0, E)
    assert (b.absences, b.proposed_grade) == (3, N)


# --- Finalisation (R-A2) ----------------------------------------------------------------------------


def test_finalising_the_proposed_grade_needs_no_reason_and_closes_the_term_r_a2(round_world):
    """R-A2: the org dept keeps the proposal; audited from/to grade; the dispatch becomes APPRAISED."""
    w = round_world
    [appraisal] = _proposed(w, w["appraisal_a"], township=80, unit=80)
    services.appraisal_finalise(appraisal=appraisal, grade=C, by=w["people"]["org"])
    stored = _fresh(appraisal)
    assert stored.state == S.FINALISED and stored.final_grade == C and stored.grade == C
    assert stored.finalised_by == w["people"]["org"] and stored.finalised_on == timezone.localdate()
    [event] = _events("appraisal.finalise", stored)
    assert (event.from_state, event.to_state) == ("proposed", "finalised")
    assert event.data["proposed_grade"] == C and event.data["final_grade"] == C and not event.data["changed"]
    dispatch = _fresh(w["dispatch_a"])
    assert dispatch.state == DispatchState.APPRAISED
    assert dispatch.ended_on == min(timezone.localdate(), TERM_ENDS)
    assert _events("dispatch.appraise", dispatch).get().data["grade"] == C
    assert _tasks(w["people"]["org"], stored) == []
    assert process_of(AppraisalFlow, stored).status == STATUS.DONE


def test_a_grade_other_than_the_proposal_needs_a_written_reason_r_a2(round_world):
    """R-A2: refused without a reason (nothing changes), accepted and audited with one."""
    w = round_world
    [appraisal] = _proposed(w, w["appraisal_a"], township=80, unit=80)
    for reason in ["", "   "]:
        with pytest.raises(ValidationError) as exc:
            services.appraisal_finalise(appraisal=appraisal, grade=B, by=w["people"]["org"], reason=reason)
        assert "须写明理由" in _chinese(exc)
    assert _fresh(appraisal).state == S.PROPOSED
    assert _fresh(w["dispatch_a"]).state == DispatchState.STATIONED
    services.appraisal_finalise(appraisal=appraisal, grade=B, by=w["people"]["org"], reason="群众反映驻村时间不足")
    stored = _fresh(appraisal)
    assert (stored.final_grade, stored.final_reason, stored.proposed_grade) == (B, "群众反映驻村时间不足", C)
    [event] = _events("appraisal.finalise", stored)
    assert event.reason == "群众反映驻村时间不足"
    assert (event.data["proposed_grade"], event.data["final_grade"], event.data["changed"]) == (C, B, True)


def test_the_org_dept_may_raise_a_capped_grade_only_with_a_reason_r_a2a(round_world):
    """R-A2, R-A2a: the cap proposes 称职; finalising 优秀 is a change and needs a reason."""
    w = round_world
    _absent(w, w["dispatch_a"], D(2025, 6, 3))
    [appraisal] = _proposed(w, w["appraisal_a"], township=95, unit=95)
    assert appraisal.proposed_grade == C
    with pytest.raises(ValidationError):
        services.appraisal_finalise(appraisal=appraisal, grade=E, by=w["people"]["org"])
    services.appraisal_finalise(appraisal=appraisal, grade=E, by=w["people"]["org"], reason="缺勤系抢险救灾,已补假")
    assert _fresh(appraisal).final_grade == E


@pytest.mark.parametrize("grade", ["", "outstanding", None])
def test_finalising_needs_a_real_grade_r_a2(round_world, grade):
    """R-A2: one of the four grades."""
    w = round_world
    [appraisal] = _proposed(w, w["appraisal_a"])
    with pytest.raises(ValidationError):
        services.appraisal_finalise(appraisal=appraisal, grade=grade, by=w["people"]["org"], reason="x")


@pytest.mark.parametrize("who", ["auditor", "town_a", "head_a", "outsider"])
def test_only_the_org_dept_finalises_r_a2(round_world, who):
    """R-A2: the auditor reads, the township and unit score; none of them finalises (403, audited)."""
    w = round_world
    [appraisal] = _proposed(w, w["appraisal_a"])
    with pytest.raises(PermissionDenied):
        services.appraisal_finalise(appraisal=appraisal, grade=appraisal.proposed_grade, by=w["people"][who])
    assert _fresh(appraisal).state == S.PROPOSED
    assert _fresh(w["dispatch_a"]).state == DispatchState.STATIONED
    assert _events("appraisal.finalise.refused", appraisal).get().actor == w["people"][who]
    assert _tasks(w["people"]["org"], appraisal) == ["finalise"]


def test_an_open_appraisal_cannot_be_finalised_r_a2(round_world):
    """R-A2: nothing is finalised before it is proposed."""
    w = round_world
    with pytest.raises(ValidationError) as exc:
        services.appraisal_finalise(appraisal=w["appraisal_a"], grade=E, by=w["people"]["org"], reason="提前审定")
    assert "不能进行此操作" in _chinese(exc)


# --- The excellence share (R-A2a) --------------------------------------------------------------------


@pytest.fixture
def four_world(stationed_world):
    """Four cadres in one round, all proposed 优秀: cadre_a and cadre_b 一般干部, lead_a and lead_b 科级."""
    w = dict(stationed_world)
    w["dispatch_c"] = _also_stationed(w, "lead_a", w["unit_a"], w["village_a2"], rank=Rank.SECTION_CHIEF)
    village_b2 = VillageFactory(township=w["town_b"], name="北关村")
    w["dispatch_d"] = _also_stationed(w, "lead_b", w["unit_b"], village_b2, rank=Rank.SECTION_DEPUTY)
    w["round"] = _open_round(w)
    appraisals = [Appraisal.objects.get(dispatch=w[f"dispatch_{x}"]) for x in "abcd"]
    for appraisal in appraisals:
        score_both(w, appraisal, township=95, unit=95)
    _close(w)
    w["a"], w["b"], w["c"], w["d"] = (_fresh(a) for a in appraisals)
    assert [a.category for a in (w["a"], w["b"], w["c"], w["d"])] == [CadreCategory.GENERAL] * 2 + [
        CadreCategory.LEADING
    ] * 2
    assert {a.proposed_grade for a in (w["a"], w["b"], w["c"], w["d"])} == {E}
    return w


def _finalise(w, appraisal, grade=E, reason=""):
    return services.appraisal_finalise(appraisal=appraisal, grade=grade, by=w["people"]["org"], reason=reason)


def test_the_excellence_share_is_off_by_default_r_a2a(four_world):
    """R-A2a: with no cap, every proposed 优秀 is finalised."""
    w = four_world
    for x in "abcd":
        _finalise(w, w[x])
    assert Appraisal.objects.filter(state=S.FINALISED, final_grade=E).count() == 4


def test_a_second_excellent_in_a_category_over_the_share_is_refused_r_a2a(four_world, settings):
    """R-A2a: 50 % of 2 一般干部 is 1: the second 优秀 is refused in Chinese and nothing changes."""
    settings.POLICY = {**settings.POLICY, "EXCELLENT_SHARE_CAP_PERCENT": 50}
    w = four_world
    _finalise(w, w["a"])
    with pytest.raises(ValidationError) as exc:
        _finalise(w, w["b"])
    text = _chinese(exc)
    assert "优秀名额为 1 名" in text and "已经审定 1 名优秀" in text and "一般干部" in text
    assert _fresh(w["b"]).state == S.PROPOSED
    assert _fresh(w["dispatch_b"]).state == DispatchState.STATIONED
    # A lower grade (a change, so with a reason) still goes through.
    _finalise(w, w["b"], C, reason="优秀名额已满")
    assert _fresh(w["b"]).final_grade == C


def test_each_cadre_category_has_its_own_excellence_share_r_a2a(four_world, settings):
    """R-A2a: the 一般干部's 优秀 does not take the 科级干部's place, and the other way round."""
    settings.POLICY = {**settings.POLICY, "EXCELLENT_SHARE_CAP_PERCENT": 50}
    w = four_world
    _finalise(w, w["a"])
    _finalise(w, w["c"])
    assert services.excellent_share(round_=w["round"], category=CadreCategory.GENERAL) == (1, 1)
    assert services.excellent_share(round_=w["round"], category=CadreCategory.LEADING) == (1, 1)
    with pytest.raises(ValidationError) as exc:
        _finalise(w, w["d"])
    assert "科级及以上干部" in _chinese(exc)


def test_a_reopened_excellent_frees_its_place_in_the_share_r_a2a(four_world, settings):
    """R-A2a: only finalised 优秀 grades count; reopening one lets another take the place."""
    settings.POLICY = {**settings.POLICY, "EXCELLENT_SHARE_CAP_PERCENT": 50}
    w = four_world
    _finalise(w, w["a"])
    services.appraisal_reopen(appraisal=w["a"], reason="群众举报需核实", by=w["people"]["org"])
    _finalise(w, w["b"])
    with pytest.raises(ValidationError):
        _finalise(w, _fresh(w["a"]))


# --- Reopening (R-A2) -------------------------------------------------------------------------------


def test_reopening_needs_a_reason_r_a2(round_world):
    """R-A2: a finalised grade is reopened only with a written reason."""
    w = round_world
    appraisal = _finalised(w, w["appraisal_a"])
    for reason in ["", "  ", None]:
        with pytest.raises(ValidationError) as exc:
            services.appraisal_reopen(appraisal=appraisal, reason=reason, by=w["people"]["org"])
        assert "理由" in _chinese(exc)
    assert _fresh(appraisal).state == S.FINALISED


@pytest.mark.parametrize("who", ["auditor", "town_a", "head_a", "outsider"])
def test_only_the_org_dept_reopens_r_a2(round_world, who):
    """R-A2: anyone else is refused (403, audited) and the grade stands."""
    w = round_world
    appraisal = _finalised(w, w["appraisal_a"])
    with pytest.raises(PermissionDenied):
        services.appraisal_reopen(appraisal=appraisal, reason="想改", by=w["people"][who])
    assert _fresh(appraisal).state == S.FINALISED
    assert _events("appraisal.reopen.refused", appraisal).count() == 1


def test_only_a_finalised_grade_is_reopened_r_a2(round_world):
    """R-A2: a proposal is not 'reopened'."""
    w = round_world
    [appraisal] = _proposed(w, w["appraisal_a"])
    with pytest.raises(ValidationError):
        services.appraisal_reopen(appraisal=appraisal, reason="核实", by=w["people"]["org"])


def test_a_reopened_grade_goes_back_to_finalisation_and_the_audit_keeps_both_r_a2(round_world):
    """R-A2: FINALISED → PROPOSED with a new finalise task; finalised again; both finalisations audited."""
    w = round_world
    org = w["people"]["org"]
    appraisal = _finalised(w, w["appraisal_a"], township=80, unit=80)
    assert _tasks(org, appraisal) == []
    services.appraisal_reopen(appraisal=appraisal, reason="群众举报,需重新核实", by=org)
    stored = _fresh(appraisal)
    assert stored.state == S.PROPOSED and stored.final_grade == "" and stored.grade == ""
    assert stored.reopen_reason == "群众举报,需重新核实" and stored.proposed_grade == C
    assert _tasks(org, stored) == ["finalise"]
    [reopen] = _events("appraisal.reopen", stored)
    assert (reopen.from_state, reopen.to_state) == ("finalised", "proposed")
    assert reopen.data["was"] == C and reopen.reason == "群众举报,需重新核实"

    services.appraisal_finalise(appraisal=stored, grade=B, by=org, reason="核实属实,降为基本称职")
    again = _fresh(appraisal)
    assert again.state == S.FINALISED and again.final_grade == B
    assert _tasks(org, again) == []
    finalisations = list(_events("appraisal.finalise", again).order_by("seq"))
    assert [(e.data["final_grade"], e.reason) for e in finalisations] == [(C, ""), (B, "核实属实,降为基本称职")]
    assert finalisations[0].seq < reopen.seq < finalisations[1].seq
    dispatch = _fresh(w["dispatch_a"])
    assert dispatch.state == DispatchState.APPRAISED
    assert _events("dispatch.appraise", dispatch).count() == 1


# --- Cancelling (R-A1) ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.OPEN, S.PROPOSED])
def test_the_org_dept_cancels_an_appraisal_with_a_reason_and_its_tasks_go_r_a1(round_world, state):
    """R-A1: the cadre is taken out of the round; audited; no task of theirs remains."""
    w = round_world
    appraisal = w["appraisal_a"]
    if state == S.PROPOSED:
        [appraisal] = _proposed(w, appraisal)
    services.appraisal_cancel(appraisal=appraisal, reason="已召回", by=w["people"]["org"])
    stored = _fresh(appraisal)
    assert stored.state == S.CANCELLED and stored.cancel_reason == "已召回"
    [event] = _events("appraisal.cancel", stored)
    assert (event.from_state, event.to_state, event.reason) == (state, "cancelled", "已召回")
    for who in ("org", "town_a", "head_a"):
        assert _tasks(w["people"][who], stored) == []
    assert process_of(AppraisalFlow, stored).status == STATUS.CANCELED


def test_cancelling_needs_a_reason_and_the_org_dept_r_a1(round_world):
    """R-A1: no reason: refused; the township: 403."""
    w = round_world
    with pytest.raises(ValidationError):
        services.appraisal_cancel(appraisal=w["appraisal_a"], reason=" ", by=w["people"]["org"])
    with pytest.raises(PermissionDenied):
        services.appraisal_cancel(appraisal=w["appraisal_a"], reason="撤销", by=w["people"]["town_a"])
    assert _fresh(w["appraisal_a"]).state == S.OPEN


def test_a_finalised_appraisal_cannot_be_cancelled_r_a1(round_world):
    """R-A1: a finalised grade is reopened, not cancelled."""
    w = round_world
    appraisal = _finalised(w, w["appraisal_a"])
    with pytest.raises(ValidationError):
        services.appraisal_cancel(appraisal=appraisal, reason="撤销", by=w["people"]["org"])
    assert _fresh(appraisal).state == S.FINALISED


def test_a_cancelled_appraisal_takes_no_votes_r_a5(round_world):
    """R-A5: the village's ballot lists only appraisals still open; with none left, codes cannot be issued."""
    w = round_world
    services.appraisal_cancel(appraisal=w["appraisal_a"], reason="已召回", by=w["people"]["org"])
    with pytest.raises(ValidationError):
        services.ballots_issue(round_=w["round"], village=w["village_a"], count=3, by=w["people"]["org"])


# --- May this cadre be promoted on date D? (R-A3) ----------------------------------------------------

FINALISED_ON = D(2026, 3, 4)


def _graded(w, grade, *, on=FINALISED_ON) -> Appraisal:
    """cadre_a's appraisal finalised with `grade`, dated `on`."""
    score = {E: 95, C: 80, B: 65, N: 50}[grade]
    appraisal = _finalised(w, w["appraisal_a"], township=score, unit=score)
    assert appraisal.final_grade == grade
    Appraisal.objects.filter(pk=appraisal.pk).update(finalised_on=on)
    return _fresh(appraisal)


def test_incompetent_bars_promotion_until_exactly_three_years_later_r_a3(round_world):
    """R-A3: 不称职 finalised 2026-03-04: refused up to 2029-03-03, allowed from 2029-03-04."""
    w = round_world
    _graded(w, N)
    cadre = w["cadre_a"]
    for day in (FINALISED_ON, D(2027, 6, 1), D(2029, 3, 3)):
        answer = selectors.may_be_promoted(cadre, on=day)
        assert not answer.allowed and not answer.preferred, day
        assert answer.until == D(2029, 3, 4)
        assert "不称职" in answer.reason and "3 年内不予提拔" in answer.reason
        assert "2026年3月4日" in answer.reason and "2029年3月4日" in answer.reason
        assert "2026年度驻村干部考评" in answer.reason
    answer = selectors.may_be_promoted(cadre, on=D(2029, 3, 4))
    assert answer.allowed and answer.until is None


def test_a_grade_finalised_after_the_date_asked_about_does_not_count_r_a3(round_world):
    """R-A3: the answer is about date D: a grade finalised after D was not yet on record."""
    w = round_world
    _graded(w, N)
    assert selectors.may_be_promoted(w["cadre_a"], on=D(2026, 3, 3)).allowed


def test_the_years_an_incompetent_grade_bars_promotion_are_a_setting_r_a3(round_world, settings):
    """R-A3: with 1 year: refused on 2027-03-03, allowed on 2027-03-04; the reason says 1 年."""
    settings.POLICY = {**settings.POLICY, "NO_PROMOTION_YEARS_AFTER_INCOMPETENT": 1}
    w = round_world
    _graded(w, N)
    answer = selectors.may_be_promoted(w["cadre_a"], on=D(2027, 3, 3))
    assert not answer.allowed and answer.until == D(2027, 3, 4) and "1 年内不予提拔" in answer.reason
    assert selectors.may_be_promoted(w["cadre_a"], on=D(2027, 3, 4)).allowed


def test_an_incompetent_grade_of_29_february_ends_on_28_february_r_a3(round_world):
    """R-A3: three years after 2028-02-29 is 2031-02-28 (there is no 29th)."""
    w = round_world
    _graded(w, N, on=D(2028, 2, 29))
    assert selectors.may_be_promoted(w["cadre_a"], on=D(2031, 2, 27)).until == D(2031, 2, 28)
    assert selectors.may_be_promoted(w["cadre_a"], on=D(2031, 2, 28)).allowed


def test_excellent_is_preferred_for_promotion_with_the_reason_r_a3(round_world):
    """R-A3: 优秀 → allowed and preferred, other things equal."""
    w = round_world
    _graded(w, E)
    answer = selectors.may_be_promoted(w["cadre_a"], on=D(2026, 6, 1))
    assert answer.allowed and answer.preferred
    assert "优秀" in answer.reason and "优先" in answer.reason and "2026年3月4日" in answer.reason


@pytest.mark.parametrize("grade", [C, B])
def test_competent_grades_neither_bar_nor_single_out_r_a3(round_world, grade):
    """R-A3: 称职 and 基本称职 do not bar promotion; the stationing experience itself is preferred (R-A4)."""
    w = round_world
    _graded(w, grade)
    answer = selectors.may_be_promoted(w["cadre_a"], on=D(2026, 6, 1))
    assert answer.allowed and "驻村" in answer.reason


def test_a_reopened_incompetent_grade_no_longer_bars_promotion_r_a3(round_world):
    """R-A3: only a grade in force counts; a reopened one is not."""
    w = round_world
    appraisal = _graded(w, N)
    assert not selectors.may_be_promoted(w["cadre_a"], on=D(2026, 6, 1)).allowed
    services.appraisal_reopen(appraisal=appraisal, reason="复核", by=w["people"]["org"])
    answer = selectors.may_be_promoted(w["cadre_a"], on=D(2026, 6, 1))
    assert answer.allowed and "不称职" not in answer.reason


def test_an_incompetent_term_is_not_preferred_experience_once_the_bar_ends_r_a3(round_world):
    """R-A3, R-A4: after the three years the cadre may be promoted, but the failed term earns no preference."""
    w = round_world
    _graded(w, N)
    answer = selectors.may_be_promoted(w["cadre_a"], on=D(2029, 3, 4))
    assert answer.allowed and not answer.preferred


def test_a_stationed_cadre_not_yet_appraised_is_not_yet_preferred_r_a4(round_world):
    """R-A4: the experience promotions prefer is a term served to its finalised appraisal."""
    w = round_world
    _proposed(w, w["appraisal_a"])
    answer = selectors.may_be_promoted(w["cadre_a"], on=D(2026, 6, 1))
    assert answer.allowed and not answer.preferred


def test_a_cadre_never_stationed_or_appraised_may_be_promoted_without_preference_r_a3(round_world):
    """R-A3: nothing on record: allowed, not preferred."""
    answer = selectors.may_be_promoted(round_world["plain_a"], on=D(2026, 6, 1))
    assert answer.allowed and not answer.preferred


def test_another_cadres_grade_does_not_bar_this_one_r_a3(round_world):
    """R-A3: the answer is per cadre."""
    w = round_world
    _graded(w, N)
    assert selectors.may_be_promoted(w["cadre_b"], on=D(2026, 6, 1)).allowed


# --- Stationing experience (R-A4) --------------------------------------------------------------------


def test_experience_counts_days_in_the_village_from_the_ledger_and_shows_the_grade_r_a4(round_world):
    """R-A4: in the village or on reported business count; leave, holidays and absences do not."""
    w = round_world
    ledger_write(
        dispatch=w["dispatch_a"],
        source=DaySource.TOWNSHIP,
        by=w["people"]["town_a"],
        statuses={
            D(2025, 6, 2): DayStatus.IN_VILLAGE,
            D(2025, 6, 3): DayStatus.IN_VILLAGE,
            D(2025, 6, 4): DayStatus.IN_VILLAGE,
            D(2025, 6, 5): DayStatus.OFFICIAL_BUSINESS,
            D(2025, 6, 6): DayStatus.OFFICIAL_BUSINESS,
            D(2025, 6, 7): DayStatus.HOLIDAY,
            D(2025, 6, 9): DayStatus.LEAVE,
            D(2025, 6, 10): DayStatus.ABSENT,
        },
    )
    [before] = selectors.experience_of(w["cadre_a"])
    assert before.dispatch == w["dispatch_a"] and before.dispatch.village == w["village_a"]
    assert before.starts_on == STATIONED_ON and before.ends_on is None
    assert before.days_in_village == 5
    assert before.grade == "" and before.grade_label == ""

    _finalised(w, w["appraisal_a"], township=80, unit=80)
    [after] = selectors.experience_of(w["cadre_a"])
    assert after.ends_on == min(timezone.localdate(), TERM_ENDS)
    assert after.days_in_village == 5
    assert after.grade == C and after.grade_label == "称职"
    answer = selectors.may_be_promoted(w["cadre_a"], on=D(2026, 12, 1))
    assert answer.allowed and answer.preferred and "驻村蹲点工作经历" in answer.reason and "称职" in answer.reason


def test_experience_shows_no_grade_while_it_is_only_proposed_or_cancelled_r_a4(round_world):
    """R-A4: a proposal is not a grade; a cancelled appraisal is not shown."""
    w = round_world
    _proposed(w, w["appraisal_a"], w["appraisal_b"])
    [a] = selectors.experience_of(w["cadre_a"])
    assert a.appraisal is not None and a.grade == ""
    services.appraisal_cancel(appraisal=w["appraisal_b"], reason="已召回", by=w["people"]["org"])
    [b] = selectors.experience_of(w["cadre_b"])
    assert b.appraisal is None and b.grade == ""


def test_a_cadre_never_stationed_has_no_experience_r_a4(round_world):
    """R-A4: a nomination alone is not experience."""
    assert selectors.experience_of(round_world["plain_a"]) == []


# --- Paper ballot sessions (R-A5) --------------------------------------------------------------------


def test_the_township_enters_a_paper_session_and_it_is_audited_r_a5(round_world):
    """R-A5: the township enters the tallies of a session in its village."""
    w = round_world
    session = _paper(w, w["appraisal_a"], excellent=10, competent=5, basically=2, incompetent=1, invalid=2)
    stored = _fresh(session)
    assert stored.ballots == 20 and stored.entered_by == w["people"]["town_a"]
    [event] = _events("paper_session.enter", w["appraisal_a"])
    assert event.data["ballots"] == 20 and event.data["invalid"] == 2
    assert services.vote_totals(w["appraisal_a"]) == {E: 10, C: 5, B: 2, N: 1}


@pytest.mark.parametrize(
    ("counts", "collected", "words"),
    [
        ({"excellent": 3, "competent": 2}, 6, "不符"),
        ({"excellent": 3, "competent": 2}, 4, "不符"),
        ({}, 0, "无需录入"),
        ({"excellent": -1, "competent": 2}, 1, "不小于 0"),
    ],
)
def test_a_paper_sessions_counts_must_add_up_r_a5(round_world, counts, collected, words):
    """R-A5: the grades plus invalid ballots equal the ballots collected, none negative, at least one."""
    w = round_world
    fields = {"excellent": 0, "competent": 0, "basically_competent": 0, "incompetent": 0, "invalid": 0, **counts}
    with pytest.raises(ValidationError) as exc:
        services.paper_session_enter(
            appraisal=w["appraisal_a"],
            held_on=D(2026, 2, 28),
            ballots_collected=collected,
            by=w["people"]["town_a"],
            **fields,
        )
    assert words in _chinese(exc)
    assert not PaperSession.objects.exists()


def test_a_paper_session_cannot_be_dated_in_the_future_r_a5(round_world):
    """R-A5: a session is entered after it was held."""
    with pytest.raises(ValidationError):
        _paper(
            round_world,
            round_world["appraisal_a"],
            excellent=1,
            held_on=timezone.localdate() + datetime.timedelta(days=1),
        )


def test_a_paper_session_beyond_a_villages_voters_is_refused_and_saves_nothing_r_a5(round_world, settings):
    """R-A5: 2,147,483,648 ballots were once saved; no session holds more than a village's voters (a setting)."""
    w = round_world
    assert settings.POLICY["VILLAGE_VOTERS_MAX"] == 5000
    for counts in ({"excellent": 2_147_483_648}, {"excellent": 5000, "invalid": 1}):
        with pytest.raises(ValidationError) as exc:
            _paper(w, w["appraisal_a"], **counts)
        assert "选民人数上限(5000 人)" in _chinese(exc)
    assert not PaperSession.objects.exists()
    assert not _events("paper_session.enter").exists()
    assert _paper(w, w["appraisal_a"], competent=5000).ballots == 5000


def test_online_and_paper_votes_together_stay_within_a_villages_voters_r_a5(round_world, settings):
    """R-A5: one vote per voter per cadre: votes already cast online and on paper count toward the bound."""
    w = round_world
    settings.POLICY = {**settings.POLICY, "VILLAGE_VOTERS_MAX": 10}
    _vote(w, w["village_a"], [Grade.EXCELLENT] * 3)
    voided = _paper(w, w["appraisal_a"], competent=7)
    services.paper_session_void(session=voided, reason="录错", by=w["people"]["town_a"])
    _paper(w, w["appraisal_a"], competent=5)
    with pytest.raises(ValidationError) as exc:
        _paper(w, w["appraisal_a"], competent=2, invalid=1)
    assert "已有网上和现场评议票 8 张" in _chinese(exc) and "10 人" in _chinese(exc)
    assert PaperSession.objects.filter(voided_at__isnull=True).count() == 1
    assert _paper(w, w["appraisal_a"], competent=2).ballots == 2


@pytest.mark.parametrize("held_on", [D(1, 1, 1), STATIONED_ON - datetime.timedelta(days=1)])
def test_a_paper_session_before_the_cadre_arrived_is_refused_r_a1(round_world, held_on):
    """R-A1: the villagers evaluate the cadre's stay: a session dated before it began (year 1 …) is refused."""
    with pytest.raises(ValidationError) as exc:
        _paper(round_world, round_world["appraisal_a"], excellent=1, held_on=held_on)
    assert f"早于该干部到村日期({STATIONED_ON.isoformat()})" in _chinese(exc)
    assert not PaperSession.objects.exists()
    assert _paper(round_world, round_world["appraisal_a"], excellent=1, held_on=STATIONED_ON).held_on == STATIONED_ON


def test_a_paper_session_after_the_close_is_refused_r_a5(round_world):
    """R-A5: nothing is added after the vote closes, on paper either."""
    w = round_world
    _close(w)
    with pytest.raises(ValidationError) as exc:
        _paper(w, w["appraisal_a"], excellent=5)
    assert "评议已经结束" in _chinese(exc)
    assert not PaperSession.objects.exists()


def test_a_session_cannot_be_voided_after_the_close_r_a5(round_world):
    """R-A5: the tallies in force when the vote closed stay."""
    w = round_world
    session = _paper(w, w["appraisal_a"], excellent=5)
    _close(w)
    with pytest.raises(ValidationError):
        services.paper_session_void(session=session, reason="补录错误", by=w["people"]["town_a"])
    assert _fresh(session).voided_at is None


@pytest.mark.parametrize("who", ["town_b", "head_a", "auditor", "org"])
def test_only_the_cadres_own_township_enters_paper_sessions_r_a5(round_world, who):
    """R-A5: another township (and anyone else) is refused with 403, audited, and nothing is stored."""
    w = round_world
    with pytest.raises(PermissionDenied):
        _paper(w, w["appraisal_a"], excellent=5, by=who)
    assert not PaperSession.objects.exists()
    assert _events("paper_session.enter.refused", w["appraisal_a"]).get().actor == w["people"][who]


def test_voiding_a_session_needs_a_reason_and_happens_once_r_a5(round_world):
    """R-A5: a void is audited with its reason; a voided session is not counted and cannot be voided again."""
    w = round_world
    session = _paper(w, w["appraisal_a"], excellent=5)
    with pytest.raises(ValidationError):
        services.paper_session_void(session=session, reason=" ", by=w["people"]["town_a"])
    with pytest.raises(PermissionDenied):
        services.paper_session_void(session=session, reason="越权", by=w["people"]["town_b"])
    services.paper_session_void(session=session, reason="重复录入", by=w["people"]["town_a"])
    assert services.vote_totals(w["appraisal_a"])[E] == 0
    assert _events("paper_session.void", w["appraisal_a"]).get().reason == "重复录入"
    with pytest.raises(ValidationError) as exc:
        services.paper_session_void(session=session, reason="再次作废", by=w["people"]["town_a"])
    assert "已经作废" in _chinese(exc)


# --- Issuing ballot codes (R-A5) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "village"),
    [
        ("town_a", "village_a"),
        ("town_a_deputy", "village_a"),
        ("org", "village_a"),
        ("org", "village_b"),
        ("town_b", "village_b"),
    ],
)
def test_codes_are_issued_by_the_township_in_its_villages_and_the_org_dept_anywhere_r_a5(round_world, who, village):
    """R-A5: the township for its own villages, the org dept for every village of the county; audited."""
    w = round_world
    user = w["people"].get(who) or w["mentor_a"]
    batch = services.ballots_issue(round_=w["round"], village=w[village], count=5, by=user)
    assert batch.codes.count() == 5 and not batch.codes.filter(used=True).exists()
    assert sorted(batch.codes.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    [event] = _events("ballots.issue", batch)
    assert event.actor == user and event.data["count"] == 5


@pytest.mark.parametrize(
    ("who", "village"),
    [
        ("town_b", "village_a"),
        ("town_a", "village_b"),
        ("head_a", "village_a"),
        ("auditor", "village_a"),
        ("outsider", "village_a"),
        ("cadre_a", "village_a"),
    ],
)
def test_codes_for_a_village_outside_the_tier_are_refused_r_a5(round_world, who, village):
    """R-A5: another township, a unit, the auditor, an outsider, the cadre: 403, audited, nothing issued."""
    w = round_world
    with pytest.raises(PermissionDenied):
        services.ballots_issue(round_=w["round"], village=w[village], count=5, by=w["people"][who])
    assert not BallotBatch.objects.exists() and not BallotCode.objects.exists()
    assert _events("ballots.issue.refused").get().actor == w["people"][who]


@pytest.mark.parametrize("count", [0, -1, 501, True, 2.0, "5", None])
def test_a_batch_holds_1_to_500_codes_r_a5(round_world, count):
    """R-A5: the most per issue is a setting (default 500); anything else is refused."""
    w = round_world
    with pytest.raises(ValidationError) as exc:
        services.ballots_issue(round_=w["round"], village=w["village_a"], count=count, by=w["people"]["org"])
    assert "1 到 500" in _chinese(exc)
    assert not BallotBatch.objects.exists()


def test_the_most_codes_per_batch_is_a_setting_r_a5(round_world, settings):
    """R-A5: with a limit of 3, 3 are issued and 4 refused."""
    settings.POLICY = {**settings.POLICY, "BALLOT_CODES_MAX_PER_ISSUE": 3}
    w = round_world
    assert services.ballots_issue(round_=w["round"], village=w["village_a"], count=3, by=w["people"]["org"])
    with pytest.raises(ValidationError) as exc:
        services.ballots_issue(round_=w["round"], village=w["village_a"], count=4, by=w["people"]["org"])
    assert "1 到 3" in _chinese(exc)


def test_codes_are_refused_once_the_round_is_closed_r_a5(round_world):
    """R-A5: no new voters after the vote closes."""
    w = round_world
    _close(w)
    with pytest.raises(ValidationError) as exc:
        services.ballots_issue(round_=w["round"], village=w["village_a"], count=5, by=w["people"]["org"])
    assert "已经结束" in _chinese(exc)
    assert not BallotBatch.objects.exists()


def test_codes_are_refused_for_a_village_without_a_cadre_in_the_round_r_a5(round_world):
    """R-A5: village_a2 has no appraised cadre: nothing to vote on."""
    w = round_world
    with pytest.raises(ValidationError) as exc:
        services.ballots_issue(round_=w["round"], village=w["village_a2"], count=5, by=w["people"]["town_a"])
    assert "没有正在考评" in _chinese(exc)


def test_printing_a_sheet_gives_the_unused_codes_and_is_audited_r_a5(round_world):
    """R-A5: a reprint leaves out the codes already used; who printed is audited; another township may not."""
    w = round_world
    org = w["people"]["org"]
    batch = services.ballots_issue(round_=w["round"], village=w["village_a"], count=3, by=org)
    codes = services.ballot_sheet_codes(batch=batch, by=w["people"]["town_a"])
    assert len(codes) == 3
    services.ballot_cast(code=codes[0], choices={w["appraisal_a"].pk: E})
    assert services.ballot_sheet_codes(batch=batch, by=org) == codes[1:]
    assert _events("ballots.print", batch).count() == 2
    with pytest.raises(PermissionDenied):
        services.ballot_sheet_codes(batch=batch, by=w["people"]["town_b"])
    assert OnlineTally.objects.get(appraisal=w["appraisal_a"], grade=E).count == 1
