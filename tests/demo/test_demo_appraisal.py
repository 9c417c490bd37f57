"""The demo county's appraisals: last year's round finalised with every grade, this year's round open and waiting."""

import datetime
from collections import Counter

from django.apps import apps
from django.contrib.auth import authenticate
from django.db.models import Sum
from django.test import RequestFactory
from django.utils import timezone

from appraisal.flows import AppraisalFlow
from appraisal.models import Appraisal, AppraisalRound, AppraisalState, BallotBatch, BallotCode, Grade, RoundState
from appraisal.selectors import may_be_promoted, term_counts
from demo.base import DEMO_LOGINS, DEMO_PASSWORD
from demo.build import demo_county_build
from dispatch.models import DispatchState
from leave.models import AttendanceDay, DayStatus
from workflows.flows import FINISHED, open_tasks_for, process_of
from workflows.models import Cadre, User


def _round(year: int) -> AppraisalRound:
    return AppraisalRound.objects.get(title=f"{year}年度驻村干部考评")


def _appraisals(round_: AppraisalRound):
    return round_.appraisals.select_related(
        "dispatch__cadre__user", "dispatch__unit", "dispatch__village__township", "finalised_by"
    ).order_by("pk")


def _in_window(round_: AppraisalRound, day: datetime.date) -> bool:
    return round_.term_ends_from <= day <= round_.term_ends_to


def test_r_a1_r_a2_last_years_round_is_closed_and_finalised_with_all_four_grades(demo):
    """R-A1, R-A2, R-A2a: both scores and the villagers' votes for every cadre; the org dept finalised every
    grade, as proposed but once, with a written reason; a few excellent, mostly competent, one of each other."""
    today = timezone.localdate()
    round_ = _round(today.year - 1)
    assert round_.state == RoundState.CLOSED and round_.closed_by.username == "zuzhibu"
    appraisals = list(_appraisals(round_))
    assert 20 <= len(appraisals) <= 26
    assert {a.state for a in appraisals} == {AppraisalState.FINALISED}
    grades = Counter(a.final_grade for a in appraisals)
    assert set(grades) == set(Grade.values)
    assert 2 <= grades[Grade.EXCELLENT] <= 5 and grades[Grade.COMPETENT] > len(appraisals) / 2
    assert grades[Grade.BASICALLY_COMPETENT] == grades[Grade.INCOMPETENT] == 1
    for a in appraisals:
        assert a.township_score is not None and a.unit_score is not None and a.votes_total >= 16, a
        assert a.township_comment and a.unit_comment and a.finalised_by.username == "zuzhibu"
        assert a.township_scored_by.posts.filter(township=a.dispatch.village.township).exists()
        assert a.unit_scored_by.posts.filter(unit=a.dispatch.unit).exists()
    [changed] = [a for a in appraisals if a.final_grade != a.proposed_grade]
    assert changed.final_reason and changed.proposed_grade == Grade.EXCELLENT
    assert all(not a.final_reason for a in appraisals if a is not changed)
    # Unexcused absences cap the grade: three make the incompetent one, one keeps another from excellent.
    [capped] = [a for a in appraisals if a.final_grade == Grade.INCOMPETENT]
    assert capped.absences == 3 and capped.computed_grade != Grade.INCOMPETENT
    assert any(
        a.absences == 1 and a.computed_grade == Grade.EXCELLENT and a.proposed_grade == Grade.COMPETENT
        for a in appraisals
    )
    assert sorted(a.absences for a in appraisals if a.absences) == [1, 3]


def test_r_a1_last_years_terms_ended_months_ago_and_their_dispatches_are_appraised(demo):
    """R-A1, R-S1, R-S7: stationed about 20 months ago for a year, appraised, every flow finished."""
    today = timezone.localdate()
    for a in _appraisals(_round(today.year - 1)):
        d = a.dispatch
        assert d.state == DispatchState.APPRAISED and d.ended_on == d.term_ends_on
        assert 560 <= (today - d.stationed_on).days <= 640
        assert _in_window(a.round, d.term_ends_on)
        assert process_of(AppraisalFlow, a).status == "DONE"
        assert d.cadre.dispatches.count() == 1


def test_r_m2a_last_years_ledger_covers_every_day_of_each_term(demo):
    """R-M1, R-M2a, R-A2a: one status a day over the whole term; the absences are the ones the grade counted."""
    today = timezone.localdate()
    appraisals = list(_appraisals(_round(today.year - 1)))
    counts = term_counts([a.dispatch_id for a in appraisals])
    for a in appraisals:
        d = a.dispatch
        days = AttendanceDay.objects.filter(dispatch=d)
        assert days.count() == (d.term_ends_on - d.stationed_on).days + 1
        assert days.filter(status=DayStatus.ABSENT).count() == a.absences
        assert counts[d.pk].present >= 250 and 1 <= counts[d.pk].leave <= 6


def test_r_a5_every_code_used_is_one_vote_and_every_village_met_on_paper(demo):
    """R-A5: the online tallies add up to the codes used, round by round; last year every village also voted on
    paper, and about half of them had codes."""
    today = timezone.localdate()
    for round_ in AppraisalRound.objects.all():
        used = BallotCode.objects.filter(batch__round=round_, used=True).count()
        tallied = round_.appraisals.aggregate(n=Sum("online_tallies__count"))["n"]
        assert used == tallied
    last = _round(today.year - 1)
    assert all(a.paper_sessions.count() == 1 for a in last.appraisals.all())
    villages = set(BallotBatch.objects.filter(round=last).values_list("village_id", flat=True))
    assert 6 <= len(villages) <= last.appraisals.count() - 6


