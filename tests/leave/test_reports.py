"""The township's monthly attendance report: hand-computed rows and totals, the xlsx, the PDF, by tier (R-M1, R-O4)."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from leave import reports
from leave.models import DayStatus
from leave.services import attendance
from tests.factories import CountyFactory, UserFactory, appoint
from tests.leave import approved_leave, attendance_world, freeze, record
from workflows.models import Role

D = datetime.date
JULY = D(2026, 7, 1)  # 23 working days, no holiday: the target is the setting's 22
TODAY = D(2026, 8, 5)
URL = reverse("leave:attendance_report")
HEADERS = [
    "序号",
    "姓名",
    "派出单位",
    "驻点村",
    "应在村天数(月目标)",
    "在村",
    "因公报备",
    "请假",
    "缺勤",
    "未填报",
    "是否达标",
    "乡镇确认状态",
]
WEEKDAYS_1_TO_17 = [D(2026, 7, d) for d in (1, 2, 3, 6, 7, 8, 9, 10, 13, 14, 15, 16, 17)]


@pytest.fixture
def july(world, monkeypatch):
    """Three cadres from 2026-03-05; July 2026 recorded for the two of 菜园镇 (town_a), seen on 2026-08-05.

    李卫东 (d_a): in the village the 13 working days 07-01…07-17, on official business 07-20 and 07-21, on approved
    leave 07-22…07-24, absent 07-27, nothing for 07-28…07-31: 15 present, 4 working days unrecorded, short of 22.
    赵普通 (d_plain): the whole month filled by default and submitted: 23 working days in the village.
    王秀英 (d_b, 宜沟镇): one day, to show that another township's cadre stays out.
    """
    freeze(monkeypatch, TODAY)
    w = attendance_world(world)
    for day in WEEKDAYS_1_TO_17:
        record(w["d_a"], day, day, DayStatus.IN_VILLAGE)
    record(w["d_a"], D(2026, 7, 20), D(2026, 7, 21), DayStatus.OFFICIAL_BUSINESS)
    approved_leave(w["d_a"], D(2026, 7, 22), D(2026, 7, 24))
    record(w["d_a"], D(2026, 7, 27), D(2026, 7, 27), DayStatus.ABSENT)
    attendance.month_fill_defaults(dispatch=w["d_plain"], month=JULY, by=w["plain_a"].user)
    attendance.month_submit(dispatch=w["d_plain"], month=JULY, by=w["plain_a"].user)
    record(w["d_b"], D(2026, 7, 1), D(2026, 7, 1), DayStatus.ABSENT)
    return w


def test_r_m1_report_has_one_row_per_cadre_of_the_township_and_hand_computed_totals(july):
    table = reports.monthly_attendance_report(july["town_a"], JULY, today=TODAY)
    assert [c.header for c in table.columns] == HEADERS
    assert table.title == "菜园镇驻村干部2026年7月在村情况统计表"
    assert table.rows == [
        [1, "李卫东", "县农业农村局", "东官庄村", 22, 13, 2, 3, 1, 4, "未达标", "填报中"],
        [2, "赵普通", "县农业农村局", "西官庄村", 22, 23, 0, 0, 0, 0, "已达标", "已提交"],
    ]
    assert table.totals == ["合计", "2 人", "", "", 44, 36, 2, 3, 1, 4, "已达标 1 人", "已确认 0 / 2"]
    assert "截至 2026-08-05" in table.note
    assert reports.attendance_subtitle(july["town_a"], JULY) == "汤阴县 · 菜园镇 · 统计期间:2026-07-01至2026-07-31"


def test_confirmed_report_keeps_unreported_days_in_their_own_column_r_m1(july):
    """R-M1: confirmation fills nothing: 李卫东's 4 unreported working days stay 未填报, 15 present, 未达标."""
    attendance.month_confirm(township=july["town_a"], month=JULY, by=july["people"]["town_a"])
    table = reports.monthly_attendance_report(july["town_a"], JULY, today=TODAY)
    assert table.rows[0][4:] == [22, 13, 2, 3, 1, 4, "未达标", "已确认"]
    assert table.rows[1][4:] == [22, 23, 0, 0, 0, 0, "已达标", "已确认"]
    assert table.totals[4:] == [44, 36, 2, 3, 1, 4, "已达标 1 人", "已确认 2 / 2"]


