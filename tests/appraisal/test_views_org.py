"""The appraisal's office pages by tier: rounds, progress, the score and finalisation queues, ballot codes and paper
tallies, and the task pages of the appraisal flow (R-A1, R-A2, R-A5, R-O4)."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from appraisal import ballots, services
from appraisal.flows import AppraisalFlow
from appraisal.models import Appraisal, AppraisalRound, AppraisalState, BallotBatch, Grade, PaperSession, RoundState
from dispatch.models import Dispatch, DispatchState, Pairing
from tests.appraisal.conftest import STATIONED_ON, close_vote, score_both
from tests.dispatch.test_team import stationed
from tests.factories import CadreFactory, UserFactory, VillageFactory
from workflows.flows import open_tasks_for
from workflows.models import AuditEvent

ROUNDS = reverse("appraisal:rounds")


def _page(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["page_messages"]]


def _task_url(user, appraisal) -> str:
    tasks = [t for t in open_tasks_for(user, [AppraisalFlow]) if int(t.process.artifact_object_id) == appraisal.pk]
    assert len(tasks) == 1, tasks
    return tasks[0].execute_url


def _fresh(appraisal) -> Appraisal:
    return Appraisal.objects.get(pk=appraisal.pk)


def _proposed(w, appraisal, *, township=90, unit=90):
    """Score the appraisal, close the round and return it proposed."""
    score_both(w, appraisal, township=township, unit=unit)
    close_vote(w["round"], w["people"]["org"])
    appraisal = _fresh(appraisal)
    assert appraisal.state == AppraisalState.PROPOSED
    return appraisal


def _login(client, w, role):
    client.force_login(w["people"][role])
    return client


# --- Rounds and their progress (R-A1) -----------------------------------------------------------------


def test_rounds_list_answers_each_role_by_tier_r_a1(client, round_world):
    w = round_world
    for role in ("org", "auditor", "town_a", "town_b", "head_a", "deputy_a", "head_b"):
        page = _page(_login(client, w, role).get(ROUNDS))
        assert "2026年度驻村干部考评" in page, role
        assert ("发起考评" in page) == (role == "org"), role
    for role in ("cadre_a", "outsider"):
        assert _login(client, w, role).get(ROUNDS).status_code == 403, role
    client.logout()
    assert client.get(ROUNDS).status_code == 302


def test_appraisal_index_goes_to_the_rounds_list_r_a1(client, round_world):
    _login(client, round_world, "org")
    response = client.get(reverse("appraisal:index"))
    assert response.status_code == 302 and response.url == ROUNDS


def test_org_dept_previews_the_window_then_opens_a_round_r_a1(client, stationed_world):
    w = stationed_world
    _login(client, w, "org")
    window = {"title": "2026年度考评", "year": 2026, "term_ends_from": "2026-01-01", "term_ends_to": "2026-12-31"}
    preview = client.get(ROUNDS, window)
    assert [d.pk for d in preview.context["preview"]] == sorted([w["dispatch_a"].pk, w["dispatch_b"].pk])
    assert "将列入考评的驻村干部 2 名" in _page(preview) and "李卫东" in _page(preview)
    assert not AppraisalRound.objects.exists()

    response = client.post(ROUNDS, window)
    round_ = AppraisalRound.objects.get()
    assert response.status_code == 302 and response.url == reverse("appraisal:round_detail", args=[round_.pk])
    assert round_.appraisals.count() == 2
    assert "列入考评的驻村干部 2 名" in _messages(client.get(response.url))[0]

    again = client.post(ROUNDS, window)
    assert again.status_code == 200
    assert "已有名为「2026年度考评」的考评。" in _page(again)
    assert AppraisalRound.objects.count() == 1


def test_round_window_catching_nobody_is_refused_on_the_form_r_a1(client, stationed_world):
    _login(client, stationed_world, "org")
    response = client.post(
        ROUNDS, {"title": "空考评", "year": 2026, "term_ends_from": "2030-01-01", "term_ends_to": "2030-12-31"}
    )
    assert response.status_code == 200
    assert "没有期满、尚未列入考评的驻村干部" in _page(response)
    assert not AppraisalRound.objects.exists()


def test_only_the_org_dept_opens_a_round_r_a1(client, stationed_world):
    window = {"title": "越权考评", "year": 2026, "term_ends_from": "2026-01-01", "term_ends_to": "2026-12-31"}
    for role in ("auditor", "town_a", "head_a"):
        assert _login(client, stationed_world, role).post(ROUNDS, window).status_code == 403, role
    assert not AppraisalRound.objects.exists()


def test_round_detail_shows_progress_per_township_with_a_total_for_the_county_r_a1(client, round_world):
    w = round_world
    score_both(w, w["appraisal_a"])
    url = reverse("appraisal:round_detail", args=[w["round"].pk])
    response = _login(client, w, "org").get(url)
    rows = {t.township: t for t in response.context["progress"].townships}
    assert set(rows) == {"菜园镇", "宜沟镇"}
    assert (rows["菜园镇"].township_scored, rows["宜沟镇"].township_scored) == (1, 0)
    assert response.context["total"].cadres == 2
    page = _page(response)
    assert 'data-testid="progress-total"' in page and 'data-testid="close-round"' in page

    auditor = _page(_login(client, w, "auditor").get(url))
    assert 'data-testid="progress-total"' in auditor and 'data-testid="close-round"' not in auditor


def test_township_and_unit_see_only_their_rows_of_a_round_r_a1(client, round_world):
    w = round_world
    url = reverse("appraisal:round_detail", args=[w["round"].pk])
    town = _login(client, w, "town_a").get(url)
    assert [t.township for t in town.context["progress"].townships] == ["菜园镇"]
    assert 'data-testid="close-round"' not in _page(town)
    unit = _login(client, w, "head_b").get(url)
    assert [t.township for t in unit.context["progress"].townships] == ["宜沟镇"]
    assert "已发投票码" not in _page(unit)


def test_round_pages_refuse_people_without_a_post_and_answer_404_for_unknown_rounds_r_o4(client, round_world):
    w = round_world
    pk = w["round"].pk
    names = ("round_detail", "round_appraisals", "round_ballots", "round_close")
    for role in ("outsider", "cadre_a"):
        _login(client, w, role)
        for name in names:
            assert client.get(reverse(f"appraisal:{name}", args=[pk])).status_code == 403, (role, name)
    _login(client, w, "org")
    for name in names:
        assert client.get(reverse(f"appraisal:{name}", args=[pk + 100])).status_code == 404, name


def test_bad_query_strings_never_break_a_page_r_o4(client, round_world):
    w = round_world
    _login(client, w, "org")
    pk = w["round"].pk
    assert client.get(ROUNDS + "?county=abc").status_code == 200
    assert client.get(ROUNDS + "?term_ends_from=x&term_ends_to=&year=y").status_code == 200
    response = client.get(reverse("appraisal:round_appraisals", args=[pk]) + "?state=nonsense")
    assert response.status_code == 200 and len(response.context["rows"]) == 2
    ballots = reverse("appraisal:round_ballots", args=[pk])
    assert client.post(ballots, {"village": "abc", "count": "5"}).status_code == 404
    assert client.post(ballots, {"count": "5"}).status_code == 404
    paper = reverse("appraisal:paper_sessions", args=[w["appraisal_a"].pk])
    _login(client, w, "town_a")
    assert client.post(paper, {"action": "void", "session": "x", "reason": "错"}).status_code == 404


# --- Score tasks through the pages (R-A1) -------------------------------------------------------------


def test_township_scores_its_cadre_through_the_task_page_r_a1(client, round_world):
    w = round_world
    appraisal = w["appraisal_a"]
    url = _task_url(w["people"]["town_a"], appraisal)
    _login(client, w, "town_a")
    response = client.get(url)
    assert response.status_code == 200
    page = _page(response)
    assert "李卫东" in page and "县农业农村局" in page and "菜园镇 · 东官庄村" in page
    assert 'data-testid="attendance"' in page and "无故缺勤" in page
    assert response.context["record"].starts_on == STATIONED_ON

    queue = reverse("appraisal:round_appraisals", args=[w["round"].pk])
    response = client.post(f"{url}?back={queue}", {"score": 92, "comment": "扎根农村,工作扎实"})
    assert response.status_code == 302 and response.url == queue
    appraisal = _fresh(appraisal)
    assert (appraisal.township_score, appraisal.township_comment) == (92, "扎根农村,工作扎实")
    assert appraisal.township_scored_by == w["people"]["town_a"]
    assert not [
        t
        for t in open_tasks_for(w["people"]["town_a"], [AppraisalFlow])
        if int(t.process.artifact_object_id) == appraisal.pk
    ]
    assert "已为 李卫东 评分。" in _messages(client.get(queue))


def test_township_score_out_of_range_re_shows_the_form_and_changes_nothing_r_a1(client, round_world):
    w = round_world
    url = _task_url(w["people"]["town_a"], w["appraisal_a"])
    response = _login(client, w, "town_a").post(url, {"score": 101, "comment": "好"})
    assert response.status_code == 200 and response.context["form"].errors
    assert _fresh(w["appraisal_a"]).township_score is None
    assert _task_url(w["people"]["town_a"], w["appraisal_a"]) == url


def test_unit_scores_its_own_cadre_through_the_task_page_r_a1(client, round_world):
    w = round_world
    url = _task_url(w["people"]["head_a"], w["appraisal_a"])
    _login(client, w, "head_a")
    assert "驻村期考勤" in _page(client.get(url))
    assert client.post(url, {"score": 88, "comment": "表现良好"}).status_code == 302
    appraisal = _fresh(w["appraisal_a"])
    assert (appraisal.unit_score, appraisal.unit_scored_by) == (88, w["people"]["head_a"])
    assert appraisal.township_score is None


def test_town_b_cannot_open_score_task_of_town_a_cadre_r_a1(client, round_world):
    w = round_world
    url = _task_url(w["people"]["town_a"], w["appraisal_a"])
    response = _login(client, w, "town_b").get(url)
    assert response.status_code == 403
    refusal = AuditEvent.objects.filter(action="task.refused", actor=w["people"]["town_b"]).get()
    assert refusal.object_id == str(w["appraisal_a"].pk)
    assert client.post(url, {"score": 10, "comment": "越权"}).status_code == 403
    assert _fresh(w["appraisal_a"]).township_score is None


def test_unit_b_head_cannot_open_score_task_of_unit_a_cadre_r_a1(client, round_world):
    w = round_world
    url = _task_url(w["people"]["head_a"], w["appraisal_a"])
    for role in ("head_b", "town_a", "org"):
        assert _login(client, w, role).get(url).status_code == 403, role
    assert AuditEvent.objects.filter(action="task.refused", actor=w["people"]["head_b"]).exists()
    assert _fresh(w["appraisal_a"]).unit_score is None


def test_score_queue_lists_the_tiers_own_cadres_with_their_task_r_a1(client, round_world):
    w = round_world
    url = reverse("appraisal:round_appraisals", args=[w["round"].pk])
    response = _login(client, w, "town_a").get(url)
    assert [a.pk for a in response.context["rows"]] == [w["appraisal_a"].pk]
    page = _page(response)
    assert 'data-testid="score-queue"' in page and "王秀英" not in page
    assert _task_url(w["people"]["town_a"], w["appraisal_a"]) in page
    task_url = _task_url(w["people"]["town_a"], w["appraisal_a"])
    services.township_score_enter(appraisal=w["appraisal_a"], score=91, comment="好", by=w["people"]["town_a"])
    page = _page(client.get(url))
    assert "已评 91" in page and task_url not in page

    unit = _login(client, w, "head_b").get(url)
    assert [a.pk for a in unit.context["rows"]] == [w["appraisal_b"].pk]
    assert "重新审定" not in _page(unit) and "撤销" not in _page(unit)


# --- Finalisation (R-A2) ----------------------------------------------------------------------------


def test_finalise_task_shows_the_parts_side_by_side_r_a2(client, round_world):
    w = round_world
    appraisal = _proposed(w, w["appraisal_a"], township=92, unit=88)
    url = _task_url(w["people"]["org"], appraisal)
    response = _login(client, w, "org").get(url)
    assert response.status_code == 200
    assert response.context["form"].initial["grade"] == appraisal.proposed_grade
    page = _page(response)
    for part in ("township-part", "unit-part", "villagers-part", "votes", "combined", "proposed"):
        assert f'data-testid="{part}"' in page, part
    assert "工作扎实" in page and "表现良好" in page and "没有村民评议票" in page
    assert str(appraisal.combined_score) in page
    assert 'data-testid="excellent-cap"' not in page


def test_finalise_task_shows_the_excellence_cap_when_it_is_set_r_a2a(client, round_world, settings):
    settings.POLICY = {**settings.POLICY, "EXCELLENT_SHARE_CAP_PERCENT": 50}
    w = round_world
    appraisal = _proposed(w, w["appraisal_a"], township=95, unit=95)
    response = _login(client, w, "org").get(_task_url(w["people"]["org"], appraisal))
    allowed = response.context["excellent_allowed"]
    assert allowed is not None and f"优秀名额 {allowed} 名,已审定 0 名" in _page(response)


def test_changing_the_grade_without_a_reason_re_shows_the_form_and_changes_nothing_r_a2(client, round_world):
    w = round_world
    appraisal = _proposed(w, w["appraisal_a"])
    url = _task_url(w["people"]["org"], appraisal)
    _login(client, w, "org")
    changed = Grade.COMPETENT if appraisal.proposed_grade != Grade.COMPETENT else Grade.EXCELLENT
    response = client.post(url, {"grade": changed, "reason": ""})
    assert response.status_code == 200
    assert "须写明理由" in _page(response)
    assert _fresh(appraisal).state == AppraisalState.PROPOSED
    assert _task_url(w["people"]["org"], appraisal) == url

    response = client.post(url, {"grade": changed, "reason": "群众反映突出,经研究调整"})
    assert response.status_code == 302
    appraisal = _fresh(appraisal)
    assert (appraisal.state, appraisal.final_grade) == (AppraisalState.FINALISED, changed)
    assert appraisal.final_reason == "群众反映突出,经研究调整"
    assert Dispatch.objects.get(pk=appraisal.dispatch_id).state == DispatchState.APPRAISED


def test_finalise_task_warns_that_a_term_not_yet_over_ends_early_r_a2(client, round_world):
    w = round_world
    appraisal = _proposed(w, w["appraisal_a"])
    url = _task_url(w["people"]["org"], appraisal)
    _login(client, w, "org")
    assert 'data-testid="ends-early"' not in _page(client.get(url))
    Dispatch.objects.filter(pk=appraisal.dispatch_id).update(term_ends_on=datetime.date(2099, 3, 4))
    assert "审定后驻村期即告结束" in _page(client.get(url))


def test_only_the_org_dept_opens_the_finalise_task_r_a2(client, round_world):
    w = round_world
    appraisal = _proposed(w, w["appraisal_a"])
    url = _task_url(w["people"]["org"], appraisal)
    for role in ("auditor", "town_a", "head_a"):
        assert _login(client, w, role).get(url).status_code == 403, role


def test_finalisation_queue_shows_each_rows_parts_and_links_its_task_r_a2(client, round_world):
    w = round_world
    appraisal = _proposed(w, w["appraisal_a"], township=92, unit=88)
    url = reverse("appraisal:round_appraisals", args=[w["round"].pk])
    response = _login(client, w, "org").get(url)
    page = _page(response)
    assert 'data-testid="finalise-queue"' in page
    assert _task_url(w["people"]["org"], appraisal) in page
    assert str(appraisal.combined_score) in page and "待审定" in page
    rows = {a.pk: a for a in response.context["rows"]}
    assert rows[appraisal.pk].can_cancel and not rows[appraisal.pk].can_reopen

    auditor = _page(_login(client, w, "auditor").get(url))
    assert 'data-testid="finalise-queue"' in auditor and "重新审定" not in auditor and ">撤销<" not in auditor


def test_org_dept_reopens_a_finalised_grade_through_the_page_r_a2(client, round_world):
    w = round_world
    appraisal = _proposed(w, w["appraisal_a"])
    services.appraisal_finalise(appraisal=appraisal, grade=appraisal.proposed_grade, by=w["people"]["org"])
    url = reverse("appraisal:appraisal_reopen", args=[appraisal.pk])
    queue = reverse("appraisal:round_appraisals", args=[w["round"].pk])
    _login(client, w, "org")
    assert url in _page(client.get(queue))
    assert "现审定等次" in _page(client.get(url))
    assert client.post(url, {"reason": ""}).status_code == 200
    assert _fresh(appraisal).state == AppraisalState.FINALISED

    response = client.post(url, {"reason": "复核发现缺勤记录有误"})
    assert response.status_code == 302 and response.url == queue
    appraisal = _fresh(appraisal)
    assert (appraisal.state, appraisal.reopen_reason) == (AppraisalState.PROPOSED, "复核发现缺勤记录有误")
    assert _task_url(w["people"]["org"], appraisal)

    again = client.post(url, {"reason": "再次"})
    assert again.status_code == 200 and "已经处理过或不能进行此操作" in _page(again)


def test_org_dept_cancels_an_appraisal_through_the_page_r_a1(client, round_world):
    w = round_world
    url = reverse("appraisal:appraisal_cancel", args=[w["appraisal_b"].pk])
    _login(client, w, "org")
    assert "撤销考评" in _page(client.get(url))
    assert client.post(url, {"reason": "干部已召回"}).status_code == 302
    appraisal = _fresh(w["appraisal_b"])
    assert (appraisal.state, appraisal.cancel_reason) == (AppraisalState.CANCELLED, "干部已召回")
    assert not open_tasks_for(w["people"]["town_b"], [AppraisalFlow])


def test_only_the_org_dept_reopens_or_cancels_and_refusals_are_audited_r_a2(client, round_world):
    w = round_world
    for name in ("appraisal_reopen", "appraisal_cancel"):
        url = reverse(f"appraisal:{name}", args=[w["appraisal_a"].pk])
        for role in ("auditor", "town_a", "head_a"):
            _login(client, w, role)
            assert client.get(url).status_code == 403, (name, role)
            assert client.post(url, {"reason": "越权"}).status_code == 403, (name, role)
    assert AuditEvent.objects.filter(action="appraisal.cancel.refused", actor=w["people"]["town_a"]).exists()
    assert _fresh(w["appraisal_a"]).state == AppraisalState.OPEN
    assert client.get(reverse("appraisal:appraisal_cancel", args=[99999])).status_code == 404


# --- Closing the vote (R-A5) ------------------------------------------------------------------------


def test_org_dept_closes_the_vote_after_a_confirmation_r_a5(client, round_world):
    w = round_world
    score_both(w, w["appraisal_a"])
    url = reverse("appraisal:round_close", args=[w["round"].pk])
    _login(client, w, "org")
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert (confirm.context["ready"], confirm.context["waiting"]) == (1, 1)
    assert "确认结束村民评议" in _page(confirm)
    assert AppraisalRound.objects.get().state == RoundState.OPEN

    reasons = {f"no_votes_reason_{a.pk}": "未组织评议" for a in (w["appraisal_a"], w["appraisal_b"])}
    response = client.post(url, {**reasons, "confirm_no_votes": "1"})
    assert response.status_code == 302
    assert AppraisalRound.objects.get().state == RoundState.CLOSED
    assert _fresh(w["appraisal_a"]).state == AppraisalState.PROPOSED
    detail = client.get(response.url)
    assert "1 名干部已拟定等次" in _messages(detail)[0] and 'data-testid="close-round"' not in _page(detail)

    again = client.post(url)
    assert "已经处理过或不能进行此操作" in _messages(client.get(again.url))[0]


def test_close_page_lists_villages_without_votes_and_needs_a_confirmed_reason_each_r_a1(client, round_world):
    """R-A1: the page lists each cadre whose village gave no vote; a missing reason or confirmation changes nothing."""
    w = round_world
    batch = services.ballots_issue(round_=w["round"], village=w["village_a"], count=1, by=w["people"]["town_a"])
    [code] = services.ballot_sheet_codes(batch=batch, by=w["people"]["town_a"])
    services.ballot_cast(code=code, choices={w["appraisal_a"].pk: Grade.COMPETENT})
    url = reverse("appraisal:round_close", args=[w["round"].pk])
    field = f"no_votes_reason_{w['appraisal_b'].pk}"
    _login(client, w, "org")
    page = client.get(url)
    rows = [row["appraisal"] for row in page.context["without_votes"]]
    assert rows == [w["appraisal_b"]]
    assert f'name="{field}"' in _page(page) and 'name="confirm_no_votes"' in _page(page)
    assert f'name="no_votes_reason_{w["appraisal_a"].pk}"' not in _page(page)

    unconfirmed = client.post(url, {field: "村民外出务工"})
    assert unconfirmed.status_code == 400 and "勾选确认" in _page(unconfirmed)
    assert "村民外出务工" in _page(unconfirmed)
    no_reason = client.post(url, {field: "  ", "confirm_no_votes": "1"})
    assert no_reason.status_code == 400
    assert "须逐村写明原因" in _page(no_reason) and w["village_b"].name in _page(no_reason)
    assert AppraisalRound.objects.get().state == RoundState.OPEN
    assert not AuditEvent.objects.filter(action="appraisal_round.close").exists()

    done = client.post(url, {field: "村民外出务工", "confirm_no_votes": "1"})
    assert done.status_code == 302 and AppraisalRound.objects.get().state == RoundState.CLOSED
    assert _fresh(w["appraisal_b"]).no_votes_reason == "村民外出务工"
    assert _fresh(w["appraisal_a"]).no_votes_reason == ""


def test_close_page_asks_no_reason_when_every_village_voted_r_a1(client, round_world):
    w = round_world
    for appraisal, by in ((w["appraisal_a"], "town_a"), (w["appraisal_b"], "town_b")):
        services.paper_session_enter(
            appraisal=appraisal,
            held_on=datetime.date(2026, 11, 20),
            excellent=1,
            competent=0,
            basically_competent=0,
            incompetent=0,
            invalid=0,
            ballots_collected=1,
            by=w["people"][by],
        )
    url = reverse("appraisal:round_close", args=[w["round"].pk])
    _login(client, w, "org")
    page = client.get(url)
    assert page.context["without_votes"] == [] and 'data-testid="without-votes"' not in _page(page)
    assert client.post(url).status_code == 302
    assert AppraisalRound.objects.get().state == RoundState.CLOSED


def test_only_the_org_dept_closes_the_vote_r_a5(client, round_world):
    w = round_world
    url = reverse("appraisal:round_close", args=[w["round"].pk])
    for role in ("auditor", "town_a", "head_a"):
        _login(client, w, role)
        assert client.get(url).status_code == 403, role
        assert client.post(url).status_code == 403, role
    assert AppraisalRound.objects.get().state == RoundState.OPEN
    # One refusal per user: the same refusal repeated within AUDIT_REFUSAL_REPEAT_SECONDS is not written again.
    assert AuditEvent.objects.filter(action="appraisal_round.close.refused").count() == 3


# --- Ballot codes (R-A5) ----------------------------------------------------------------------------


def test_township_issues_ballot_codes_for_its_own_village_r_a5(client, round_world):
    w = round_world
    url = reverse("appraisal:round_ballots", args=[w["round"].pk])
    _login(client, w, "town_a")
    page = client.get(url)
    assert [v.pk for v in page.context["villages"]] == [w["village_a"].pk]
    response = client.post(url, {"village": w["village_a"].pk, "count": 30})
    assert response.status_code == 302 and response.url.endswith(f"#village-{w['village_a'].pk}")
    batch = BallotBatch.objects.get()
    assert (batch.village, batch.count, batch.codes.count()) == (w["village_a"], 30, 30)
    page = client.get(url)
    assert "已为 东官庄村 发放投票码 30 张" in _messages(page)[0]
    assert reverse("appraisal:batch_pdf", args=[batch.pk]) in _page(page)


def test_township_cannot_issue_codes_for_another_townships_village_r_a5(client, round_world):
    w = round_world
    url = reverse("appraisal:round_ballots", args=[w["round"].pk])
    response = _login(client, w, "town_a").post(url, {"village": w["village_b"].pk, "count": 30})
    assert response.status_code == 403
    assert not BallotBatch.objects.exists()
    assert AuditEvent.objects.filter(action="ballots.issue.refused", actor=w["people"]["town_a"]).exists()
    assert client.post(url, {"village": w["village_b"].pk, "count": "x"}).status_code == 403


def test_ballot_count_out_of_range_is_shown_on_the_villages_form_r_a5(client, round_world):
    w = round_world
    url = reverse("appraisal:round_ballots", args=[w["round"].pk])
    response = _login(client, w, "org").post(url, {"village": w["village_b"].pk, "count": 0})
    assert response.status_code == 200
    village = next(v for v in response.context["villages"] if v.pk == w["village_b"].pk)
    assert village.form.errors and 'data-testid="form-errors"' in _page(response)
    assert not BallotBatch.objects.exists()


def test_ballot_codes_page_is_for_the_org_dept_and_townships_not_units_r_a5(client, round_world):
    w = round_world
    url = reverse("appraisal:round_ballots", args=[w["round"].pk])
    response = _login(client, w, "org").get(url)
    assert {v.pk for v in response.context["villages"]} == {w["village_a"].pk, w["village_b"].pk}
    assert response.status_code == 200
    auditor = _login(client, w, "auditor").get(url)
    assert auditor.status_code == 200 and "发放投票码" not in _page(auditor).split('data-testid="villages"')[1]
    for role in ("head_a", "deputy_a", "head_b"):
        assert _login(client, w, role).get(url).status_code == 403, role


def test_after_the_vote_closes_no_codes_are_issued_r_a5(client, round_world):
    w = round_world
    url = reverse("appraisal:round_ballots", args=[w["round"].pk])
    services.ballots_issue(round_=w["round"], village=w["village_a"], count=5, by=w["people"]["town_a"])
    close_vote(w["round"], w["people"]["org"])
    _login(client, w, "town_a")
    page = client.get(url)
    assert 'data-testid="closed"' in _page(page) and [v.pk for v in page.context["villages"]] == [w["village_a"].pk]
    response = client.post(url, {"village": w["village_a"].pk, "count": 5})
    assert response.status_code == 200 and "村民评议已经结束" in _page(response)
    assert BallotBatch.objects.count() == 1


@pytest.mark.cjk_font
def test_ballot_sheet_downloads_as_a_pdf_r_a5(client, round_world):
    w = round_world
    batch = services.ballots_issue(round_=w["round"], village=w["village_a"], count=3, by=w["people"]["town_a"])
    url = reverse("appraisal:batch_pdf", args=[batch.pk])
    for role in ("town_a", "org"):
        response = _login(client, w, role).get(url)
        assert response.status_code == 200, role
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        code = w["village_a"].code
        assert response["Content-Disposition"] == f'attachment; filename="ballots-{code}-{batch.pk}.pdf"'
    text = "".join(page.extract_text().replace("\x00", "") for page in PdfReader(io.BytesIO(response.content)).pages)
    assert all(ballots.formatted(ballots.derive(batch.pk, n)) in text for n in (1, 2, 3))
    assert "李卫东" in text
    assert AuditEvent.objects.filter(action="ballots.print").count() == 2
    for role in ("town_b", "head_a", "auditor"):
        assert _login(client, w, role).get(url).status_code == 403, role
    assert client.get(reverse("appraisal:batch_pdf", args=[batch.pk + 1])).status_code == 404


def test_ballot_sheet_without_a_chinese_font_answers_with_a_message_r_a5(client, round_world, settings):
    from appraisal import pdf

    w = round_world
    batch = services.ballots_issue(round_=w["round"], village=w["village_a"], count=3, by=w["people"]["town_a"])
    settings.PDF_FONT_PATH = "/nonexistent"
    pdf.chinese_font.cache_clear()
    try:
        response = _login(client, w, "town_a").get(reverse("appraisal:batch_pdf", args=[batch.pk]))
        assert response.status_code == 302
        assert response.url == reverse("appraisal:round_ballots", args=[w["round"].pk]) + f"#village-{batch.village_id}"
        page = client.get(response.url)
        assert page.status_code == 200
        assert any("中文字体" in m for m in _messages(page))
        assert not AuditEvent.objects.filter(action="ballots.print").exists()
    finally:
        pdf.chinese_font.cache_clear()


# --- Paper ballot sessions (R-A5) -------------------------------------------------------------------


PAPER = {
    "action": "enter",
    "held_on": "2026-11-20",
    "ballots": 40,
    "excellent": 20,
    "competent": 15,
    "basically_competent": 2,
    "incompetent": 1,
    "invalid": 2,
    "note": "村民代表大会",
}


def test_township_enters_and_voids_paper_sessions_r_a5(client, round_world):
    w = round_world
    url = reverse("appraisal:paper_sessions", args=[w["appraisal_a"].pk])
    _login(client, w, "town_a")
    assert 'id="enter"' in _page(client.get(url))
    assert client.post(url, PAPER).status_code == 302
    session = PaperSession.objects.get()
    assert (session.ballots, session.excellent, session.entered_by) == (40, 20, w["people"]["town_a"])

    wrong = client.post(url, {**PAPER, "invalid": 5})
    assert wrong.status_code == 200 and "与收回票数(40)不符" in _page(wrong)
    assert PaperSession.objects.count() == 1

    assert client.post(url, {"action": "void", "session": session.pk, "reason": ""}).status_code == 302
    assert _messages(client.get(url)) == ["请填写作废理由。"]
    assert PaperSession.objects.get().voided_at is None
    response = client.post(url, {"action": "void", "session": session.pk, "reason": "票数录错"})
    assert response.status_code == 302
    page = client.get(url)
    assert "已作废" in _messages(page)[0]
    assert 'data-voided="true"' in _page(page) and "票数录错" in _page(page)
    assert PaperSession.objects.get().void_reason == "票数录错"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {
                "ballots": 2_147_483_648,
                "excellent": 2_147_483_648,
                "competent": 0,
                "basically_competent": 0,
                "incompetent": 0,
                "invalid": 0,
            },
            "5000",
        ),
        ({"held_on": "0001-01-01"}, "早于该干部到村日期(2025-03-05)"),
        ({"held_on": "2026-11-27"}, "评议日期不能晚于今天"),
    ],
)
def test_a_paper_session_out_of_bounds_is_refused_with_a_message_and_saves_nothing_r_a5(
    client, round_world, change, words
):
    """R-A5: a count beyond a village's voters, or a date before the cadre arrived or after today: the page says
    why, keeps what was typed and saves nothing (the suite's today is 2026-11-26)."""
    w = round_world
    url = reverse("appraisal:paper_sessions", args=[w["appraisal_a"].pk])
    _login(client, w, "town_a")
    page = client.get(url)
    assert 'max="5000"' in _page(page) and 'min="2025-03-05"' in _page(page)
    response = client.post(url, {**PAPER, **change})
    assert response.status_code == 200 and words in _page(response)
    assert not PaperSession.objects.exists()
    assert not AuditEvent.objects.filter(action="paper_session.enter").exists()


def test_others_read_paper_sessions_but_only_the_township_enters_them_r_a5(client, round_world):
    w = round_world
    url = reverse("appraisal:paper_sessions", args=[w["appraisal_a"].pk])
    services.paper_session_enter(
        appraisal=w["appraisal_a"],
        held_on=datetime.date(2026, 11, 20),
        excellent=3,
        competent=1,
        basically_competent=0,
        incompetent=0,
        invalid=0,
        ballots_collected=4,
        by=w["people"]["town_a"],
    )
    for role in ("org", "auditor", "head_a"):
        response = _login(client, w, role).get(url)
        assert response.status_code == 200 and 'data-testid="read-only"' in _page(response), role
        assert client.post(url, PAPER).status_code == 403, role
    assert AuditEvent.objects.filter(action="paper_session.enter.refused", actor=w["people"]["head_a"]).exists()
    for role in ("town_b", "head_b", "outsider"):
        assert _login(client, w, role).get(url).status_code == 403, role
    assert PaperSession.objects.count() == 1


def test_paper_sessions_are_read_only_after_the_vote_closes_r_a5(client, round_world):
    w = round_world
    url = reverse("appraisal:paper_sessions", args=[w["appraisal_a"].pk])
    close_vote(w["round"], w["people"]["org"])
    _login(client, w, "town_a")
    page = _page(client.get(url))
    assert "村民评议已经结束,计票只能查看" in page and 'id="enter"' not in page
    response = client.post(url, PAPER)
    assert response.status_code == 200 and "村民评议已经结束" in _page(response)
    assert not PaperSession.objects.exists()


# --- Home links --------------------------------------------------------------------------------------


def test_each_role_finds_the_appraisal_from_its_home_page_r_a1(client, round_world):
    for role in ("org", "town_a", "head_a"):
        assert f'href="{ROUNDS}"' in _page(_login(client, round_world, role).get(reverse("home:index"))), role


# --- Queries do not grow with the rows ----------------------------------------------------------------


def _more_stationed(w, n: int, on: datetime.date) -> None:
    for i in range(n):
        unit, town = (w["unit_a"], w["town_a"]) if i % 2 else (w["unit_b"], w["town_b"])
        village = VillageFactory(township=town, name=f"新村{i}")
        Pairing.objects.create(unit=unit, village=village, year=on.year)
        cadre = CadreFactory(unit=unit, user=UserFactory(username=f"more{i}", name=f"驻村干部{i}"))
        stationed(cadre, village, on=on)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_round_detail_and_queues_run_the_same_queries_for_2_and_6_appraisals_r_a2(client, round_world):
    w = round_world
    org = w["people"]["org"]
    small = w["round"]
    _more_stationed(w, 6, on=datetime.date(2025, 6, 2))
    large = services.round_open(
        county=w["county"],
        title="2026年度第二批考评",
        year=2026,
        term_ends_from=datetime.date(2026, 6, 1),
        term_ends_to=datetime.date(2026, 6, 30),
        by=org,
    )
    assert (small.appraisals.count(), large.appraisals.count()) == (2, 6)
    for round_ in (small, large):
        appraisals = list(round_.appraisals.order_by("pk"))
        for appraisal in appraisals[:-1]:
            score_both(w, appraisal)
        close_vote(round_, org)
        services.appraisal_finalise(appraisal=appraisals[0], grade=Grade.COMPETENT, by=org, reason="调整")
    counts = {}
    for role in ("org", "town_a", "head_a"):
        _login(client, w, role)
        for name in ("round_detail", "round_appraisals"):
            client.get(reverse(f"appraisal:{name}", args=[small.pk]))  # warm caches
            counts[role, name] = (
                _queries(client, reverse(f"appraisal:{name}", args=[small.pk])),
                _queries(client, reverse(f"appraisal:{name}", args=[large.pk])),
            )
    assert all(a == b for a, b in counts.values()), counts
