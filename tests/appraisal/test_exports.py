"""A round's appraisals as xlsx and CSV: the finalisation queue for the county, the score queue for a tier, each
holding the page's own rows, and another tier's score only as 已评 (R-A1, R-A2, R-O4)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal import services
from appraisal.models import Appraisal, AppraisalState, CadreCategory
from tests.appraisal.conftest import STATIONED_ON, close_vote, score_both
from tests.exports import column, csv_rows, download_name, sheet_rows
from tests.leave import freeze, more_stationed

DT = datetime.datetime
TODAY = datetime.date(2026, 11, 12)


@pytest.fixture
def w(round_world, monkeypatch):
    freeze(monkeypatch, TODAY)
    return round_world


def _url(w) -> str:
    return reverse("appraisal:round_appraisals", args=[w["round"].pk])


def _get(client, w, who, **params):
    client.force_login(w["people"][who])
    return client.get(_url(w), params)


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("org", ["李卫东", "王秀英"]),
        ("auditor", ["李卫东", "王秀英"]),
        ("town_a", ["李卫东"]),
        ("town_b", ["王秀英"]),
        ("head_a", ["李卫东"]),
        ("deputy_a", ["李卫东"]),
        ("head_b", ["王秀英"]),
    ],
)
def test_r_o4_r_a2_appraisals_export_holds_exactly_the_rows_the_page_shows_the_tier(client, w, who, names):
    shown = [a.dispatch.cadre.name for a in _get(client, w, who).context["rows"]]
    assert column(sheet_rows(_get(client, w, who, format="xlsx")), "干部") == shown == names
    assert [r[0] for r in csv_rows(_get(client, w, who, format="csv"))[1:]] == names


@pytest.mark.parametrize("who", ["cadre_a", "outsider"])
def test_r_o4_appraisals_export_is_refused_where_the_page_is(client, w, who):
    assert _get(client, w, who, format="xlsx").status_code == 403


def test_r_a2_finalisation_export_has_the_parts_of_each_grade_side_by_side(client, w):
    score_both(w, w["appraisal_a"], township=92, unit=88)
    close_vote(w["round"], w["people"]["org"])
    proposed = Appraisal.objects.get(pk=w["appraisal_a"].pk)
    assert proposed.state == AppraisalState.PROPOSED
    response = _get(client, w, "org", format="xlsx")
    assert download_name(response) == "干部名单与审定-2026年度驻村干部考评-2026-11-12.xlsx"
    rows = sheet_rows(response)
    assert rows[0] == [
        "干部",
        "派出单位",
        "干部类别",
        "驻点村",
        "乡镇",
        "乡镇评分",
        "单位评分",
        "群众评议得分",
        "评议票数",
        "无故缺勤(天)",
        "综合得分",
        "按分数",
        "拟定等次",
        "说明",
        "状态",
    ]
    a, b = rows[1:]
    assert a[:7] == ["李卫东", "县农业农村局", proposed.get_category_display(), "东官庄村", "菜园镇", 92, 88]
    assert Decimal(str(a[10])) == proposed.combined_score
    assert a[11:13] == [proposed.get_computed_grade_display(), proposed.get_proposed_grade_display()]
    assert a[14] == "待审定"
    assert b[5:7] == ["待评", "待评"] and b[7:13] == [None] * 6


def test_r_a2_export_follows_the_state_filter(client, w):
    score_both(w, w["appraisal_a"])
    close_vote(w["round"], w["people"]["org"])
    response = _get(client, w, "org", state=AppraisalState.PROPOSED, format="xlsx")
    assert column(sheet_rows(response), "干部") == ["李卫东"]
    assert download_name(response) == "干部名单与审定-2026年度驻村干部考评-已拟定等次,待组织部审定-2026-11-12.xlsx"


def test_r_o4_a_tier_sees_its_own_score_and_only_已评_for_the_other_tiers(client, w):
    services.township_score_enter(appraisal=w["appraisal_a"], score=91, comment="好", by=w["people"]["town_a"])
    services.unit_score_enter(appraisal=w["appraisal_a"], score=86, comment="好", by=w["people"]["head_a"])
    township = sheet_rows(_get(client, w, "town_a", format="xlsx"))
    assert township[0] == ["干部", "派出单位", "乡镇", "驻点村", "到村日期", "期满日期", "乡镇评分", "单位评分", "状态"]
    assert township[1][4] == DT.combine(STATIONED_ON, datetime.time())
    assert township[1][6:] == [91, "已评", "评分、评议中"]
    unit = sheet_rows(_get(client, w, "head_a", format="xlsx"))
    assert unit[1][6:8] == ["已评", 86]
    assert download_name(_get(client, w, "town_a", format="csv")) == "干部评分-2026年度驻村干部考评-2026-11-12.csv"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, {"format": "xlsx"}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["org", "town_a"])
def test_r_a2_appraisals_export_queries_do_not_grow_with_rows(client, w, who):
    client.force_login(w["people"][who])
    few = _queries(client, _url(w))
    # Rows written directly: the export reads them as the page does, whatever opened them.
    for dispatch in more_stationed(w, w["town_a"], 4, on=STATIONED_ON):
        Appraisal.objects.create(round=w["round"], dispatch=dispatch, category=CadreCategory.GENERAL)
    assert len(sheet_rows(_get(client, w, who, format="xlsx"))) == (7 if who == "org" else 6)
    assert _queries(client, _url(w)) == few


def test_the_appraisals_page_shows_the_two_export_links(client, w):
    page = _get(client, w, "org", state="open").content.decode()
    assert "导出 Excel" in page and "state=open&amp;format=xlsx" in page and "state=open&amp;format=csv" in page