def test_a_cadre_who_entered_nothing_is_not_met_on_the_confirmed_report_r_m1(july):
    """R-M1: 王秀英 recorded one absence in July; the other 22 working days are unreported, not in the village."""
    attendance.month_confirm(township=july["town_b"], month=JULY, by=july["people"]["town_b"])
    table = reports.monthly_attendance_report(july["town_b"], JULY, today=TODAY)
    assert table.rows[0][1] == "王秀英"
    assert table.rows[0][4:] == [22, 0, 0, 0, 1, 22, "未达标", "已确认"]
    assert table.totals[-2] == "已达标 0 人"


def test_days_the_township_states_in_the_village_count_on_the_report_r_m1(july):
    """R-M1: after the township's explicit statement the 4 days are 在村 (17 + 2 present), no longer unreported."""
    attendance.month_fill_unreported(
        township=july["town_a"],
        month=JULY,
        status=DayStatus.IN_VILLAGE,
        dispatches=[july["d_a"]],
        by=july["people"]["town_a"],
    )
    attendance.month_confirm(township=july["town_a"], month=JULY, by=july["people"]["town_a"])
    table = reports.monthly_attendance_report(july["town_a"], JULY, today=TODAY)
    assert table.rows[0][4:] == [22, 17, 2, 3, 1, 0, "未达标", "已确认"]


def test_r_m1_report_of_a_month_without_cadres_has_an_empty_totals_row(july):
    table = reports.monthly_attendance_report(july["town_a"], D(2026, 1, 1), today=TODAY)
    assert table.rows == []
    assert table.totals == ["合计", "0 人", "", "", 0, 0, 0, 0, 0, 0, "已达标 0 人", "已确认 0 / 0"]


# --- The page and its downloads (R-M1, R-O4) ---------------------------------------------------------------


