"""The org app's tier lists as xlsx and CSV: the rows the list shows the user, filtered, searched, every page (R-O4)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.exports import column, csv_rows, download_name, sheet_rows
from tests.factories import CadreFactory, UserFactory, VillageFactory, VillageIncomeFactory
from tests.leave import freeze

UNITS, TOWNSHIPS, VILLAGES, CADRES = "/org/unit/", "/org/township/", "/org/village/", "/org/cadre/"


@pytest.fixture
def tiers(two_tiers, monkeypatch):
    freeze(monkeypatch, datetime.date(2026, 11, 12))
    VillageIncomeFactory(village=two_tiers["village_a"], year=2025, total_income=30000, subsidies=5000)
    return two_tiers


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def _listed(response) -> list:
    return list(response.context["object_list"])


@pytest.mark.parametrize(
    ("url", "who", "expected"),
    [
        (UNITS, "org", ["县农业农村局", "县教育局"]),
        (UNITS, "head_a", ["县农业农村局"]),
        (UNITS, "head_b", ["县教育局"]),
        (UNITS, "town_a", []),
        (TOWNSHIPS, "org", ["菜园镇", "宜沟镇"]),
        (TOWNSHIPS, "town_a", ["菜园镇"]),
        (TOWNSHIPS, "town_b", ["宜沟镇"]),
        (TOWNSHIPS, "head_a", []),
        (VILLAGES, "auditor", ["东官庄村", "西街村"]),
        (VILLAGES, "town_a", ["东官庄村"]),
        (VILLAGES, "town_b", ["西街村"]),
        (CADRES, "org", ["李卫东", "王秀英"]),
        (CADRES, "head_a", ["李卫东"]),
        (CADRES, "head_b", ["王秀英"]),
        (CADRES, "cadre_b", ["王秀英"]),
    ],
)
def test_r_o4_tier_list_export_holds_exactly_the_rows_the_list_shows(client, tiers, url, who, expected):
    user = tiers["people"][who]
    shown = [obj.name for obj in _listed(_get(client, user, url))]
    rows = sheet_rows(_get(client, user, url, format="xlsx"))
    names = [row[0 if url == CADRES else 1] for row in rows[1:]]
    assert sorted(names) == sorted(shown) == sorted(expected)
    assert len(csv_rows(_get(client, user, url, format="csv"))) == len(expected) + 1


def test_unit_list_export_has_the_list_headers_and_numbers(client, tiers):
    CadreFactory(unit=tiers["unit_a"], is_reserve=True)
    response = _get(client, tiers["people"]["org"], UNITS, format="xlsx")
    assert download_name(response) == "县直单位-2026-11-12.xlsx"
    rows = sheet_rows(response)
    assert rows[0] == ["单位代码", "单位名称", "干部数", "后备干部数"]
    assert rows[1][1:] == ["县农业农村局", 2, 2]


def test_village_list_export_gives_income_as_a_number_with_its_year_and_the_categories(client, tiers):
    rows = sheet_rows(_get(client, tiers["people"]["org"], VILLAGES, format="xlsx"))
    assert rows[0] == ["村代码", "村名称", "所属乡镇", "类别", "最近年度村集体自有收入(元)", "年度"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["东官庄村"][2:] == ["菜园镇", "经济薄弱村", Decimal("25000"), 2025]
    assert by_name["西街村"][3:] == ["—", None, None]


def test_cadre_list_export_gives_choices_and_yes_no_in_words(client, tiers):
    rows = sheet_rows(_get(client, tiers["people"]["head_a"], CADRES, format="xlsx"))
    assert rows[0] == ["姓名", "所属单位", "职级", "职务", "后备干部", "重点培养"]
    assert rows[1] == ["李卫东", "县农业农村局", "科员", None, "是", "否"]


def test_tier_list_export_follows_search_filter_and_holds_every_page(client, tiers):
    for n in range(30):
        VillageFactory(township=tiers["town_a"], name=f"前进{n:02d}村")
    org = tiers["people"]["org"]
    assert len(_listed(_get(client, org, VILLAGES))) == 25  # viewflow's page
    assert len(sheet_rows(_get(client, org, VILLAGES, format="xlsx"))) == 33
    searched = sheet_rows(_get(client, org, VILLAGES, _search="前进0", format="xlsx"))
    assert sorted(column(searched, "村名称")) == [f"前进0{n}村" for n in range(10)]
    filtered = sheet_rows(_get(client, org, VILLAGES, township=tiers["town_b"].pk, format="xlsx"))
    assert column(filtered, "村名称") == ["西街村"]


def test_r_o4_a_township_searching_cannot_reach_another_townships_villages(client, tiers):
    rows = sheet_rows(_get(client, tiers["people"]["town_a"], VILLAGES, _search="西街", format="xlsx"))
    assert rows[1:] == []


def test_tier_list_page_links_to_its_exports_with_its_query(client, tiers):
    page = _get(client, tiers["people"]["org"], VILLAGES, _search="东").content.decode()
    assert "导出 Excel" in page and "_search=%E4%B8%9C&amp;format=xlsx" in page


def test_r_o4_tier_list_export_is_refused_to_outsiders_and_anonymous(client, tiers):
    assert _get(client, tiers["people"]["outsider"], UNITS, format="xlsx").status_code == 403
    client.logout()
    response = client.get(UNITS, {"format": "xlsx"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, {"format": "xlsx"}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [UNITS, TOWNSHIPS, VILLAGES, CADRES])
def test_r_o4_tier_list_exports_run_the_same_queries_for_few_and_many_rows(client, tiers, url):
    client.force_login(tiers["people"]["org"])
    few = _queries(client, url)
    for i in range(10):
        VillageFactory(township=tiers["town_a"])  # no income: its categories must not cost a query
        CadreFactory(unit=tiers["unit_a"], user=UserFactory(), is_reserve=i % 2 == 0)
    assert _queries(client, url) == few