def test_r_a3_ganbu2_was_appraised_excellent_and_is_preferred_for_promotion(demo):
    """R-A1, R-A2, R-A3: the demo login whose term is over was finalised excellent and is preferred."""
    login = next(login for login in DEMO_LOGINS if login["username"] == "ganbu2")
    user = authenticate(RequestFactory().post("/accounts/login/"), username="ganbu2", password=DEMO_PASSWORD)
    assert user is not None and not user.posts.exists()
    cadre = Cadre.objects.select_related("unit").get(user=user)
    assert cadre.unit.name == login["where"] == "县教育局"
    [appraisal] = Appraisal.objects.filter(dispatch__cadre=cadre)
    assert (appraisal.final_grade, appraisal.proposed_grade) == (Grade.EXCELLENT, Grade.EXCELLENT)
    assert appraisal.dispatch.village.township.name == "菜园镇"
    assert appraisal.online_tallies.aggregate(n=Sum("count"))["n"] > 0
    answer = may_be_promoted(cadre, on=timezone.localdate())
    assert answer.allowed and answer.preferred and "优秀" in answer.reason
    [capped] = Appraisal.objects.filter(final_grade=Grade.INCOMPETENT)
    assert not may_be_promoted(capped.dispatch.cadre, on=timezone.localdate()).allowed


def test_r_a1_this_years_round_is_open_for_terms_ending_in_the_coming_weeks(demo):
    """R-A1: the round is open for cadres stationed about 11½ months ago, each with a mentor and a ledger."""
    today = timezone.localdate()
    round_ = _round(today.year)
    assert round_.state == RoundState.OPEN
    assert (round_.term_ends_from, round_.term_ends_to) == (
        today - datetime.timedelta(days=30),
        today + datetime.timedelta(days=60),
    )
    appraisals = list(_appraisals(round_))
    assert 12 <= len(appraisals) <= 24
    assert {a.state for a in appraisals} == {AppraisalState.OPEN}
    for a in appraisals:
        d = a.dispatch
        assert d.state == DispatchState.STATIONED and today < d.term_ends_on <= today + datetime.timedelta(days=30)
        assert d.mentor is not None and d.cadre.dispatches.count() == 1
        assert AttendanceDay.objects.filter(dispatch=d).count() == (today - d.stationed_on).days
    scored = Counter((a.township_score is not None, a.unit_score is not None) for a in appraisals)
    assert len(scored) == 4, scored


def test_r_a1_xiangzhen1_and_danwei1_each_have_a_score_to_enter(demo):
    """R-A1: in 菜园镇 one cadre waits for xiangzhen1's score and another is scored; a cadre of 县农业农村局
    stationed there waits for danwei1's."""
    today = timezone.localdate()
    round_ = _round(today.year)
    township_tasks = open_tasks_for(User.objects.get(username="xiangzhen1"), [AppraisalFlow])
    assert township_tasks and {t.flow_task.name for t in township_tasks} == {"score_township"}
    assert {t.process.artifact.dispatch.village.township.name for t in township_tasks} == {"菜园镇"}
    caiyuan = [a for a in _appraisals(round_) if a.dispatch.village.township.name == "菜园镇"]
    assert len(caiyuan) == 3 and any(a.township_score is not None for a in caiyuan)
    unit_tasks = open_tasks_for(User.objects.get(username="danwei1"), [AppraisalFlow])
    assert unit_tasks and {t.flow_task.name for t in unit_tasks} == {"score_unit"}
    waiting = [t.process.artifact for t in unit_tasks]
    assert all(a.dispatch.unit.name == "县农业农村局" and a.round == round_ for a in waiting)
    assert any(a.dispatch.village.township.name == "菜园镇" for a in waiting)
    # The org dept closes the round from its page: nothing of this round waits in its queue yet.
    assert open_tasks_for(User.objects.get(username="zuzhibu"), [AppraisalFlow]) == []
    for task in township_tasks + unit_tasks:
        assert task.status not in FINISHED


def test_r_a5_this_years_codes_are_out_in_two_caiyuan_villages_some_used_and_a_paper_session_in(demo):
    """R-A5: forty codes for each of two villages of 菜园镇, some cast; one paper session entered."""
    today = timezone.localdate()
    round_ = _round(today.year)
    batches = list(BallotBatch.objects.filter(round=round_).select_related("village__township"))
    assert len(batches) == 2 and {b.village.township.name for b in batches} == {"菜园镇"}
    assert len({b.village_id for b in batches}) == 2
    for batch in batches:
        used = batch.codes.filter(used=True).count()
        assert batch.codes.count() == batch.count == 40 and 0 < used < 40
        votes = Counter(
            dict(round_.appraisals.get(dispatch__village=batch.village).online_tallies.values_list("grade", "count"))
        )
        assert sum(votes.values()) == used and len(+votes) >= 2
    sessions = [s for a in round_.appraisals.all() for s in a.paper_sessions.all()]
    assert len(sessions) == 1 and sessions[0].held_on <= today


def test_r_a1_r_a2_r_a5_building_the_demo_again_creates_nothing(demo):
    """R-A1, R-A2, R-A5: a second build finds both rounds by title and adds no row anywhere."""
    before = {model._meta.label: model.objects.count() for model in apps.get_models()}
    result = demo_county_build()
    assert sum(result.created.values()) == 0, {k: v for k, v in result.created.items() if v}
    assert {model._meta.label: model.objects.count() for model in apps.get_models()} == before