def test_r_m1_township_page_previews_last_month_with_its_downloads(client, july):
    client.force_login(july["people"]["town_a"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["month"] == JULY and response.context["township"] == july["town_a"]
    page = response.content.decode()
    assert page.count('data-testid="report-row"') == 2 and 'data-testid="report-totals"' in page
    for text in (
        "菜园镇驻村干部2026年7月在村情况统计表",
        "李卫东",
        "赵普通",
        "已达标 1 人",
        "format=xlsx",
        "format=pdf",
    ):
        assert text in page, text
    assert "王秀英" not in page
    assert list(response.context["form"].fields["township"].queryset) == [july["town_a"]]


def test_r_m1_xlsx_has_the_headers_one_row_per_cadre_and_the_totals_row(client, july):
    client.force_login(july["people"]["town_a"])
    response = client.get(URL, {"township": july["town_a"].pk, "month": "2026-07", "format": "xlsx"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert [r[1] for r in rows[1:3]] == ["李卫东", "赵普通"]
    assert rows[3] == ["合计", "2 人", None, None, 44, 36, 2, 3, 1, 4, "已达标 1 人", "已确认 0 / 2"]
    assert sheet.cell(row=4, column=1).font.bold
    assert "在村天数" in rows[-1][0]  # the note under the table
    assert sum(1 for r in rows if any(v is not None for v in r)) == 5


@pytest.mark.cjk_font
def test_r_m1_pdf_names_the_township_and_its_cadres_with_page_numbers_and_signature(client, july):
    client.force_login(july["people"]["org"])
    response = client.get(URL, {"township": july["town_a"].pk, "month": "2026-07", "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = "".join(page.extract_text() for page in pages).replace("\x00", "")
    for expected in (
        "菜园镇驻村干部2026年7月在村情况统计表",
        "汤阴县",
        "李卫东",
        "赵普通",
        "合计",
        "已确认 0 / 2",
        "打印日期:2026年8月5日",
        "第 1 页 共 1 页",
        "填报单位(盖章):",
        "负责人:",
        "填报人:",
        "填报日期:",
    ):
        assert expected in text, expected
    assert "王秀英" not in text


@pytest.mark.cjk_font
def test_r_m1_a_long_report_repeats_its_header_row_on_every_page(july):
    from workflows.pdf_tables import table_pdf

    table = reports.monthly_attendance_report(july["town_a"], JULY, today=TODAY)
    table.rows = [[n, f"干部{n:03d}", *row[2:]] for n in range(1, 61) for row in table.rows[:1]]
    content = table_pdf(table, subtitle="汤阴县 · 菜园镇", printed_on=TODAY, widths=reports.PDF_WIDTHS)
    texts = [page.extract_text().replace("\x00", "") for page in PdfReader(io.BytesIO(content)).pages]
    assert len(texts) >= 2
    for number, text in enumerate(texts, start=1):
        assert "乡镇确认状态" in text and f"第 {number} 页 共 {len(texts)} 页" in text
    assert "干部060" in texts[-1] and "合计" in texts[-1] and "填报单位(盖章):" in texts[-1]


def test_r_m1_pdf_without_a_chinese_font_says_so_on_the_page(client, july, settings):
    from appraisal import pdf

    settings.PDF_FONT_PATH = "/nonexistent"
    pdf.chinese_font.cache_clear()
    try:
        client.force_login(july["people"]["town_a"])
        response = client.get(URL, {"month": "2026-07", "format": "pdf"})
        assert response.status_code == 503
        assert "中文字体" in response.content.decode()
    finally:
        pdf.chinese_font.cache_clear()


# --- Who reports on which township (R-O4) ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["", "xlsx", "pdf"])
def test_r_o4_a_township_cannot_get_another_townships_report(client, july, fmt):
    client.force_login(july["people"]["town_b"])
    response = client.get(URL, {"township": july["town_a"].pk, "month": "2026-07", "format": fmt})
    assert response.status_code == 403


def test_r_o4_a_township_gets_its_own_report_by_default(client, july):
    client.force_login(july["people"]["town_b"])
    response = client.get(URL, {"month": "2026-07", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [r[1] for r in sheet.iter_rows(min_row=2, max_row=2, values_only=True)] == ["王秀英"]


@pytest.mark.parametrize("role", ["org", "auditor"])
def test_r_o4_org_dept_and_auditor_report_on_any_township_of_their_county(client, july, role):
    client.force_login(july["people"][role])
    for township in (july["town_a"], july["town_b"]):
        response = client.get(URL, {"township": township.pk, "month": "2026-07"})
        assert response.status_code == 200
        assert response.context["township"] == township
    assert set(response.context["form"].fields["township"].queryset) == {july["town_a"], july["town_b"]}


def test_r_o4_another_countys_org_dept_is_refused(client, july):
    other = UserFactory(username="org_elsewhere")
    appoint(other, Role.ORG_DEPT, CountyFactory(code="410526", name="滑县"))
    client.force_login(other)
    assert client.get(URL, {"township": july["town_a"].pk, "format": "xlsx"}).status_code == 403


@pytest.mark.parametrize("role", ["head_a", "deputy_a", "cadre_a", "outsider"])
def test_r_o4_units_cadres_and_people_without_a_post_are_refused(client, july, role):
    """A unit's cadres are spread over many townships; the report is the township's filing, not the unit's."""
    client.force_login(july["people"][role])
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"township": july["town_a"].pk, "format": "xlsx"}).status_code == 403


def test_r_o4_anonymous_is_sent_to_log_in(client, july):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response.url
