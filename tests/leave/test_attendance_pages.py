"""Attendance pages through the client: calendar, grid, compliance, corrections, by tier (R-M1, R-M2a, R-M3, R-O4)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leave.models import AttendanceDay, AttendanceMonth, CalendarCorrection, DayStatus, MonthState
from leave.services import attendance
from tests.leave import approved_leave, attendance_world, freeze, more_stationed, record
from workflows.models import AuditEvent

D = datetime.date
CALENDAR, GRID, COMPLIANCE, HOLIDAYS = (reverse(f"leave:{n}") for n in ("calendar", "grid", "compliance", "holidays"))
TODAY = D(2026, 11, 12)


@pytest.fixture
def att(world, monkeypatch):
    freeze(monkeypatch, TODAY)
    return attendance_world(world)


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- The cadre's calendar (R-M2a) ------------------------------------------------------------------------


def test_r_m2a_cadre_sees_the_month_with_holidays_adjusted_days_and_progress(client, att):
    client.force_login(att["people"]["cadre_a"])
    page = _page(client.get(CALENDAR, {"month": "2026-10"}))
    for text in (
        "按默认填报本月",
        "国庆节",
        "调休上班",
        "本月在村天数",
        "驻村年度在村天数",
        "0 / 18",
        "(可选",
        "位置或照片说明",
    ):
        assert text in page, text
    assert 'data-date="2026-10-10"' in page
    assert page.count('name="action" value="day"') == 31  # every day of a past month can be changed


def test_r_m2a_one_click_then_one_change_then_submit_through_the_page(client, att):
    client.force_login(att["people"]["cadre_a"])
    url = f"{CALENDAR}?month=2026-10"
    response = client.post(url, {"action": "fill"})
    assert response.status_code == 302
    assert AttendanceDay.objects.filter(dispatch=att["d_a"], date__month=10).count() == 31
    response = client.post(
        url,
        {
            "action": "day",
            "day": "2026-10-12",
            "status": DayStatus.OFFICIAL_BUSINESS,
            "note": "县里开会",
            "evidence": "",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#d-2026-10-12")
    assert AttendanceDay.objects.get(dispatch=att["d_a"], date=D(2026, 10, 12)).status == DayStatus.OFFICIAL_BUSINESS
    client.post(url, {"action": "submit"})
    assert AttendanceMonth.objects.get(dispatch=att["d_a"], month=D(2026, 10, 1)).state == MonthState.SUBMITTED
    page = _page(client.get(url))
    assert "已提交,待乡镇确认" in page and "18 / 18" in page


def test_r_m2a_a_refusal_is_shown_on_the_page_and_nothing_is_written(client, att):
    client.force_login(att["people"]["cadre_a"])
    response = client.post(
        f"{CALENDAR}?month=2026-10", {"action": "day", "day": "2026-10-12", "status": DayStatus.HOLIDAY}, follow=True
    )
    assert "不能登记为休息" in response.content.decode()
    assert not AttendanceDay.objects.exists()


def test_r_m2a_approved_leave_shows_in_the_calendar_without_a_change_form(client, att):
    approved_leave(att["d_a"], D(2026, 10, 12), D(2026, 10, 13))
    client.force_login(att["people"]["cadre_a"])
    page = _page(client.get(CALENDAR, {"month": "2026-10"}))
    assert page.count('data-status="leave"') == 2
    assert page.count('name="action" value="day"') == 29


def test_r_m1_cadre_sees_the_at_risk_warning(client, att, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 20))
    record(att["d_a"], D(2026, 11, 2), D(2026, 11, 6), DayStatus.ABSENT)
    client.force_login(att["people"]["cadre_a"])
    page = _page(client.get(CALENDAR, {"month": "2026-11"}))
    assert 'data-testid="month-risk"' in page and "达不到本月 21 天的要求" in page
    assert 'data-testid="absences"' in page


@pytest.mark.parametrize("role", ["town_a", "org", "auditor"])
def test_r_o4_township_org_dept_and_auditor_read_a_cadres_calendar(client, att, role):
    client.force_login(att["people"][role])
    page = _page(client.get(CALENDAR, {"dispatch": att["d_a"].pk, "month": "2026-10"}))
    assert "李卫东" in page
    assert ('value="fill"' in page) is (role == "town_a")


@pytest.mark.parametrize("role", ["town_b", "cadre_b", "head_b", "outsider"])
def test_r_o4_calendar_of_a_cadre_outside_the_tier_is_refused(client, att, role):
    client.force_login(att["people"][role])
    assert client.get(CALENDAR, {"dispatch": att["d_a"].pk}).status_code == 403
    assert client.post(f"{CALENDAR}?dispatch={att['d_a'].pk}&month=2026-10", {"action": "fill"}).status_code == 403
    assert not AttendanceDay.objects.exists()


@pytest.mark.parametrize("action", ["fill", "submit", "day"])
def test_r_o4_auditor_and_org_dept_never_fill_a_calendar(client, att, action):
    for role in ("auditor", "org"):
        client.force_login(att["people"][role])
        response = client.post(
            f"{CALENDAR}?dispatch={att['d_a'].pk}&month=2026-10",
            {"action": action, "day": "2026-10-12", "status": DayStatus.IN_VILLAGE},
        )
        assert response.status_code == 403
    assert not AttendanceDay.objects.exists()


def test_calendar_without_a_dispatch_says_so(client, att):
    client.force_login(att["people"]["outsider"])
    page = _page(client.get(CALENDAR))
    assert 'data-testid="no-dispatch"' in page


# --- The township's grid (R-M2a, R-M3) ---------------------------------------------------------------------


def test_r_m2a_township_grid_shows_codes_legend_totals_and_unrecorded_cells(client, att):
    record(att["d_a"], D(2026, 10, 8), D(2026, 10, 9), DayStatus.IN_VILLAGE)
    attendance.day_set(dispatch=att["d_a"], day=D(2026, 10, 12), status=DayStatus.ABSENT, by=att["people"]["town_a"])
    client.force_login(att["people"]["town_a"])
    page = _page(client.get(GRID, {"month": "2026-10"}))
    for text in (
        "李卫东",
        "赵普通",
        "在村",
        "因公报备",
        "请假",
        "休息",
        "缺勤",
        "未填报",
        "2 / 18",
        "0 / 18",
        "确认本月",
        "两头不见人",
    ):
        assert text in page, text
    assert "王秀英" not in page
    grid = client.get(GRID, {"month": "2026-10"}).context["grid"]
    assert [r.dispatch.pk for r in grid.rows] == [att["d_a"].pk, att["d_plain"].pk]
    assert [c.code for c in grid.rows[0].cells[7:12]] == ["在", "在", "", "", "缺"]


def test_r_m2a_township_confirms_the_month_from_the_grid_and_it_locks(client, att):
    client.force_login(att["people"]["town_a"])
    url = f"{GRID}?township={att['town_a'].pk}&month=2026-10"
    response = client.post(url, {"action": "confirm"})
    assert response.status_code == 302
    assert set(AttendanceMonth.objects.values_list("state", flat=True)) == {MonthState.CONFIRMED}
    # Nothing was entered, and confirmation enters nothing: the days stay unreported (R-M1).
    assert not AttendanceDay.objects.exists()
    page = _page(client.get(url))
    assert "本月考勤已全部确认并锁定" in page and 'value="confirm"' not in page
    client.force_login(att["people"]["cadre_a"])
    page = _page(client.get(CALENDAR, {"month": "2026-10"}))
    assert 'data-testid="locked"' in page and 'value="fill"' not in page


def test_grid_lists_each_cadres_unreported_days_before_confirming_r_m1(client, att):
    record(att["d_a"], D(2026, 10, 8), D(2026, 10, 31), DayStatus.IN_VILLAGE)
    client.force_login(att["people"]["town_a"])
    response = client.get(GRID, {"month": "2026-10"})
    page = _page(response)
    grid = response.context["grid"]
    # 李卫东 recorded every working day (10-01…10-07 is the National Day holiday); 赵普通 none of the 18.
    by_cadre = {r.dispatch.pk: r.unreported for r in grid.unreported}
    assert list(by_cadre) == [att["d_plain"].pk] and len(by_cadre[att["d_plain"].pk]) == 18
    assert by_cadre[att["d_plain"].pk][0] == D(2026, 10, 8)
    assert 'data-testid="unreported"' in page and "未填报的工作日(不计在村天数)" in page
    assert f'name="dispatch" value="{att["d_plain"].pk}"' in page
    assert 'data-testid="fill-unreported-in_village"' in page and 'data-testid="fill-unreported-absent"' in page
    assert "确认后这些日子保持“未填报”,不计在村天数" in page


def test_township_fills_the_listed_unreported_days_from_the_grid_r_m1(client, att):
    client.force_login(att["people"]["town_a"])
    url = f"{GRID}?township={att['town_a'].pk}&month=2026-10"
    response = client.post(
        url, {"action": "fill_unreported", "status": DayStatus.IN_VILLAGE, "dispatch": [att["d_plain"].pk]}, follow=True
    )
    assert "已将 1 名干部未填报的 18 个工作日登记为“在村”" in response.content.decode()
    days = AttendanceDay.objects.filter(dispatch=att["d_plain"], date__month=10)
    assert days.filter(status=DayStatus.IN_VILLAGE).count() == 18 and days.count() == 31
    assert not AttendanceDay.objects.filter(dispatch=att["d_a"]).exists()
    event = AuditEvent.objects.get(action="attendance.month_fill_unreported")
    assert event.actor == att["people"]["town_a"] and len(event.data["workdays"]) == 18
    grid = client.get(url).context["grid"]
    assert [r.dispatch.pk for r in grid.unreported] == [att["d_a"].pk]


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"status": DayStatus.HOLIDAY, "dispatch": ["D_PLAIN"]}, "只能统一登记为“在村”或“缺勤”"),
        ({"status": DayStatus.IN_VILLAGE}, "请选择要登记的干部"),
        ({"status": DayStatus.IN_VILLAGE, "dispatch": ["D_B"]}, "所选干部该月不在本乡镇驻村"),
        ({"status": DayStatus.IN_VILLAGE, "dispatch": ["x"]}, "所选干部该月不在本乡镇驻村"),
    ],
)
def test_fill_unreported_from_the_grid_refuses_bad_input_with_a_message_r_m2a(client, att, post, message):
    ids = {"D_PLAIN": str(att["d_plain"].pk), "D_B": str(att["d_b"].pk)}
    post = {**post, "action": "fill_unreported"}
    if "dispatch" in post:
        post["dispatch"] = [ids.get(v, v) for v in post["dispatch"]]
    client.force_login(att["people"]["town_a"])
    response = client.post(f"{GRID}?township={att['town_a'].pk}&month=2026-10", post, follow=True)
    assert message in _page(response)
    assert not AttendanceDay.objects.exists()
    assert not AuditEvent.objects.filter(action="attendance.month_fill_unreported").exists()


@pytest.mark.parametrize("role", ["org", "auditor", "town_b"])
def test_r_o4_only_the_township_fills_its_unreported_days(client, att, role):
    client.force_login(att["people"][role])
    response = client.post(
        f"{GRID}?township={att['town_a'].pk}&month=2026-10",
        {"action": "fill_unreported", "status": DayStatus.IN_VILLAGE, "dispatch": [att["d_plain"].pk]},
    )
    assert response.status_code == 403
    assert not AttendanceDay.objects.exists()


def test_cadre_cannot_submit_the_current_month_and_is_told_when_r_m2a(client, att):
    client.force_login(att["people"]["cadre_a"])
    url = f"{CALENDAR}?month=2026-11"
    client.post(url, {"action": "fill"})
    page = _page(client.get(url))
    assert 'data-testid="submit"' not in page and "从 2026-11-30 起可以提交" in page
    response = client.post(url, {"action": "submit"}, follow=True)
    assert "2026-11 尚未结束,从 2026-11-30 起可以提交" in response.content.decode()
    assert AttendanceMonth.objects.get(dispatch=att["d_a"], month=D(2026, 11, 1)).state == MonthState.OPEN


def test_cadre_submitting_a_month_with_gaps_is_told_which_days_r_m2a(client, att):
    record(att["d_a"], D(2026, 10, 1), D(2026, 10, 28), DayStatus.IN_VILLAGE)
    client.force_login(att["people"]["cadre_a"])
    response = client.post(f"{CALENDAR}?month=2026-10", {"action": "submit"}, follow=True)
    assert "还有 3 天没有填报:10-29、10-30、10-31" in response.content.decode()
    assert not AttendanceMonth.objects.filter(state=MonthState.SUBMITTED).exists()


def test_r_m2a_township_changes_a_cell_before_confirmation(client, att):
    client.force_login(att["people"]["town_a"])
    url = f"{GRID}?township={att['town_a'].pk}&month=2026-10"
    client.post(
        url,
        {
            "action": "cell",
            "dispatch": att["d_plain"].pk,
            "day": "2026-10-14",
            "status": DayStatus.ABSENT,
            "note": "乡镇抽查不在村",
        },
    )
    day = AttendanceDay.objects.get(dispatch=att["d_plain"], date=D(2026, 10, 14))
    assert (day.status, day.source, day.note) == (DayStatus.ABSENT, "township", "乡镇抽查不在村")
    # Not for a cadre of another township, even through a crafted form.
    response = client.post(
        url, {"action": "cell", "dispatch": att["d_b"].pk, "day": "2026-10-14", "status": DayStatus.ABSENT}
    )
    assert response.status_code == 404
    assert not AttendanceDay.objects.filter(dispatch=att["d_b"]).exists()


def test_r_m2a_the_current_month_cannot_be_confirmed_before_its_last_day(client, att):
    client.force_login(att["people"]["town_a"])
    page = _page(client.get(GRID))
    assert "从该月最后一天起可以确认" in page and 'value="confirm"' not in page
    response = client.post(f"{GRID}?month=2026-11", {"action": "confirm"}, follow=True)
    assert "尚未结束" in response.content.decode()
    assert not AttendanceMonth.objects.exists()


@pytest.mark.parametrize("role", ["org", "auditor"])
def test_r_o4_org_dept_and_auditor_read_the_grid_but_cannot_confirm(client, att, role):
    client.force_login(att["people"][role])
    page = _page(client.get(GRID, {"township": att["town_a"].pk, "month": "2026-10"}))
    assert 'data-testid="read-only"' in page and 'value="confirm"' not in page
    url = f"{GRID}?township={att['town_a'].pk}&month=2026-10"
    assert client.post(url, {"action": "confirm"}).status_code == 403
    assert (
        client.post(
            url, {"action": "cell", "dispatch": att["d_a"].pk, "day": "2026-10-14", "status": DayStatus.ABSENT}
        ).status_code
        == 403
    )
    assert not AttendanceMonth.objects.exists() and not AttendanceDay.objects.exists()


def test_r_o4_a_township_cannot_open_or_confirm_another_townships_grid(client, att):
    client.force_login(att["people"]["town_b"])
    assert client.get(GRID, {"township": att["town_a"].pk}).status_code == 403
    assert client.post(f"{GRID}?township={att['town_a'].pk}&month=2026-10", {"action": "confirm"}).status_code == 403
    assert not AttendanceMonth.objects.exists()


@pytest.mark.parametrize("role", ["cadre_a", "head_a", "outsider"])
def test_r_o4_grid_refused_outside_township_and_county(client, att, role):
    client.force_login(att["people"][role])
    assert client.get(GRID).status_code == 403


# --- The county's compliance page (R-M1, R-M3) ---------------------------------------------------------------


def test_r_m1_r_m3_org_dept_sees_figures_at_risk_and_absences_with_links(client, att, monkeypatch):
    freeze(monkeypatch, D(2026, 11, 20))
    record(att["d_a"], D(2026, 11, 2), D(2026, 11, 6), DayStatus.ABSENT)
    client.force_login(att["people"]["org"])
    response = client.get(COMPLIANCE, {"month": "2026-11"})
    page = _page(response)
    for text in ("菜园镇", "宜沟镇", "李卫东", "有风险", "两头不见人", "11-02", "11-06"):
        assert text in page, text
    assert f"?dispatch={att['d_a'].pk}&month=2026-11#d-2026-11-02" in page
    report = response.context["report"]
    # The two others entered nothing: their past working days are unreported, not possible (R-M1).
    assert {c.dispatch.pk for c in report.at_risk_month} == {att["d_a"].pk, att["d_plain"].pk, att["d_b"].pk}


def test_r_o4_auditor_reads_the_compliance_page(client, att):
    client.force_login(att["people"]["auditor"])
    _page(client.get(COMPLIANCE))
    assert client.post(COMPLIANCE).status_code == 405


@pytest.mark.parametrize("role", ["town_a", "cadre_a", "head_a", "outsider"])
def test_r_o4_compliance_page_is_the_countys(client, att, role):
    client.force_login(att["people"][role])
    assert client.get(COMPLIANCE).status_code == 403


# --- Corrections (R-M2a, R-X1) ----------------------------------------------------------------------------------


def test_r_m2a_org_dept_corrects_a_locked_day_through_the_form_with_a_reason(client, att):
    attendance.month_confirm(township=att["town_a"], month=D(2026, 10, 1), by=att["people"]["town_a"])
    url = reverse("leave:day_correct", args=[att["d_a"].pk, "2026-10-12"])
    client.force_login(att["people"]["org"])
    page = _page(client.get(url))
    assert "乡镇已确认锁定" in page and "更正理由" in page
    response = client.post(url, {"status": DayStatus.ABSENT, "reason": ""})
    assert response.status_code == 200 and not AuditEvent.objects.filter(action="attendance.day_correct").exists()
    response = client.post(url, {"status": DayStatus.ABSENT, "reason": "暗访核实不在村"})
    assert response.status_code == 302
    assert AttendanceDay.objects.get(dispatch=att["d_a"], date=D(2026, 10, 12)).status == DayStatus.ABSENT
    assert AuditEvent.objects.get(action="attendance.day_correct").reason == "暗访核实不在村"
    page = _page(client.get(CALENDAR, {"dispatch": att["d_a"].pk, "month": "2026-10"}))
    assert "组织部更正" in page and 'data-testid="can-correct"' in page


@pytest.mark.parametrize("role", ["auditor", "town_a", "cadre_a"])
def test_r_o4_only_the_org_dept_opens_the_correction_form(client, att, role):
    url = reverse("leave:day_correct", args=[att["d_a"].pk, "2026-10-12"])
    client.force_login(att["people"][role])
    assert client.get(url).status_code == 403
    assert client.post(url, {"status": DayStatus.ABSENT, "reason": "x"}).status_code == 403
    assert not AttendanceDay.objects.exists()


def test_r_m2a_holidays_page_lists_the_year_and_the_2027_notice(client, att):
    client.force_login(att["people"]["org"])
    page = _page(client.get(HOLIDAYS, {"year": "2026"}))
    assert "国庆节" in page and "调休上班" in page and 'data-testid="unpublished"' not in page
    page = _page(client.get(HOLIDAYS, {"year": "2027"}))
    assert 'data-testid="unpublished"' in page
    response = client.post(f"{HOLIDAYS}?year=2027", {"day": "2027-02-08", "is_workday": "0", "note": "2027年春节"})
    assert response.status_code == 302
    correction = CalendarCorrection.objects.get()
    assert (correction.date, correction.is_workday) == (D(2027, 2, 8), False)
    page = _page(client.get(HOLIDAYS, {"year": "2027"}))
    assert "2027年春节" in page and "组织部更正" in page


def test_r_m2a_holiday_correction_form_shows_the_refusal(client, att):
    client.force_login(att["people"]["org"])
    page = _page(client.post(HOLIDAYS, {"day": "2027-02-08", "is_workday": "0", "note": ""}))
    assert "vc-errors" in page
    assert not CalendarCorrection.objects.exists()


@pytest.mark.parametrize(("role", "get_status"), [("auditor", 200), ("town_a", 403), ("cadre_a", 403)])
def test_r_o4_holidays_page_read_by_the_county_changed_by_the_org_dept(client, att, role, get_status):
    client.force_login(att["people"][role])
    assert client.get(HOLIDAYS).status_code == get_status
    assert client.post(HOLIDAYS, {"day": "2027-02-08", "is_workday": "0", "note": "春节"}).status_code == 403
    assert not CalendarCorrection.objects.exists()


# --- Where the app's index sends each role ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("cadre_a", "leave:calendar"),
        ("town_a", "leave:grid"),
        ("org", "leave:compliance"),
        ("auditor", "leave:compliance"),
        ("head_a", "leave:visits"),
    ],
)
def test_r_o4_the_index_sends_each_role_to_its_page(client, att, role, target):
    client.force_login(att["people"][role])
    response = client.get(reverse("leave:index"))
    assert response.status_code == 302 and response["Location"] == reverse(target)
    assert client.get(response["Location"]).status_code == 200


def test_r_o4_the_index_refuses_someone_with_no_page_here(client, att):
    """No post and no stationing: the menu does not show the area, and its index says so inside the frame."""
    client.force_login(att["people"]["outsider"])
    response = client.get(reverse("leave:index"))
    assert response.status_code == 403
    assert "您没有可以打开的驻村管理页面。" in response.content.decode()


# --- Scale: a fixed number of queries (R-M2a) ----------------------------------------------------------------


def _count(client, url, params) -> int:
    client.get(url, params)  # warm the per-process caches (content types) so that only the page is counted
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_grid_and_compliance_run_the_same_queries_for_2_and_for_12_cadres(client, att):
    """The township grid runs 20 queries and the county compliance page 18, for 2 cadres as for 12 (R-M2a, R-M1).

    Of the grid's 20, seven are the month's data (dispatches, day rows, month states, month counts, term-year
    counts, calendar corrections twice); the rest are the session, the user, permissions and the page frame
    (one is the bell's unread count).
    The second measurement has ten more cadres in 菜园镇, each with the whole month recorded and an absence.
    """
    month = {"month": "2026-10"}
    client.force_login(att["people"]["town_a"])
    small_grid = _count(client, GRID, month)
    client.force_login(att["people"]["org"])
    small_compliance = _count(client, COMPLIANCE, month)

    extra = more_stationed(att, att["town_a"], 10)
    for dispatch in [att["d_a"], att["d_plain"], *extra]:
        record(dispatch, D(2026, 10, 1), D(2026, 10, 31), DayStatus.IN_VILLAGE)
        record(dispatch, D(2026, 10, 14), D(2026, 10, 14), DayStatus.ABSENT)
    attendance.month_submit(dispatch=att["d_a"], month=D(2026, 10, 1), by=att["people"]["cadre_a"])

    client.force_login(att["people"]["town_a"])
    response = client.get(GRID, month)
    assert len(response.context["grid"].rows) == 12
    assert all(len(r.absences) == 1 for r in response.context["grid"].rows)
    large_grid = _count(client, GRID, month)
    client.force_login(att["people"]["org"])
    assert len(client.get(COMPLIANCE, month).context["report"].cadres) == 13
    large_compliance = _count(client, COMPLIANCE, month)

    assert small_grid == large_grid == 20
    assert small_compliance == large_compliance == 18
