"""The dispatch lists as xlsx and CSV: the page's own rows for the user's tier, nothing more (R-O4, R-S5, R-S6)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dispatch import services
from dispatch.models import DispatchState, Pairing, WorkGroup
from dispatch.views.unit import DispatchListView
from tests.dispatch.test_quota_coverage_training import DEADLINE, YEAR, advance
from tests.dispatch.test_team import stationed
from tests.exports import column, csv_rows, download_name, sheet_rows
from tests.factories import CadreFactory, UserFactory, VillageFactory
from tests.leave import freeze

D = datetime.date
DT = datetime.datetime
LIST, COVERAGE, PAIRINGS, ELIGIBILITY, TEAM = (
    reverse(f"dispatch:{name}") for name in ("list", "coverage", "pairings", "eligibility", "team")
)
TODAY = D(2026, 11, 12)
ALL = {"李卫东", "赵普通", "王秀英"}


@pytest.fixture
def three(world, monkeypatch):
    """cadre_a and plain_a (unit_a) stationed in 菜园镇 (town_a), cadre_b (unit_b) in 宜沟镇 (town_b); today fixed."""
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"])
    w["d_plain"] = stationed(w["plain_a"], w["village_a2"])
    w["d_b"] = stationed(w["cadre_b"], w["village_b"])
    freeze(monkeypatch, TODAY)
    return w


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


# --- The dispatch list (R-O4, R-S3) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("org", ALL),
        ("auditor", ALL),
        ("town_a", {"李卫东", "赵普通"}),
        ("town_b", {"王秀英"}),
        ("head_a", {"李卫东", "赵普通"}),
        ("deputy_a", {"李卫东", "赵普通"}),
        ("head_b", {"王秀英"}),
        ("cadre_b", {"王秀英"}),
        ("outsider", set()),
    ],
)
def test_r_o4_dispatch_list_export_holds_exactly_the_rows_the_page_shows_the_tier(client, three, who, names):
    user = three["people"][who]
    shown = {d.cadre.name for d in _get(client, user, LIST).context["object_list"]}
    rows = sheet_rows(_get(client, user, LIST, format="xlsx"))
    assert sorted(column(rows, "干部")) == sorted(shown) == sorted(names)
    assert sorted(r[1] for r in csv_rows(_get(client, user, LIST, format="csv"))[1:]) == sorted(names)


def test_r_o4_township_export_of_the_dispatch_list_holds_only_its_township(client, three):
    rows = sheet_rows(_get(client, three["people"]["town_a"], LIST, format="xlsx"))
    assert set(column(rows, "乡镇")) == {"菜园镇"}
    assert set(column(rows, "派出单位")) == {"县农业农村局"}


def test_dispatch_list_export_has_the_page_columns_typed_and_a_dated_chinese_name(client, three):
    response = _get(client, three["people"]["org"], LIST, format="xlsx")
    assert download_name(response) == "选派干部-2026-11-12.xlsx"
    rows = sheet_rows(response)
    assert rows[0] == ["年度", "干部", "标注", "派出单位", "乡镇", "驻点村", "状态", "到村日期"]
    row = next(r for r in rows if r[1] == "李卫东")
    assert row == [2026, "李卫东", "后备", "县农业农村局", "菜园镇", "东官庄村", "驻村中", DT(2026, 3, 5)]
    assert download_name(_get(client, three["people"]["org"], LIST, format="csv")) == "选派干部-2026-11-12.csv"


def test_dispatch_list_export_follows_the_state_filter_and_holds_every_page(client, three, monkeypatch):
    advance(
        CadreFactory(unit=three["unit_b"], user=UserFactory(name="钱新")),
        VillageFactory(township=three["town_b"], name="北岭村"),
        DispatchState.NOMINATED,
    )
    monkeypatch.setattr(DispatchListView, "paginate_by", 1)
    org = three["people"]["org"]
    assert len(_get(client, org, LIST).context["object_list"]) == 1  # one row a page
    assert sorted(column(sheet_rows(_get(client, org, LIST, format="xlsx", page=2)), "干部")) == sorted(ALL | {"钱新"})
    response = _get(client, org, LIST, format="xlsx", state="nominated")
    assert column(sheet_rows(response), "干部") == ["钱新"]
    assert download_name(response) == "选派干部-已推荐,待审批-2026-11-12.xlsx"


def test_dispatch_list_page_links_to_its_exports_with_its_filter(client, three):
    page = _get(client, three["people"]["org"], LIST, state="stationed").content.decode()
    assert f'href="{LIST}?state=stationed&amp;format=xlsx"' in page
    assert f'href="{LIST}?state=stationed&amp;format=csv"' in page


def test_r_o4_anonymous_export_is_sent_to_sign_in(client, three):
    response = client.get(LIST, {"format": "xlsx"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_dispatch_list_export_queries_do_not_grow_with_rows(client, three):
    client.force_login(three["people"]["org"])
    few = _queries(client, LIST, format="xlsx")
    for n in range(5):
        village = VillageFactory(township=three["town_b"], name=f"新村{n}")
        Pairing.objects.create(unit=three["unit_b"], village=village, year=YEAR)
        stationed(CadreFactory(unit=three["unit_b"], user=UserFactory(name=f"干部{n}")), village)
    assert _queries(client, LIST, format="xlsx") == few


# --- Coverage (R-S6) -------------------------------------------------------------------------------


def test_r_s6_coverage_export_has_townships_with_totals_and_the_uncovered_villages(client, three):
    for village in (three["village_a"], three["village_b"]):
        village.is_weak_leadership = True
        village.save()
    weak = VillageFactory(township=three["town_b"], name="北岭村", is_election_difficult=True)
    VillageFactory(township=three["town_a"], name="红旗村", is_old_revolutionary=True)
    response = _get(client, three["people"]["org"], COVERAGE, year=YEAR, format="xlsx")
    assert download_name(response) == "重点村覆盖情况-2026.xlsx"
    rows = sheet_rows(response)
    assert rows[0] == ["乡镇(街道)", "须全覆盖的重点村", "已覆盖", "未覆盖", "老区村、少数民族村", "已覆盖"]
    assert rows[1:] == [["菜园镇", 1, 1, 0, 1, 0], ["宜沟镇", 2, 1, 1, 0, 0], ["合计", 3, 2, 1, 1, 0]]
    uncovered = sheet_rows(response, "尚未覆盖的重点村")
    assert uncovered[1:] == [["宜沟镇", weak.name, "换届选举重难点村", "未结对", "尚无人选"]]
    assert column(sheet_rows(response, "应派尽派、尚未覆盖的村"), "村") == ["红旗村"]
    assert csv_rows(_get(client, three["people"]["org"], COVERAGE, year=YEAR, format="csv"))[-1] == [
        "合计",
        "3",
        "2",
        "1",
        "1",
        "0",
    ]


@pytest.mark.parametrize("url", [COVERAGE, PAIRINGS])
@pytest.mark.parametrize("who", ["town_a", "head_a", "cadre_a", "outsider"])
def test_r_o4_county_lists_refuse_the_export_to_townships_units_and_cadres(client, three, url, who):
    assert _get(client, three["people"][who], url, format="xlsx").status_code == 403


# --- Pairings and quotas (R-S5) ----------------------------------------------------------------------


def test_r_s5_pairings_export_has_one_row_per_unit_with_quota_counts_and_the_check(client, three):
    org = three["people"]["org"]
    services.quota_set(unit=three["unit_a"], year=YEAR, cadres=2, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    services.quota_set(unit=three["unit_b"], year=YEAR, cadres=3, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    [sanction] = services.quota_enforce(on=D(2026, 7, 1), by=org, county=three["county"])
    response = _get(client, org, PAIRINGS, year=YEAR, format="xlsx")
    assert download_name(response) == "结对与选派任务-2026.xlsx"
    rows = sheet_rows(response)
    assert rows[0] == [
        "单位",
        "结对村",
        "选派名额",
        "截止日期",
        "已选派",
        "待审批",
        "到期核查与处理",
        "起始日期",
        "终止日期",
    ]
    a, b = rows[1:]
    assert a == [
        "县农业农村局",
        "菜园镇 · 东官庄村、菜园镇 · 西官庄村",
        2,
        datetime.datetime(2026, 6, 30),
        2,
        0,
        "已核查,完成任务",
        None,
        None,
    ]
    assert b[:6] == ["县教育局", "宜沟镇 · 西街村", 3, datetime.datetime(2026, 6, 30), 1, 0]
    assert b[6:] == [
        "2026 年度未完成,处理期内",
        datetime.datetime.combine(sanction.starts_on, datetime.time()),
        datetime.datetime.combine(sanction.ends_on, datetime.time()),
    ]


# --- Award eligibility (R-S5) ------------------------------------------------------------------------


@pytest.fixture
def sanctioned(three):
    org = three["people"]["org"]
    for unit in (three["unit_a"], three["unit_b"]):
        services.quota_set(unit=unit, year=YEAR, cadres=5, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    services.quota_enforce(on=D(2026, 7, 1), by=org, county=three["county"])
    return three


@pytest.mark.parametrize(
    ("who", "units"),
    [
        ("org", ["县农业农村局", "县教育局"]),
        ("auditor", ["县农业农村局", "县教育局"]),
        ("head_a", ["县农业农村局"]),
        ("deputy_a", ["县农业农村局"]),
        ("head_b", ["县教育局"]),
    ],
)
def test_r_o4_r_s5_sanctions_export_holds_the_units_the_page_lists(client, sanctioned, who, units):
    user = sanctioned["people"][who]
    shown = [s.unit.name for s in _get(client, user, ELIGIBILITY).context["sanctions"]]
    response = _get(client, user, ELIGIBILITY, format="xlsx")
    rows = sheet_rows(response)
    assert column(rows, "单位") == shown == units
    assert rows[0] == ["单位", "未完成年度", "名额", "实派", "起始日期", "终止日期"]
    assert rows[1][1:4] == [2026, 5, 2 if units[0] == "县农业农村局" else 1]
    assert isinstance(rows[1][4], datetime.datetime)
    assert download_name(response) == "评先评优资格-2026-11-12.xlsx"


@pytest.mark.parametrize("who", ["town_a", "cadre_a", "outsider"])
def test_r_o4_eligibility_export_is_refused_where_the_page_is(client, sanctioned, who):
    assert _get(client, sanctioned["people"][who], ELIGIBILITY, format="csv").status_code == 403


# --- The township's team (R-M4) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "township", "names"),
    [
        ("town_a", None, ["李卫东", "赵普通"]),
        ("town_b", None, ["王秀英"]),
        ("org", "town_b", ["王秀英"]),
        ("auditor", "town_a", ["李卫东", "赵普通"]),
    ],
)
def test_r_o4_r_m4_team_export_holds_only_the_townships_stationed_cadres(client, three, who, township, names):
    user = three["people"][who]
    params = {"township": three[township].pk} if township else {}
    shown = [d.cadre.name for d in _get(client, user, TEAM, **params).context["stationed"]]
    rows = sheet_rows(_get(client, user, TEAM, format="xlsx", **params))
    assert column(rows, "干部") == shown == names


def test_r_o4_a_township_cannot_export_another_townships_team(client, three):
    response = _get(client, three["people"]["town_a"], TEAM, township=three["town_b"].pk, format="xlsx")
    assert response.status_code == 403


def test_r_m4_team_export_has_leader_mentor_dates_and_the_work_groups(client, three):
    town = three["people"]["town_a"]
    services.team_leader_name(township=three["town_a"], dispatch=three["d_plain"], by=town)
    services.mentor_assign(dispatch=three["d_a"], mentor=three["mentor_a"], by=town)
    village_a3 = VillageFactory(township=three["town_a"], name="南关村")
    group = WorkGroup.objects.create(township=three["town_a"], year=TODAY.year, name="第一小组")
    group.villages.set([three["village_a"], three["village_a2"], village_a3])
    response = _get(client, town, TEAM, format="xlsx")
    assert download_name(response) == "驻村工作队-菜园镇-2026-11-12.xlsx"
    rows = sheet_rows(response)
    assert rows[0] == ["干部", "标注", "驻点村", "派出单位", "到村日期", "期满日期", "传帮带联系领导"]
    assert rows[1] == [
        "李卫东",
        "后备",
        "东官庄村",
        "县农业农村局",
        datetime.datetime(2026, 3, 5),
        datetime.datetime.combine(three["d_a"].term_ends_on, datetime.time()),
        "菜园镇周副书记",
    ]
    assert rows[2][:2] == ["赵普通", "领队"] and rows[2][6] is None
    assert sheet_rows(response, "驻村蹲点工作小组")[1:] == [
        ["第一小组", "东官庄村(李卫东);西官庄村(赵普通);南关村(暂无驻村干部)"]
    ]
    assert csv_rows(_get(client, town, TEAM, format="csv"))[0][0] == "干部"


def test_team_export_queries_do_not_grow_with_rows(client, three):
    client.force_login(three["people"]["town_a"])
    few = _queries(client, TEAM, format="xlsx")
    for n in range(4):
        village = VillageFactory(township=three["town_a"], name=f"新村{n}")
        Pairing.objects.create(unit=three["unit_a"], village=village, year=YEAR)
        stationed(CadreFactory(unit=three["unit_a"], user=UserFactory(name=f"干部{n}")), village)
    assert _queries(client, TEAM, format="xlsx") == few


@pytest.mark.parametrize("url", [COVERAGE, PAIRINGS, ELIGIBILITY, TEAM])
def test_each_dispatch_list_page_shows_the_two_export_links(client, three, url):
    page = _get(client, three["people"]["org"], url).content.decode()
    assert "导出 Excel" in page and "导出 CSV" in page and "format=xlsx" in page and "format=csv" in page
