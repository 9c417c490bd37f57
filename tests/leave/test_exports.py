"""The stationed-management lists as xlsx and CSV: compliance, the month grid, leave, visits and inspections, each
the page's own rows for the user's tier (R-O4, R-M1, R-M2, R-M2a, R-M3, R-M5, R-M6)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leave.models import DayStatus, InspectionKind
from leave.services import attendance
from leave.services import leave as leaves
from leave.services.oversight import inspection_record
from tests.exports import column, csv_rows, download_name, sheet_rows
from tests.leave import attendance_world, freeze, more_stationed, record

D = datetime.date
DT = datetime.datetime
GRID, COMPLIANCE, LEAVE_LIST, OVERVIEW, INSPECTIONS = (
    reverse(f"leave:{n}") for n in ("grid", "compliance", "leave_list", "visits_overview", "inspections")
)
TODAY = D(2026, 11, 12)


@pytest.fixture
def att(world, monkeypatch):
    """李卫东 (d_a) and 赵普通 (d_plain) in 菜园镇 (town_a), 王秀英 (d_b) in 宜沟镇 (town_b), from 2026-03-05."""
    freeze(monkeypatch, TODAY)
    return attendance_world(world)


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


# --- Compliance and the at-risk lists (R-M1, R-M3) -------------------------------------------------------


def test_r_m1_compliance_export_has_townships_with_totals_absences_and_the_at_risk_lists(client, att):
    record(att["d_a"], D(2026, 10, 1), D(2026, 10, 31), DayStatus.IN_VILLAGE)
    record(att["d_a"], D(2026, 10, 12), D(2026, 10, 13), DayStatus.ABSENT)
    response = _get(client, att["people"]["org"], COMPLIANCE, month="2026-10", format="xlsx")
    assert download_name(response) == "驻村干部考勤达标情况-2026-10.xlsx"
    page = _get(client, att["people"]["org"], COMPLIANCE, month="2026-10").context
    report, totals = page["report"], page["totals"]

    townships = sheet_rows(response, "各乡镇本月情况")
    assert townships[0] == [
        "乡镇",
        "驻村干部",
        "在村天数",
        "目标",
        "已达标",
        "有风险",
        "未达标",
        "缺勤(天)",
        "未填报(工作日)",
        "已确认",
    ]
    assert [r[0] for r in townships[1:]] == ["菜园镇", "宜沟镇", "合计"]
    caiyuan = report.townships[0]
    assert townships[1] == [
        "菜园镇",
        2,
        caiyuan.present,
        caiyuan.target,
        caiyuan.met,
        caiyuan.at_risk,
        caiyuan.missed,
        2,
        caiyuan.unrecorded,
        0,
    ]
    assert townships[3] == [
        "合计",
        3,
        totals["present"],
        totals["target"],
        totals["met"],
        totals["at_risk"],
        totals["missed"],
        2,
        totals["unrecorded"],
        0,
    ]

    absences = sheet_rows(response, "两头不见人")
    assert absences[1:] == [["李卫东", "菜园镇", "东官庄村", "县农业农村局", "10-12、10-13", 2, 2]]
    at_risk = sheet_rows(response, "本月在村天数有风险或未达标")
    assert sorted(column(at_risk, "干部")) == sorted(c.dispatch.cadre.name for c in report.at_risk_month)
    year = sheet_rows(response, "本驻村年度在村天数有风险或未达标")
    assert year[0] == ["干部", "乡镇", "开始日期", "结束日期", "在村", "目标", "尚可", "状态"]
    assert sorted(column(year, "干部")) == sorted(c.dispatch.cadre.name for c in report.at_risk_year)
    assert all(isinstance(row[2], DT) for row in year[1:])

    rows = csv_rows(_get(client, att["people"]["org"], COMPLIANCE, month="2026-10", format="csv"))
    assert rows[0][0] == "乡镇" and rows[-1][:2] == ["合计", "3"]


@pytest.mark.parametrize("who", ["town_a", "head_a", "cadre_a", "outsider"])
def test_r_o4_compliance_export_is_the_countys_like_its_page(client, att, who):
    assert _get(client, att["people"][who], COMPLIANCE, format="xlsx").status_code == 403


def test_r_m1_compliance_export_queries_do_not_grow_with_cadres(client, att):
    client.force_login(att["people"]["auditor"])
    few = _queries(client, COMPLIANCE, month="2026-10", format="xlsx")
    more_stationed(att, att["town_b"], 5)
    assert _queries(client, COMPLIANCE, month="2026-10", format="xlsx") == few


# --- The township's month grid (R-M2a, R-M3) ----------------------------------------------------------------


def test_r_m2a_grid_export_has_one_row_per_cadre_one_column_per_day_and_totals(client, att):
    record(att["d_a"], D(2026, 10, 8), D(2026, 10, 9), DayStatus.IN_VILLAGE)
    attendance.day_set(dispatch=att["d_a"], day=D(2026, 10, 12), status=DayStatus.ABSENT, by=att["people"]["town_a"])
    response = _get(client, att["people"]["town_a"], GRID, month="2026-10", format="xlsx")
    assert download_name(response) == "驻村干部月度考勤-菜园镇-2026-10.xlsx"
    rows = sheet_rows(response)
    days = [str(n) for n in range(1, 32)]
    assert rows[0] == [
        "干部",
        "驻点村",
        *days,
        "本月在村",
        "未填报",
        "本月目标",
        "本月状态",
        "驻村年度在村",
        "驻村年度目标",
        "驻村年度状态",
        "考勤",
    ]
    a, plain, totals = rows[1:4]
    assert a[:2] == ["李卫东", "东官庄村"] and plain[0] == "赵普通"
    assert a[2 + 7 : 2 + 12] == ["在", "在", "·", "·", "缺"]  # 8, 9 in the village, 10, 11 not filled in, 12 absent
    # October 2026 has 18 working days: 2 in the village, 1 absent, 15 unreported (R-M1).
    assert a[33:37] == [2, 15, 18, "未达标"] and a[-1] == "填报中"
    assert plain[33:37] == [0, 18, 18, "未达标"]
    assert totals[0] == "合计" and totals[33:36] == [2, 33, 36]
    grid = _get(client, att["people"]["town_a"], GRID, month="2026-10").context["grid"]
    assert totals[36:38] == [None, sum(r.year.present for r in grid.rows)]
    book_note = [r for r in rows if r[0] and str(r[0]).startswith("在 ")]
    assert book_note and "缺 缺勤" in book_note[0][0] and "· 未填报" in book_note[0][0]


def test_r_m2a_grid_export_marks_days_outside_the_term(client, att):
    rows = sheet_rows(_get(client, att["people"]["town_a"], GRID, month="2026-03", format="xlsx"))
    assert rows[1][2:6] == ["—", "—", "—", "—"]  # stationed on 03-05
    assert rows[1][6] == "·"


@pytest.mark.parametrize(
    ("who", "township", "names"),
    [
        ("town_a", None, ["李卫东", "赵普通"]),
        ("town_b", None, ["王秀英"]),
        ("org", "town_b", ["王秀英"]),
        ("auditor", "town_a", ["李卫东", "赵普通"]),
    ],
)
def test_r_o4_grid_export_holds_only_the_townships_cadres(client, att, who, township, names):
    user = att["people"][who]
    params = {"month": "2026-10", **({"township": att[township].pk} if township else {})}
    shown = [r.dispatch.cadre.name for r in _get(client, user, GRID, **params).context["grid"].rows]
    assert column(sheet_rows(_get(client, user, GRID, format="xlsx", **params)), "干部") == shown == names
    assert [r[0] for r in csv_rows(_get(client, user, GRID, format="csv", **params))[1:-1]] == names  # then 合计


@pytest.mark.parametrize("who", ["town_b", "head_a", "cadre_a", "outsider"])
def test_r_o4_grid_export_of_another_township_is_refused(client, att, who):
    response = _get(client, att["people"][who], GRID, township=att["town_a"].pk, format="xlsx")
    assert response.status_code == 403


def test_r_m2a_grid_export_queries_do_not_grow_with_cadres(client, att):
    client.force_login(att["people"]["town_a"])
    few = _queries(client, GRID, month="2026-10", format="xlsx")
    more_stationed(att, att["town_a"], 5)
    assert _queries(client, GRID, month="2026-10", format="xlsx") == few


# --- The township's leave (R-M2) ------------------------------------------------------------------------------


@pytest.fixture
def on_leave(att):
    """An approved leave of 李卫东 (菜园镇), an open request of 赵普通 (菜园镇) and one of 王秀英 (宜沟镇)."""
    w = dict(att)
    p = w["people"]
    w["leave_a"] = leaves.leave_decide(
        leave=leaves.leave_request(
            dispatch=w["d_a"],
            starts_on=D(2026, 11, 16),
            ends_on=D(2026, 11, 17),
            reason="家中老人住院",
            by=p["cadre_a"],
        ),
        by=p["town_a"],
        approve=True,
    )
    w["leave_plain"] = leaves.leave_request(
        dispatch=w["d_plain"],
        starts_on=D(2026, 11, 18),
        ends_on=D(2026, 11, 18),
        reason="=就医复查",
        by=w["plain_a"].user,
    )
    w["leave_b"] = leaves.leave_request(
        dispatch=w["d_b"], starts_on=D(2026, 11, 16), ends_on=D(2026, 11, 16), reason="子女升学", by=p["cadre_b"]
    )
    return w


@pytest.mark.parametrize(
    ("who", "township", "names"),
    [
        ("town_a", None, ["李卫东", "赵普通"]),
        ("town_b", None, ["王秀英"]),
        ("org", "town_b", ["王秀英"]),
        ("auditor", "town_a", ["李卫东", "赵普通"]),
    ],
)
def test_r_o4_r_m2_leave_export_holds_only_the_townships_leave(client, on_leave, who, township, names):
    user = on_leave["people"][who]
    params = {"township": on_leave[township].pk} if township else {}
    context = _get(client, user, LEAVE_LIST, **params).context
    shown = [leave.dispatch.cadre.name for leave in [*context["open_leaves"], *context["recent_leaves"]]]
    assert (
        sorted(column(sheet_rows(_get(client, user, LEAVE_LIST, format="xlsx", **params)), "干部"))
        == sorted(shown)
        == names
    )


def test_r_m2_leave_export_has_dates_as_dates_the_full_reason_and_a_named_file(client, on_leave):
    response = _get(client, on_leave["people"]["town_a"], LEAVE_LIST, format="xlsx")
    assert download_name(response) == "请假管理-菜园镇-2026-11-12.xlsx"
    rows = sheet_rows(response)
    assert rows[0] == [
        "干部",
        "驻点村",
        "开始日期",
        "结束日期",
        "工作日",
        "报组织部",
        "事由",
        "状态",
        "返岗",
        "逾期未归",
    ]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["李卫东"][1:5] == ["东官庄村", DT(2026, 11, 16), DT(2026, 11, 17), 2]
    assert by_name["李卫东"][6] == "家中老人住院"
    csv_reasons = [r[6] for r in csv_rows(_get(client, on_leave["people"]["town_a"], LEAVE_LIST, format="csv"))[1:]]
    assert "'=就医复查" in csv_reasons  # a reason that looks like a formula stays text


@pytest.mark.parametrize("who", ["town_b", "head_a", "cadre_a", "outsider"])
def test_r_o4_leave_export_of_another_township_is_refused(client, on_leave, who):
    response = _get(client, on_leave["people"][who], LEAVE_LIST, township=on_leave["town_a"].pk, format="xlsx")
    assert response.status_code == 403


# --- Leaders' visits missing (R-M5) ---------------------------------------------------------------------------


def test_r_m5_visits_export_lists_the_flagged_windows_and_counts_by_unit(client, att, monkeypatch):
    freeze(monkeypatch, D(2026, 9, 5))  # the deputies' first six-month window ended on 09-04, no visit
    org = att["people"]["org"]
    context = _get(client, org, OVERVIEW).context
    response = _get(client, org, OVERVIEW, format="xlsx")
    assert download_name(response) == "单位领导调研情况-2026-09-05.xlsx"
    rows = sheet_rows(response)
    assert rows[0] == [
        "派出单位",
        "干部",
        "乡镇",
        "驻点村",
        "调研领导",
        "起始日期",
        "终止日期",
        "状态",
        "逾期(天)",
        "距截止(天)",
    ]
    assert [r[1] for r in rows[1:]] == [row.dispatch.cadre.name for row, _w in context["flagged"]]
    first = next(r for r in rows if r[1] == "李卫东")
    assert first[4:] == ["分管领导", DT(2026, 3, 5), DT(2026, 9, 4), "已逾期", 1, None]
    assert sheet_rows(response, "按单位")[1:] == [["县农业农村局", 2, 0], ["县教育局", 1, 0]]
    due = _get(client, org, OVERVIEW, status="due", format="xlsx")
    assert len(sheet_rows(due)) == 1 and download_name(due) == "单位领导调研情况-待调研-2026-09-05.xlsx"


@pytest.mark.parametrize("who", ["head_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_visits_overview_export_is_the_countys(client, att, who):
    assert _get(client, att["people"][who], OVERVIEW, format="csv").status_code == 403


# --- Inspections (R-M6) ---------------------------------------------------------------------------------------


def test_r_m6_inspections_export_lists_each_inspection_with_its_counts(client, att):
    p = att["people"]
    inspection_record(
        county=att["county"],
        kind=InspectionKind.UNANNOUNCED,
        inspected_on=D(2026, 4, 8),
        notes="暗访菜园镇",
        findings=[(att["d_a"], False, "未见"), (att["d_plain"], True, "")],
        by=p["org"],
    )
    inspection_record(
        county=att["county"],
        kind=InspectionKind.OPEN,
        inspected_on=D(2026, 5, 6),
        notes="",
        findings=[(att["d_b"], True, "")],
        by=p["org"],
    )
    response = _get(client, p["auditor"], INSPECTIONS, format="xlsx")
    assert download_name(response) == "明查暗访-2026-11-12.xlsx"
    rows = sheet_rows(response)
    assert rows[0] == ["检查日期", "方式", "情况记录", "在岗", "不在岗", "登记人"]
    assert [r[0] for r in rows[1:]] == [DT(2026, 5, 6), DT(2026, 4, 8)]
    assert rows[2][2:] == ["暗访菜园镇", 1, 1, "组织部王科长"]


@pytest.mark.parametrize("who", ["head_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_inspections_export_is_the_countys(client, att, who):
    assert _get(client, att["people"][who], INSPECTIONS, format="xlsx").status_code == 403


@pytest.mark.parametrize("url", [GRID, COMPLIANCE, LEAVE_LIST, OVERVIEW, INSPECTIONS])
def test_each_leave_list_page_shows_the_two_export_links(client, att, url):
    page = _get(client, att["people"]["org"], url, month="2026-10").content.decode()
    assert "导出 Excel" in page and "导出 CSV" in page
    assert "month=2026-10&amp;format=xlsx" in page and "month=2026-10&amp;format=csv" in page
