"""Grades finalised many at once at the proposed grade: each its own finalisation, audit and flow step (R-A2, R-A2a)."""

import pytest
from django.urls import reverse

from appraisal import services
from appraisal.flows import AppraisalFlow
from appraisal.models import Appraisal, AppraisalState, Grade
from dispatch.models import Dispatch, DispatchState
from tests.appraisal.conftest import close_vote, score_both
from tests.factories import AppraisalFactory
from workflows.flows import open_task
from workflows.models import AuditEvent

S = AppraisalState


@pytest.fixture
def w(round_world):
    """round_world with both cadres scored 95 and the vote closed: both proposed 优秀, one 一般干部 category."""
    w = dict(round_world)
    for key in ("appraisal_a", "appraisal_b"):
        score_both(w, w[key], township=95, unit=95)
    close_vote(w["round"], w["people"]["org"])
    for key in ("appraisal_a", "appraisal_b"):
        w[key] = _fresh(w[key])
        assert (w[key].state, w[key].proposed_grade) == (S.PROPOSED, Grade.EXCELLENT)
    w["url"] = reverse("appraisal:round_finalise", args=[w["round"].pk])
    return w


def _fresh(appraisal):
    return Appraisal.objects.get(pk=appraisal.pk)


def _events(action, obj):
    return AuditEvent.objects.filter(action=action, object_id=str(obj.pk))


def _pks(w):
    return [w["appraisal_a"].pk, w["appraisal_b"].pk]


def test_r_a2_org_dept_finalises_several_at_their_proposed_grade_each_audited_and_its_task_done(w):
    result = services.appraisal_finalise_many(pks=_pks(w), by=w["people"]["org"])
    assert [i.pk for i in result.done] == _pks(w) and result.refused == []
    for key in ("appraisal_a", "appraisal_b"):
        appraisal = _fresh(w[key])
        assert (appraisal.state, appraisal.final_grade, appraisal.final_reason) == (S.FINALISED, Grade.EXCELLENT, "")
        event = _events("appraisal.finalise", appraisal).get()
        assert event.actor == w["people"]["org"] and event.data["changed"] is False
        assert open_task(AppraisalFlow, "finalise", appraisal) is None
        assert Dispatch.objects.get(pk=appraisal.dispatch_id).state == DispatchState.APPRAISED
    assert "优秀" in result.done[0].message


def test_r_a2a_an_excellent_past_the_share_is_refused_with_its_reason_and_the_first_goes_through(w, settings):
    settings.POLICY = {**settings.POLICY, "EXCELLENT_SHARE_CAP_PERCENT": 50}
    result = services.appraisal_finalise_many(pks=_pks(w), by=w["people"]["org"])
    assert [i.pk for i in result.done] == [w["appraisal_a"].pk]
    [refused] = result.refused
    assert refused.pk == w["appraisal_b"].pk and "优秀名额为 1 名" in refused.message
    assert _fresh(w["appraisal_b"]).state == S.PROPOSED
    assert open_task(AppraisalFlow, "finalise", w["appraisal_b"]) is not None


def test_r_a2_an_appraisal_finalised_by_someone_else_meanwhile_is_skipped_and_said_so(w):
    services.appraisal_finalise(
        appraisal=w["appraisal_a"], grade=Grade.COMPETENT, reason="经研究调整", by=w["people"]["org"]
    )
    result = services.appraisal_finalise_many(pks=_pks(w), by=w["people"]["org"])
    assert [i.pk for i in result.done] == [w["appraisal_b"].pk]
    assert "已由他人处理" in result.refused[0].message and "已审定" in result.refused[0].message
    assert _fresh(w["appraisal_a"]).final_grade == Grade.COMPETENT
    assert _events("appraisal.finalise", w["appraisal_a"]).count() == 1


def test_r_o4_another_countys_appraisal_and_other_roles_are_refused_and_nothing_changes(w):
    foreign = AppraisalFactory()
    result = services.appraisal_finalise_many(pks=[foreign.pk], by=w["people"]["org"])
    assert result.done == [] and "无权" in result.refused[0].message
    assert _events("appraisal.finalise.refused", foreign).count() == 1
    for role in ("auditor", "town_a", "head_a"):
        result = services.appraisal_finalise_many(pks=_pks(w), by=w["people"][role])
        assert result.done == [], role
    assert {_fresh(w[k]).state for k in ("appraisal_a", "appraisal_b")} == {S.PROPOSED}


# --- The page ---------------------------------------------------------------------------------------


def test_r_o4_the_page_is_the_org_depts_and_linked_from_the_rounds_row_of_links(client, w):
    client.force_login(w["people"]["org"])
    response = client.get(w["url"])
    assert response.status_code == 200
    assert [row.pk for row in response.context["rows"]] == _pks(w)
    assert 'name="comment"' not in response.content.decode()  # keeping the proposal needs no reason
    queue = reverse("appraisal:round_appraisals", args=[w["round"].pk])
    assert f'href="{w["url"]}"' in client.get(queue).content.decode()
    for role in ("auditor", "town_a", "head_a", "cadre_a", "outsider"):
        client.force_login(w["people"][role])
        assert client.get(w["url"]).status_code == 403, role
        assert f'href="{w["url"]}"' not in client.get(queue).content.decode(), role


def test_r_a2_the_page_shows_the_share_then_confirms_then_lists_done_and_refused(client, w, settings):
    settings.POLICY = {**settings.POLICY, "EXCELLENT_SHARE_CAP_PERCENT": 50}
    client.force_login(w["people"]["org"])
    rows = client.get(w["url"]).context["rows"]
    assert "优秀名额 1 名,已审定 0 名" in rows[0].note
    data = {"pk": [str(pk) for pk in _pks(w)]}
    response = client.post(w["url"], {**data, "action": "review"})
    assert response.status_code == 200 and len(response.context["selected"]) == 2
    assert _fresh(w["appraisal_a"]).state == S.PROPOSED
    response = client.post(w["url"], {**data, "action": "confirm"})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "成功办理 1 项,未办理 1 项" in page and "优秀名额为 1 名" in page


@pytest.mark.parametrize("pks", [[], ["", "1"], ["1e3"], ["0"]])
def test_bad_selection_gives_a_message_and_changes_nothing(client, w, pks):
    client.force_login(w["people"]["org"])
    events = AuditEvent.objects.count()
    response = client.post(w["url"], {"pk": pks, "action": "confirm"})
    assert response.status_code == 400 and "勾选" in response.content.decode()
    assert AuditEvent.objects.count() == events


def test_the_home_page_links_the_round_with_grades_waiting_for_the_org_dept_only(client, w):
    client.force_login(w["people"]["org"])
    home = client.get(reverse("home:index")).content.decode()
    assert 'data-testid="bulk-links"' in home and f'href="{w["url"]}"' in home
    for role in ("auditor", "town_a", "head_a"):
        client.force_login(w["people"][role])
        assert w["url"] not in client.get(reverse("home:index")).content.decode(), role
