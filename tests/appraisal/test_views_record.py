"""A cadre's record, the promotion answer and the certificate through the client (R-A3, R-A4)."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from appraisal import services
from appraisal.models import Appraisal, Grade
from appraisal.pdf import chinese_font
from tests.appraisal.conftest import close_vote, score_both
from workflows.models import AuditEvent


def _text(response) -> str:
    return response.content.decode()


def _get(client, user, name, *args, query=None):
    client.force_login(user)
    return client.get(reverse(name, args=args), query or {})


def _record(client, user, cadre, query=None):
    return _get(client, user, "appraisal:cadre_record", cadre.pk, query=query)


@pytest.fixture
def graded(round_world):
    """round_world with both scored, the vote closed, appraisal_a finalised incompetent and appraisal_b excellent."""
    w = dict(round_world)
    org = w["people"]["org"]
    for appraisal in (w["appraisal_a"], w["appraisal_b"]):
        score_both(w, appraisal)
    close_vote(w["round"], org)
    for key, grade in (("appraisal_a", Grade.INCOMPETENT), ("appraisal_b", Grade.EXCELLENT)):
        appraisal = Appraisal.objects.get(pk=w[key].pk)
        w[key] = services.appraisal_finalise(appraisal=appraisal, grade=grade, by=org, reason="测试审定")
    return w


def _pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text().replace("\x00", "") for page in PdfReader(io.BytesIO(pdf)).pages)


# --- Who sees a record (R-A4, R-O4) ----------------------------------------------------------------


def test_cadre_sees_their_own_record_r_a4(client, round_world):
    w = round_world
    response = _get(client, w["people"]["cadre_a"], "appraisal:my_record")
    body = _text(response)
    assert response.status_code == 200
    assert "我的驻村工作经历" in body and w["village_a"].name in body and w["town_a"].name in body
    assert w["unit_a"].name in body and "2025-03-05" in body
    assert w["village_b"].name not in body


def test_another_cadre_cannot_see_the_record_r_a4(client, round_world):
    w = round_world
    assert _record(client, w["people"]["cadre_b"], w["cadre_a"]).status_code == 403
    assert _record(client, w["people"]["cadre_a"], w["cadre_a"]).status_code == 200


@pytest.mark.parametrize("who", ["org", "auditor"])
def test_org_dept_and_auditor_see_any_cadre_of_their_county_r_a4(client, round_world, who):
    w = round_world
    for cadre in (w["cadre_a"], w["cadre_b"]):
        response = _record(client, w["people"][who], cadre)
        assert response.status_code == 200 and cadre.name in _text(response)


def test_unit_sees_its_own_cadre_only_r_a4(client, round_world):
    w = round_world
    assert _record(client, w["people"]["head_a"], w["cadre_a"]).status_code == 200
    assert _record(client, w["people"]["deputy_a"], w["cadre_a"]).status_code == 200
    assert _record(client, w["people"]["head_a"], w["cadre_b"]).status_code == 403


@pytest.mark.parametrize("who", ["town_a", "outsider"])
def test_township_and_outsiders_cannot_see_a_record_r_a4(client, round_world, who):
    assert _record(client, round_world["people"][who], round_world["cadre_a"]).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in_r_a4(client, round_world):
    for url in (
        reverse("appraisal:my_record"),
        reverse("appraisal:cadre_record", args=[round_world["cadre_a"].pk]),
        reverse("appraisal:certificate", args=[round_world["cadre_a"].pk]),
        reverse("appraisal:promotion"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_my_record_sends_the_county_to_the_promotion_query_and_refuses_others_r_a3(client, world):
    response = _get(client, world["people"]["org"], "appraisal:my_record")
    assert response.status_code == 302 and response["Location"] == reverse("appraisal:promotion")
    assert _get(client, world["people"]["town_a"], "appraisal:my_record").status_code == 403


# --- What the record says (R-A3, R-A4) ------------------------------------------------------------


def test_record_shows_the_grade_the_days_and_the_year_of_stationing_r_a4(client, graded):
    w = graded
    body = _text(_record(client, w["people"]["org"], w["cadre_b"]))
    assert "优秀" in body and "2025-03-05" in body and "2026-03-04" in body
    assert "满足省、市机关遴选公务员“1年以上驻村蹲点工作经历”的要求" in body and "尚不满足" not in body
    assert "驻村蹲点累计 365 天" in body


def test_a_short_stationing_does_not_amount_to_a_year_r_a4(client, world):
    from tests.dispatch.test_team import stationed

    today = timezone.localdate()
    stationed(world["cadre_a"], world["village_a"], on=today - datetime.timedelta(days=30))
    body = _text(_get(client, world["people"]["cadre_a"], "appraisal:my_record"))
    assert "至今" in body and "尚不满足省、市机关遴选公务员“1年以上驻村蹲点工作经历”的要求" in body


def test_incompetent_cadre_may_not_be_promoted_before_the_date_r_a3(client, graded):
    w = graded
    today = timezone.localdate()
    body = _text(_record(client, w["people"]["org"], w["cadre_a"]))
    assert "不可提拔" in body and "不称职" in body and "3 年内不予提拔" in body
    until = today.replace(year=today.year + 3)
    assert f"{until.year}年{until.month}月{until.day}日" in body and "起方可提拔" in body
    later = _text(_record(client, w["people"]["org"], w["cadre_a"], {"on": until.isoformat()}))
    assert "不可提拔" not in later and "可以提拔" in later


def test_excellent_cadre_is_preferred_for_promotion_r_a3(client, graded):
    body = _text(_get(client, graded["people"]["cadre_b"], "appraisal:my_record"))
    assert "可以提拔,同等条件下优先" in body and "考核为优秀,同等条件下优先选拔使用" in body


def test_promotion_query_finds_a_cadre_by_name_for_the_county_r_a3(client, graded):
    w = graded
    response = _get(client, w["people"]["org"], "appraisal:promotion", query={"name": w["cadre_a"].name[:2]})
    body = _text(response)
    assert response.status_code == 200 and w["cadre_a"].name in body and "不可提拔" in body
    assert w["cadre_b"].name not in body
    later = (timezone.localdate() + datetime.timedelta(days=3 * 366)).isoformat()
    body = _text(
        _get(client, w["people"]["auditor"], "appraisal:promotion", query={"name": w["cadre_a"].name, "on": later})
    )
    assert "不可提拔" not in body and w["cadre_a"].name in body


@pytest.mark.parametrize("who", ["head_a", "town_a", "cadre_a", "outsider"])
def test_promotion_query_is_the_countys_only_r_a3(client, world, who):
    assert _get(client, world["people"][who], "appraisal:promotion").status_code == 403


# --- The certificate (R-A4) ------------------------------------------------------------------------


@pytest.mark.cjk_font
def test_owner_and_org_dept_get_the_certificate_as_pdf_and_it_is_audited_r_a4(client, graded):
    w = graded
    year = timezone.localdate().year
    for who in ("cadre_b", "org", "auditor"):
        response = _get(client, w["people"][who], "appraisal:certificate", w["cadre_b"].pk)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF") and "attachment" in response["Content-Disposition"]
        text = _pdf_text(response.content)
        number = f"汤组驻证〔{year}〕第{w['dispatch_b'].pk:04d}号"
        assert number in text and "中共汤阴县委组织部" in text and w["cadre_b"].name in text and "优秀" in text
    issued = AuditEvent.objects.filter(action="certificate.issue", object_id=str(w["cadre_b"].pk))
    assert issued.count() == 3 and issued.first().data["number"] == number
    assert str(issued.first().action_label) == "出具驻村工作经历证明"


@pytest.mark.parametrize("who", ["head_a", "cadre_b", "town_a"])
def test_unit_head_and_other_cadres_cannot_get_the_certificate_r_a4(client, graded, who):
    assert _get(client, graded["people"][who], "appraisal:certificate", graded["cadre_a"].pk).status_code == 403
    assert not AuditEvent.objects.filter(action="certificate.issue").exists()


def test_running_stationing_gives_a_message_not_an_empty_certificate_r_a4(client, round_world):
    response = _get(client, round_world["people"]["cadre_a"], "appraisal:certificate", round_world["cadre_a"].pk)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "暂不能出具驻村工作经历证明" in _text(response)
    record = _text(_get(client, round_world["people"]["cadre_a"], "appraisal:my_record"))
    assert "下载驻村工作经历证明(PDF)" not in record


def test_record_links_the_certificate_for_those_who_may_have_it_r_a4(client, graded):
    w = graded
    link = reverse("appraisal:certificate", args=[w["cadre_a"].pk])
    assert link in _text(_get(client, w["people"]["cadre_a"], "appraisal:my_record"))
    assert link in _text(_record(client, w["people"]["org"], w["cadre_a"]))
    assert link not in _text(_record(client, w["people"]["head_a"], w["cadre_a"]))


def test_missing_font_gives_a_chinese_message_not_an_error_r_a4(client, graded, settings):
    settings.PDF_FONT_PATH = "/nonexistent/font.ttc"
    chinese_font.cache_clear()
    try:
        response = _get(client, graded["people"]["org"], "appraisal:certificate", graded["cadre_a"].pk)
    finally:
        chinese_font.cache_clear()
    assert response.status_code == 503 and "服务器未安装中文字体" in _text(response)
    assert not AuditEvent.objects.filter(action="certificate.issue").exists()
