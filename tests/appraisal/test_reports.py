"""A round's year-end appraisal report: hand-computed rows and totals, the xlsx, the PDF, by tier (R-A2, R-O4)."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from appraisal import reports, services
from appraisal.models import Appraisal, AppraisalState, Grade
from dispatch.models import Pairing
from leave.models import DayStatus
from tests.appraisal.conftest import STATIONED_ON, score_both
from tests.dispatch.test_team import stationed
from tests.factories import CadreFactory, CountyFactory, UserFactory, VillageFactory, appoint
from tests.leave import record
from workflows.models import Role

HEADERS = [
    "序号",
    "姓名",
    "派出单位",
    "乡镇",
    "驻点村",
    "驻村起止",
    "乡镇评分",
    "单位评分",
    "群众评议得分",
    "票数(优/称/基/不)",
    "无故缺勤(天)",
    "综合得分",
    "拟定等次",
    "审定等次",
    "备注(理由)",
]
TERM = "2025-03-05至2026-03-04"
PLAIN_NO_VOTES = "村民外出务工,未能召开评议会"
B_NO_VOTES = "村两委换届期间未组织评议"


@pytest.fixture
def graded(stationed_world):
    """A round of four cadres, with the figures worked out by hand (weights 40/30/30, votes worth 100/80/60/0).

    李卫东 (菜园镇 东官庄村): scored 96 and 94; 38 valid paper votes 20/15/2/1 give the villagers
      (2000 + 1200 + 120 + 0) / 38 = 87.37; combined (96·40 + 94·30 + 87.37·30) / 100 = 92.81, excellent, but one
      unexcused absence caps it at 称职, as finalised.
    赵普通 (菜园镇 西官庄村): never scored; still open when the vote closes, no votes, with the org dept's reason.
    王秀英 (宜沟镇 西街村): scored 80 and 70, no votes (a reason given when the vote closed):
      (80·40 + 70·30) / 70 = 75.71, 称职 proposed; finalised
      基本称职 with a reason.
    钱多多 (宜沟镇 北街村): taken out of the round: not in the report.
    """
    w = dict(stationed_world)
    Pairing.objects.create(unit=w["unit_a"], village=w["village_a2"], year=STATIONED_ON.year)
    w["dispatch_plain"] = stationed(w["plain_a"], w["village_a2"], on=STATIONED_ON)
    village_b2 = VillageFactory(township=w["town_b"], name="北街村")
    Pairing.objects.create(unit=w["unit_b"], village=village_b2, year=STATIONED_ON.year)
    cadre = CadreFactory(unit=w["unit_b"], user=UserFactory(username="qian", name="钱多多"))
    w["dispatch_qian"] = stationed(cadre, village_b2, on=STATIONED_ON)
    record(w["dispatch_a"], datetime.date(2025, 6, 10), datetime.date(2025, 6, 10), DayStatus.ABSENT)
    org = w["people"]["org"]
    w["round"] = services.round_open(
        county=w["county"],
        title="2026年度驻村干部考评",
        year=2026,
        term_ends_from=datetime.date(2026, 1, 1),
        term_ends_to=datetime.date(2026, 12, 31),
        by=org,
    )
    a, plain, b, qian = (
        Appraisal.objects.get(round=w["round"], dispatch=w[key])
        for key in ("dispatch_a", "dispatch_plain", "dispatch_b", "dispatch_qian")
    )
    score_both(w, a, township=96, unit=94)
    services.paper_session_enter(
        appraisal=a,
        held_on=datetime.date(2026, 2, 20),
        excellent=20,
        competent=15,
        basically_competent=2,
        incompetent=1,
        invalid=2,
        ballots_collected=40,
        by=w["people"]["town_a"],
    )
    score_both(w, b, township=80, unit=70)
    services.appraisal_cancel(appraisal=qian, reason="调回原单位", by=org)
    services.round_close(round_=w["round"], by=org, no_votes_reasons={plain.pk: PLAIN_NO_VOTES, b.pk: B_NO_VOTES})
    a, b = Appraisal.objects.get(pk=a.pk), Appraisal.objects.get(pk=b.pk)
    services.appraisal_finalise(appraisal=a, grade=Grade.COMPETENT, by=org)
    services.appraisal_finalise(appraisal=b, grade=Grade.BASICALLY_COMPETENT, reason="群众反映较多", by=org)
    w["appraisal_a"], w["appraisal_plain"], w["appraisal_b"] = a, plain, b
    w["url"] = reverse("appraisal:round_report", args=[w["round"].pk])
    return w


ROW_A = [
    1,
    "李卫东",
    "县农业农村局",
    "菜园镇",
    "东官庄村",
    TERM,
    96,
    94,
    Decimal("87.37"),
    "20/15/2/1",
    1,
    Decimal("92.81"),
    "称职",
    "称职",
    "无故缺勤 1 天,等次最高为「称职」。",
]
ROW_PLAIN = [
    "赵普通",
    "县农业农村局",
    "菜园镇",
    "西官庄村",
    TERM,
    None,
    None,
    None,
    "",
    None,
    None,
    "",
    "",
    f"评分、评议中。无村民评议票,原因:{PLAIN_NO_VOTES}。",
]
ROW_B = [
    "王秀英",
    "县教育局",
    "宜沟镇",
    "西街村",
    TERM,
    80,
    70,
    None,
    "0/0/0/0",
    0,
    Decimal("75.71"),
    "称职",
    "基本称职",
    f"无村民评议票,原因:{B_NO_VOTES}。没有村民评议票,综合得分按乡镇和单位评分的权重折算。改变等次的理由:群众反映较多。",
]


def test_r_a2_report_has_one_row_per_appraisal_in_force_and_hand_computed_totals(graded):
    table = reports.round_report(graded["round"])
    assert [c.header for c in table.columns] == HEADERS
    assert table.title == "2026年度驻村干部考评结果汇总表"
    assert table.rows == [ROW_A, [2, *ROW_PLAIN], [3, *ROW_B]]
    assert table.totals == [
        "合计",
        "3 人",
        "",
        "",
        "",
        "",
        Decimal("88.00"),
        Decimal("82.00"),
        Decimal("87.37"),
        "20/15/2/1",
        1,
        Decimal("84.26"),
        "优秀0 称职2 基本称职0 不称职0",
        "优秀0 称职1 基本称职1 不称职0",
        "评分为平均分;票数、缺勤为合计;等次为各等次人数",
    ]
    assert "钱多多" not in str(table.rows)
    assert reports.round_subtitle(graded["round"]) == "汤阴县 · 2026年度驻村干部考评 · 期满日期:2026-01-01至2026-12-31"


def test_r_a2_a_reopened_grade_leaves_the_final_column_until_it_is_finalised_again(graded):
    services.appraisal_reopen(appraisal=graded["appraisal_a"], reason="复核缺勤记录", by=graded["people"]["org"])
    row = reports.round_report(graded["round"]).rows[0]
    assert row[12:] == ["称职", "", "已拟定等次,待组织部审定。无故缺勤 1 天,等次最高为「称职」。"]


# --- The page and its downloads (R-A2, R-O4) -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["org", "auditor"])
def test_r_a2_county_readers_preview_the_whole_round_with_its_downloads(client, graded, role):
    client.force_login(graded["people"][role])
    response = client.get(graded["url"])
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="report-row"') == 3 and 'data-testid="report-totals"' in page
    for text in (
        "2026年度驻村干部考评结果汇总表",
        "李卫东",
        "赵普通",
        "王秀英",
        "84.26",
        "format=xlsx",
        "format=pdf",
        reverse("leave:attendance_report"),
    ):
        assert text in page, text
    assert "钱多多" not in page and 'data-testid="scope"' not in page


def test_r_a2_xlsx_has_the_headers_one_row_per_cadre_and_the_totals_row(client, graded):
    client.force_login(graded["people"]["org"])
    response = client.get(graded["url"], {"format": "xlsx"})
    assert response.status_code == 200 and ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert [r[1] for r in rows[1:4]] == ["李卫东", "赵普通", "王秀英"]
    assert rows[1][6:12] == [96, 94, 87.37, "20/15/2/1", 1, 92.81]
    totals = rows[4]
    assert totals[:2] == ["合计", "3 人"] and totals[6:12] == [88, 82, 87.37, "20/15/2/1", 1, 84.26]
    assert totals[12:14] == ["优秀0 称职2 基本称职0 不称职0", "优秀0 称职1 基本称职1 不称职0"]
    assert sheet.cell(row=5, column=1).font.bold
    assert sum(1 for r in rows if any(v is not None for v in r)) == 6  # header, 3 cadres, totals, note


def test_r_a1_page_and_xlsx_show_why_a_village_gave_no_votes(client, graded):
    client.force_login(graded["people"]["org"])
    page = client.get(graded["url"]).content.decode()
    assert f"无村民评议票,原因:{PLAIN_NO_VOTES}" in page and f"无村民评议票,原因:{B_NO_VOTES}" in page
    sheet = load_workbook(io.BytesIO(client.get(graded["url"], {"format": "xlsx"}).content)).active
    remarks = {row[1]: row[14] for row in sheet.iter_rows(min_row=2, max_row=4, values_only=True)}
    assert PLAIN_NO_VOTES in remarks["赵普通"] and B_NO_VOTES in remarks["王秀英"]
    assert "无村民评议票" not in remarks["李卫东"]


@pytest.mark.cjk_font
def test_r_a2_pdf_names_the_round_its_townships_and_cadres_and_why_a_village_gave_no_votes_r_a1(client, graded):
    client.force_login(graded["people"]["auditor"])
    response = client.get(graded["url"], {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).replace("\x00", "")
    for expected in (
        "2026年度驻村干部考评结果汇总表",
        "汤阴县",
        "菜园镇",
        "宜沟镇",
        "李卫东",
        "王秀英",
        "84.26",
        "第 1 页 共 1 页",
        "填报单位(盖章):",
    ):
        assert expected in text, expected
    # The remarks column wraps: the reason is read with the line breaks taken out.
    assert B_NO_VOTES in re.sub(r"\s", "", text)
    assert "钱多多" not in text


# --- Who reports on which cadres (R-O4) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "names"),
    [
        ("town_a", ["李卫东", "赵普通"]),
        ("town_b", ["王秀英"]),
        ("head_a", ["李卫东", "赵普通"]),
        ("head_b", ["王秀英"]),
    ],
)
def test_r_o4_townships_and_units_get_only_their_own_cadres_rows(client, graded, role, names):
    client.force_login(graded["people"][role])
    response = client.get(graded["url"])
    assert response.status_code == 200 and 'data-testid="scope"' in response.content.decode()
    sheet = load_workbook(io.BytesIO(client.get(graded["url"], {"format": "xlsx"}).content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows[: len(names)]] == names
    assert rows[len(names)][:2] == ("合计", f"{len(names)} 人")


def test_r_o4_township_b_cannot_read_township_as_rows_in_any_format(client, graded):
    client.force_login(graded["people"]["town_b"])
    for fmt in ("", "xlsx"):
        content = client.get(graded["url"], {"format": fmt}).content
        sheet_or_page = (
            content.decode(errors="ignore")
            if not fmt
            else str([r for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)])
        )
        assert "李卫东" not in sheet_or_page and "赵普通" not in sheet_or_page


@pytest.mark.parametrize("role", ["cadre_a", "outsider"])
def test_r_o4_people_without_a_post_are_refused(client, graded, role):
    client.force_login(graded["people"][role])
    for fmt in ("", "xlsx", "pdf"):
        assert client.get(graded["url"], {"format": fmt}).status_code == 403


def test_r_o4_another_countys_org_dept_and_townships_are_refused(client, graded):
    other = UserFactory(username="org_elsewhere")
    appoint(other, Role.ORG_DEPT, CountyFactory(code="410526", name="滑县"))
    client.force_login(other)
    assert client.get(graded["url"], {"format": "xlsx"}).status_code == 403


def test_r_o4_a_round_that_does_not_exist_is_404(client, graded):
    client.force_login(graded["people"]["org"])
    assert client.get(reverse("appraisal:round_report", args=[graded["round"].pk + 99])).status_code == 404


def test_r_a2_cancelled_appraisals_stay_out_even_when_all_are_cancelled(graded):
    org = graded["people"]["org"]
    services.appraisal_cancel(appraisal=graded["appraisal_plain"], reason="误列", by=org)
    table = reports.round_report(graded["round"])
    assert [r[1] for r in table.rows] == ["李卫东", "王秀英"]
    assert Appraisal.objects.filter(round=graded["round"], state=AppraisalState.CANCELLED).count() == 2
