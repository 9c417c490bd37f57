"""The org dept's dashboard: each panel's figures by hand, who may open it, links, charts, and its query count.

Rule ids: R-S5 (quotas, sanctions), R-S6 (coverage), R-M1 (compliance, at risk), R-M2 (leave), R-M3 (absences),
R-M5 (visits), R-A2 (appraisal progress and grades), R-O4 (who reads the page).
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal import services as appraisal_services
from appraisal.models import Grade
from dispatch import services as dispatch_services
from dispatch.models import Pairing
from leave.calendar import days_between
from leave.ledger import ledger_write
from leave.models import DaySource, DayStatus, LeaveRequest, LeaveState
from leave.services import oversight
from overview import dashboard
from tests.appraisal import conftest as appraisal_fixtures
from tests.appraisal.conftest import close_vote, score_both
from tests.dispatch.test_team import stationed
from tests.factories import (
    CadreFactory,
    TownshipFactory,
    UnitFactory,
    UserFactory,
    VillageFactory,
    VillageIncomeFactory,
    appoint,
)
from tests.leave import approved_leave, attendance_world, freeze, record
from workflows.models import County, Role, VillageCategory

D = datetime.date
TODAY = D(2026, 7, 15)
JULY = D(2026, 7, 1)
URL = reverse("dashboard:index")

# The appraisal tests' cadres stationed in 2025 and their open round.
stationed_world = appraisal_fixtures.stationed_world
round_world = appraisal_fixtures.round_world


# --- The small county, by hand ---------------------------------------------------------------------


def county_world(world: dict) -> dict:
    """world with three cadres stationed from 2026-03-05 (d_a, d_plain in 菜园镇; d_b in 宜沟镇) and:

    菜园镇: 东官庄村 weak leadership (covered by d_a), 西官庄村 own income 10,000 (economically weak, covered by
    d_plain), 南关村 old revolutionary (not covered).
    宜沟镇: 西街村 election-difficult (covered by d_b), 石佛村 own income 0 and ethnic-minority (not covered,
    not paired), 北关村 weak leadership (not covered; unit_b has nominated a cadre for it).
    """
    w = attendance_world(world)
    county = w["county"]
    type(w["village_a"]).objects.filter(pk=w["village_a"].pk).update(is_weak_leadership=True)
    type(w["village_b"]).objects.filter(pk=w["village_b"].pk).update(is_election_difficult=True)
    VillageIncomeFactory(village=w["village_a2"], year=2025, total_income=30000, subsidies=20000)
    w["village_a3"] = VillageFactory(township=w["town_a"], name="南关村", is_old_revolutionary=True)
    w["village_b2"] = VillageFactory(township=w["town_b"], name="石佛村", is_ethnic_minority=True)
    VillageIncomeFactory(village=w["village_b2"], year=2025, total_income=5000, subsidies=5000)
    w["village_b3"] = VillageFactory(township=w["town_b"], name="北关村", is_weak_leadership=True)
    Pairing.objects.create(unit=w["unit_b"], village=w["village_b3"], year=2026)
    w["cadre_b2"] = CadreFactory(unit=w["unit_b"], user=UserFactory(username="cadre_b2", name="刘新华"))
    w["d_b2"] = dispatch_services.dispatch_nominate(
        cadre=w["cadre_b2"], village=w["village_b3"], by=w["people"]["head_b"], year=2026
    )
    w["unit_c"] = UnitFactory(county=county, name="县卫健委")
    return w


@pytest.fixture
def cw(world, monkeypatch):
    freeze(monkeypatch, TODAY)
    return county_world(world)


def add_quotas(w: dict) -> None:
    """unit_a: 3 cadres by 2026-06-30 (sent 2: sanctioned on enforcement); unit_b: 1 by 2026-12-31 (sent 1)."""
    org = w["people"]["org"]
    dispatch_services.quota_set(
        unit=w["unit_a"], year=2026, cadres=3, deadline=D(2026, 6, 30), by=org, confirm_past_deadline=True
    )
    dispatch_services.quota_set(unit=w["unit_b"], year=2026, cadres=1, deadline=D(2026, 12, 31), by=org)
    dispatch_services.quota_enforce(on=TODAY, by=org, county=w["county"])


def fill_term_to_today(dispatch) -> None:
    """Record every day from stationing to TODAY: working days in the village, rest days 休息."""
    statuses = {
        d.date: DayStatus.IN_VILLAGE if d.is_workday else DayStatus.HOLIDAY
        for d in days_between(dispatch.stationed_on, TODAY, dispatch.unit.county_id)
    }
    with transaction.atomic():
        ledger_write(dispatch=dispatch, statuses=statuses, source=DaySource.CADRE, by=None)


def add_attendance(w: dict) -> None:
    """Every cadre's term recorded to TODAY; d_a absent on 1 and 2 July (at risk in July); d_b absent on 1 June
    (June missed: 21 working days)."""
    for dispatch in (w["d_a"], w["d_plain"], w["d_b"]):
        fill_term_to_today(dispatch)
    record(w["d_a"], D(2026, 7, 1), D(2026, 7, 2), DayStatus.ABSENT)
    record(w["d_b"], D(2026, 6, 1), D(2026, 6, 1), DayStatus.ABSENT)


def _leave(dispatch, start, end, days, state) -> LeaveRequest:
    return LeaveRequest.objects.create(
        dispatch=dispatch, starts_on=start, ends_on=end, days=days, reason="家中有事", state=state
    )


def add_leave(w: dict) -> None:
    """July: d_a approved 20–24 (5 days in the ledger), d_plain requested 27–28; d_b withdrawn and rejected.
    Elsewhere: d_a closed in June; d_b reviewed for August, waiting for the org dept."""
    _leave(w["d_a"], D(2026, 7, 20), D(2026, 7, 24), 5, LeaveState.APPROVED)
    approved_leave(w["d_a"], D(2026, 7, 20), D(2026, 7, 24))
    _leave(w["d_plain"], D(2026, 7, 27), D(2026, 7, 28), 2, LeaveState.REQUESTED)
    _leave(w["d_a"], D(2026, 6, 8), D(2026, 6, 9), 2, LeaveState.CLOSED)
    _leave(w["d_b"], D(2026, 8, 3), D(2026, 8, 7), 5, LeaveState.REVIEWED)
    _leave(w["d_b"], D(2026, 7, 6), D(2026, 7, 7), 2, LeaveState.WITHDRAWN)
    _leave(w["d_b"], D(2026, 7, 8), D(2026, 7, 8), 1, LeaveState.REJECTED)


def add_visits(w: dict) -> None:
    """unit_a's deputy visited d_a on 2026-05-10; nobody visited d_plain or d_b."""
    oversight.visit_record(
        dispatch=w["d_a"],
        visitor=w["people"]["deputy_a"],
        visited_on=D(2026, 5, 10),
        notes="听取汇报,调研村集体经济",
        by=w["people"]["head_a"],
    )


def add_round(w: dict):
    """A round for the cadres whose term ends in 2027 (all three), nothing scored yet."""
    return appraisal_services.round_open(
        county=w["county"],
        title="2027年度驻村干部考评",
        year=2027,
        term_ends_from=D(2027, 1, 1),
        term_ends_to=D(2027, 12, 31),
        by=w["people"]["org"],
    )


def add_last_year_round(
    w: dict,
    grades: tuple[str, ...] = (Grade.EXCELLENT, Grade.COMPETENT, Grade.COMPETENT, Grade.BASICALLY_COMPETENT, ""),
) -> None:
    """Cadres stationed on 2025-03-05 in new villages, appraised in a round for 2026: one per grade given, finalised
    with it ("" leaves that one proposed, not finalised)."""
    org = w["people"]["org"]
    for n, _grade in enumerate(grades):
        unit, town = (w["unit_a"], w["town_a"]) if n % 2 == 0 else (w["unit_b"], w["town_b"])
        village = VillageFactory(township=town, name=f"去年派驻村{n + 1}")
        Pairing.objects.create(unit=unit, village=village, year=2025)
        cadre = CadreFactory(unit=unit, user=UserFactory(username=f"cadre_2025_{n}", name=f"往年干部{n + 1}"))
        stationed(cadre, village, on=D(2025, 3, 5))
    round_ = appraisal_services.round_open(
        county=w["county"],
        title="2026年度驻村干部考评",
        year=2026,
        term_ends_from=D(2026, 1, 1),
        term_ends_to=D(2026, 12, 31),
        by=org,
    )
    appraisals = list(round_.appraisals.order_by("dispatch__cadre__user__username"))
    for appraisal in appraisals:
        score_both(w, appraisal, township=85, unit=85)
    close_vote(round_, org)
    for appraisal, grade in zip(appraisals, grades, strict=True):
        if grade:
            appraisal_services.appraisal_finalise(
                appraisal=type(appraisal).objects.get(pk=appraisal.pk),
                grade=grade,
                by=org,
                reason="综合乡镇、单位评分和群众评议",
            )


# --- Coverage (R-S6) ------------------------------------------------------------------------------


def test_r_s6_coverage_per_township_counts_target_villages_with_a_stationed_cadre(cw):
    panel = dashboard.coverage_panel(cw["county"], 2026)
    rows = [
        (t.name, t.targets, t.covered, t.uncovered, t.share.percent, t.possible, t.possible_covered)
        for t in panel.townships
    ]
    assert rows == [("菜园镇", 2, 2, 0, 100.0, 1, 0), ("宜沟镇", 3, 1, 2, 33.3, 1, 0)]
    total = panel.total
    assert (total.targets, total.covered, total.uncovered, total.share.percent) == (5, 3, 2, 60.0)
    assert (total.possible, total.possible_covered, total.possible_share.percent) == (2, 0, 0.0)


def test_r_s6_coverage_per_category_counts_every_category_a_village_carries(cw):
    panel = dashboard.coverage_panel(cw["county"], 2026)
    by_category = {c.category: (c.villages, c.covered, c.share.percent, c.must_cover) for c in panel.categories}
    assert by_category == {
        VillageCategory.WEAK_LEADERSHIP: (2, 1, 50.0, True),
        VillageCategory.ECONOMICALLY_WEAK: (2, 1, 50.0, True),
        VillageCategory.EMPTY_SHELL: (1, 0, 0.0, True),
        VillageCategory.ELECTION_DIFFICULT: (1, 1, 100.0, True),
        VillageCategory.OLD_REVOLUTIONARY: (1, 0, 0.0, False),
        VillageCategory.ETHNIC_MINORITY: (1, 0, 0.0, False),
    }
    assert panel.villages == 6


def test_r_s6_the_uncovered_target_villages_are_named_with_categories_and_progress(cw):
    panel = dashboard.coverage_panel(cw["county"], 2026)
    assert [v.name for v in panel.uncovered] == ["石佛村", "北关村"]
    shifo, beiguan = panel.uncovered
    assert shifo.tags == [
        VillageCategory.ETHNIC_MINORITY,
        VillageCategory.ECONOMICALLY_WEAK,
        VillageCategory.EMPTY_SHELL,
    ]
    assert (shifo.paired, shifo.on_the_way) == (False, False)
    assert (beiguan.paired, beiguan.on_the_way) == (True, True)
    assert panel.more_uncovered == 0


def test_r_s6_another_year_counts_that_years_stationing(cw):
    panel = dashboard.coverage_panel(cw["county"], 2027)
    assert (panel.total.targets, panel.total.covered) == (5, 0)


# --- Quotas and sanctions (R-S5) ------------------------------------------------------------------


def test_r_s5_each_units_quota_progress_status_and_sanction(cw):
    add_quotas(cw)
    panel = dashboard.quota_panel(cw["county"], 2026, today=TODAY)
    rows = [(u.unit.name, u.cadres, u.sent, u.pending, u.share.percent, u.status) for u in panel.units]
    assert rows == [
        ("县农业农村局", 3, 2, 0, 66.7, "missed"),
        ("县教育局", 1, 1, 1, 100.0, "met"),
        ("县卫健委", 0, 0, 0, None, "none"),
    ]
    unit_a, unit_b, unit_c = panel.units
    assert (unit_a.sanction.starts_on, unit_a.sanction.ends_on) == (D(2026, 7, 1), D(2029, 6, 30))
    assert unit_b.sanction is None and unit_c.sanction is None
    assert (panel.with_quota, panel.met, panel.missed, panel.sanctioned) == (2, 1, 1, 1)
    assert (panel.cadres, panel.sent, panel.share.percent) == (4, 3, 75.0)


def test_r_s5_a_quota_before_its_deadline_is_in_progress_and_a_sanction_outlives_its_year(cw):
    add_quotas(cw)
    before = dashboard.quota_panel(cw["county"], 2026, today=D(2026, 6, 1))
    assert before.units[0].status == "open" and before.units[0].sanction is None
    next_year = dashboard.quota_panel(cw["county"], 2027, today=D(2027, 7, 1))
    assert [u.status for u in next_year.units] == ["none", "none", "none"]
    assert next_year.units[0].sanction.ends_on == D(2029, 6, 30) and next_year.sanctioned == 1


# --- Attendance (R-M1, R-M3) ----------------------------------------------------------------------


def test_r_m1_compliance_per_township_in_the_month(cw):
    add_attendance(cw)
    panel = dashboard.attendance_panel(cw["county"], JULY, today=TODAY)
    rows = [
        (t.township.name, t.totals.cadres, t.totals.at_risk, t.totals.missed, t.share.percent) for t in panel.townships
    ]
    assert rows == [("菜园镇", 2, 1, 0, 50.0), ("宜沟镇", 1, 0, 0, 100.0)]
    assert (panel.share.part, panel.share.whole, panel.share.percent) == (2, 3, 66.7)


def test_r_m1_compliance_trend_over_six_months_by_township_and_month(cw):
    add_attendance(cw)
    panel = dashboard.attendance_panel(cw["county"], JULY, today=TODAY)
    assert [m.month for m in panel.trend] == [D(2026, m, 1) for m in range(2, 8)]
    assert [m.label for m in panel.trend] == [f"2026年{m}月" for m in range(2, 8)]
    # February: nobody stationed yet. June: d_b's absence leaves 20 of June's 21 working days, so June is missed.
    assert [m.share.percent for m in panel.trend] == [None, 100.0, 100.0, 100.0, 66.7, 66.7]
    matrix = {t.name: [s.percent if s else None for s in shares] for t, shares in panel.by_township_and_month}
    assert matrix == {
        "菜园镇": [None, 100.0, 100.0, 100.0, 100.0, 50.0],
        "宜沟镇": [None, 100.0, 100.0, 100.0, 0.0, 100.0],
    }


def test_r_m1_the_cadres_at_risk_this_month_and_this_term_year(cw):
    add_attendance(cw)
    panel = dashboard.attendance_panel(cw["county"], JULY, today=TODAY)
    [at_risk] = panel.at_risk_month
    assert at_risk.dispatch == cw["d_a"]
    # Two absences: 9 working days present to today and 12 ahead, 21 within reach of the 22 asked.
    assert (at_risk.month.present, at_risk.month.possible, at_risk.month.target) == (9, 12, 22)
    assert panel.at_risk_year == []
    assert [c.dispatch for c in panel.at_risk] == [cw["d_a"]] and panel.more_at_risk == 0


def test_r_m3_absences_of_the_month_are_the_both_ends_flags(cw):
    add_attendance(cw)
    panel = dashboard.attendance_panel(cw["county"], JULY, today=TODAY)
    assert [(c.dispatch, c.absences) for c in panel.with_absences] == [(cw["d_a"], [D(2026, 7, 1), D(2026, 7, 2)])]
    assert panel.absences == 2
    assert [t.totals.absences for t in panel.townships] == [2, 0]
    june = dashboard.attendance_panel(cw["county"], D(2026, 6, 1), today=TODAY)
    assert [(c.dispatch, c.absences) for c in june.with_absences] == [(cw["d_b"], [D(2026, 6, 1)])]
    assert [c.dispatch for c in june.at_risk_month] == [cw["d_b"]]  # missed: the month has ended


def test_months_nobody_entered_are_0_percent_not_100_r_m1(cw):
    """R-M1: three cadres stationed since March, nothing recorded: every month of the trend is 0 %, not 100 %."""
    panel = dashboard.attendance_panel(cw["county"], JULY, today=TODAY)
    assert [m.share.percent for m in panel.trend] == [None, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert [t.share.percent for t in panel.townships] == [0.0, 0.0]
    june = dashboard.attendance_panel(cw["county"], D(2026, 6, 1), today=TODAY)
    assert {c.dispatch for c in june.at_risk_month} == {cw["d_a"], cw["d_plain"], cw["d_b"]}
    assert all(c.month.standing == "missed" and c.month.unrecorded == 21 for c in june.report.cadres)
    # The term-year: the 232 days after today cannot make 250 for a cadre with nothing recorded.
    assert {c.dispatch for c in panel.at_risk_year} == {cw["d_a"], cw["d_plain"], cw["d_b"]}


def test_the_dashboard_page_shows_0_percent_for_a_county_with_nothing_recorded_r_m1(client, cw):
    page = _page(client, cw)
    tile = re.search(r'data-testid="tile-compliance".*?<b>(.*?)</b>', page, re.S)
    assert tile and tile.group(1) == "0%"


# --- Leave (R-M2) ---------------------------------------------------------------------------------


def test_r_m2_leave_volume_and_open_requests_per_township(cw):
    add_leave(cw)
    attendance = dashboard.attendance_panel(cw["county"], JULY, today=TODAY)
    panel = dashboard.leave_panel(cw["county"], attendance)
    rows = [(t.township.name, t.requests, t.days, t.open, t.undecided, t.awaiting_org) for t in panel.townships]
    assert rows == [("菜园镇", 2, 5, 2, 1, 0), ("宜沟镇", 0, 0, 1, 1, 1)]
    total = panel.total
    assert (total.requests, total.days, total.open, total.undecided, total.awaiting_org) == (2, 5, 3, 2, 1)
    assert [(t.awaiting_township, t.awaiting_org) for t in panel.townships] == [(1, 0), (0, 1)]


def test_r_m2_leave_in_another_month(cw):
    add_leave(cw)
    june = dashboard.leave_panel(cw["county"], dashboard.attendance_panel(cw["county"], D(2026, 6, 1), today=TODAY))
    assert [(t.requests, t.days) for t in june.townships] == [(1, 0), (0, 0)]  # the closed June leave wrote no days


# --- Visits (R-M5) --------------------------------------------------------------------------------


def test_r_m5_missing_visits_per_unit_most_overdue_first(cw):
    add_visits(cw)
    panel = dashboard.visits_panel(cw["county"], today=D(2026, 9, 20))
    assert panel.stationed == 3
    assert [(f.row.dispatch, f.window.role, f.window.days_overdue) for f in panel.missing] == [
        (cw["d_plain"], "deputy", 16),
        (cw["d_b"], "deputy", 16),
    ]
    assert panel.due == []
    assert (panel.missing_head, panel.missing_deputy) == (0, 2)
    assert [(e["unit"], e["missing"], e["due"]) for e in panel.units] == [(cw["unit_a"], 1, 0), (cw["unit_b"], 1, 0)]


def test_r_m5_visits_due_before_the_term_ends(cw):
    add_visits(cw)
    panel = dashboard.visits_panel(cw["county"], today=D(2027, 2, 10))
    # Each cadre: the head's term window and the deputy's second half-year both close on 2027-03-04.
    assert len(panel.due) == 6 and {f.window.days_left for f in panel.due} == {22}
    assert len(panel.missing) == 2
    assert [(e["unit"], e["missing"], e["due"]) for e in panel.units] == [(cw["unit_a"], 1, 4), (cw["unit_b"], 1, 2)]


# --- Appraisal (R-A2) -----------------------------------------------------------------------------


def test_r_a2_round_progress_and_grade_distribution(round_world):
    w = round_world
    score_both(w, w["appraisal_a"], township=90, unit=90)
    score_both(w, w["appraisal_b"], township=70, unit=70)
    close_vote(w["round"], w["people"]["org"])
    appraisal_services.appraisal_finalise(
        appraisal=type(w["appraisal_a"]).objects.get(pk=w["appraisal_a"].pk),
        grade=Grade.COMPETENT,
        by=w["people"]["org"],
        reason="综合评定",
    )
    [summary] = dashboard.appraisal_panel(w["county"]).rounds
    assert summary.round == w["round"]
    total = summary.total
    assert (total.cadres, total.township_scored, total.unit_scored, total.proposed, total.finalised) == (2, 2, 2, 1, 1)
    assert [(g.label, g.n) for g in summary.grades] == [("优秀", 0), ("称职", 1), ("基本称职", 0), ("不称职", 0)]
    assert (summary.not_finalised, summary.share.percent) == (1, 50.0)


def test_r_a2_the_latest_rounds_come_first_and_no_round_is_an_empty_panel(round_world):
    w = round_world
    assert dashboard.appraisal_panel(County.objects.create(code="410599", name="空县")).rounds == []
    assert [r.round for r in dashboard.appraisal_panel(w["county"]).rounds] == [w["round"]]


# --- The page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["town_a", "head_a", "deputy_a", "cadre_a", "outsider"])
def test_r_o4_the_dashboard_is_refused_outside_the_county_tier(client, cw, who):
    client.force_login(cw["people"][who])
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("who", ["org", "auditor"])
def test_r_o4_the_org_dept_and_the_auditor_read_the_dashboard(client, cw, who):
    client.force_login(cw["people"][who])
    response = client.get(URL)
    assert response.status_code == 200
    assert "汤阴县 · 驻村蹲点工作总览" in response.content.decode()


def test_r_o4_anonymous_is_sent_to_sign_in_and_another_county_is_refused(client, cw):
    assert client.get(URL).status_code == 302
    other = County.objects.create(code="410522", name="安阳县")
    client.force_login(cw["people"]["org"])
    assert client.get(f"{URL}?county={other.pk}").status_code == 403
    assert client.get(f"{URL}?county={cw['county'].pk}").status_code == 200


def _page(client, w, query="?month=2026-07") -> str:
    client.force_login(w["people"]["org"])
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.content.decode()


def _charts(page: str) -> dict:
    match = re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_r_s6_r_m1_r_a2_the_charts_draw_the_numbers_in_the_tables(client, cw):
    add_attendance(cw)
    add_round(cw)
    charts = _charts(_page(client, cw))
    assert charts["coverage"] == {"labels": ["菜园镇", "宜沟镇"], "values": [100.0, 33.3], "label": "重点村覆盖率"}
    assert charts["compliance"]["labels"] == ["菜园镇", "宜沟镇"] and charts["compliance"]["values"] == [50.0, 100.0]
    assert charts["trend"]["labels"] == ["2026年2月", "2026年3月", "2026年4月", "2026年5月", "2026年6月", "2026年7月"]
    assert charts["trend"]["values"] == [None, 100.0, 100.0, 100.0, 66.7, 66.7]
    assert charts["grades"]["labels"] == ["2027年度驻村干部考评"]
    assert [(d["label"], d["data"]) for d in charts["grades"]["datasets"]] == [
        ("优秀", [0]),
        ("称职", [0]),
        ("基本称职", [0]),
        ("不称职", [0]),
        ("未审定", [3]),
    ]


def test_r_s6_r_m1_the_page_writes_percentages_and_months_the_chinese_way(client, cw):
    add_attendance(cw)
    page = _page(client, cw)
    assert "33.3%" in page and "66.7%" in page and "100%" in page and "100.0%" not in page
    assert "2026年7月" in page and "截至 2026年7月15日" in page


def test_every_figure_links_to_the_list_behind_it(client, cw):
    """R-S5, R-S6, R-M1, R-M2, R-M3, R-M5, R-A2: the lists behind the figures, with their filters."""
    add_quotas(cw)
    add_attendance(cw)
    add_leave(cw)
    round_ = add_round(cw)
    page = _page(client, cw)
    expected = [
        f"{reverse('dispatch:coverage')}?year=2026",
        f"{reverse('dispatch:pairings')}?year=2026",
        f"{reverse('dispatch:eligibility')}?unit={cw['unit_a'].pk}",
        f"{reverse('leave:compliance')}?month=2026-07",
        f"{reverse('leave:compliance')}?month=2026-02",
        f"{reverse('leave:grid')}?township={cw['town_a'].pk}&month=2026-07",
        f"{reverse('leave:calendar')}?dispatch={cw['d_a'].pk}&month=2026-07",
        f"{reverse('leave:leave_list')}?township={cw['town_b'].pk}",
        f"{reverse('leave:visits_overview')}?status=missing",
        reverse("appraisal:round_detail", args=[round_.pk]),
        f"{reverse('appraisal:round_appraisals', args=[round_.pk])}?state=finalised",
    ]
    for href in expected:
        assert f'href="{href}"' in page, href


def test_the_lists_behind_the_figures_open_for_the_org_dept_and_the_auditor(client, cw):
    add_quotas(cw)
    round_ = add_round(cw)
    for who in ("org", "auditor"):
        client.force_login(cw["people"][who])
        for url in (
            f"{reverse('dispatch:coverage')}?year=2026",
            f"{reverse('dispatch:pairings')}?year=2026",
            f"{reverse('leave:compliance')}?month=2026-07",
            f"{reverse('leave:leave_list')}?township={cw['town_b'].pk}",
            f"{reverse('leave:visits_overview')}?status=missing",
            reverse("appraisal:round_detail", args=[round_.pk]),
        ):
            assert client.get(url).status_code == 200, (who, url)


@pytest.mark.parametrize("who", ["org", "auditor"])
def test_the_home_page_links_to_the_dashboard(client, cw, who):
    client.force_login(cw["people"][who])
    assert f'href="{URL}"' in client.get(reverse("home:index")).content.decode()


# --- Queries, whatever the county's size ----------------------------------------------------------


def _queries(client, w) -> int:
    client.force_login(w["people"]["org"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL + "?month=2026-07").status_code == 200
    return len(ctx.captured_queries)


def grow(w: dict, n: int = 3) -> None:
    """n more townships, each with a committee, villages of every category and n cadres of a new unit stationed
    there; quotas, leave, absences and visits for them."""
    county, org = w["county"], w["people"]["org"]
    for i in range(n):
        town = TownshipFactory(county=county, name=f"新增镇{i + 1}")
        appoint(UserFactory(username=f"town_new_{i}", name=f"新增镇{i + 1}党委书记"), Role.TOWNSHIP_COMMITTEE, town)
        unit = UnitFactory(county=county, name=f"县新增局{i + 1}")
        appoint(UserFactory(username=f"head_new_{i}", name=f"新增局{i + 1}局长"), Role.UNIT_HEAD, unit)
        dispatch_services.quota_set(
            unit=unit, year=2026, cadres=n + 1, deadline=D(2026, 6, 30), by=org, confirm_past_deadline=True
        )
        for j in range(n):
            village = VillageFactory(
                township=town,
                name=f"新增村{i + 1}-{j + 1}",
                is_weak_leadership=j % 2 == 0,
                is_old_revolutionary=j % 3 == 0,
                is_ethnic_minority=j == 1,
            )
            VillageIncomeFactory(village=village, year=2025, total_income=20000 * j, subsidies=0)
            VillageFactory(township=town, name=f"未派村{i + 1}-{j + 1}", is_election_difficult=True)
            Pairing.objects.create(unit=unit, village=village, year=2026)
            cadre = CadreFactory(unit=unit, user=UserFactory(username=f"cadre_new_{i}_{j}", name=f"新干部{i}{j}"))
            dispatch = stationed(cadre, village, on=D(2026, 3, 5))
            record(dispatch, D(2026, 7, 1), D(2026, 7, 1 + j), DayStatus.ABSENT)
            _leave(dispatch, D(2026, 7, 20), D(2026, 7, 21), 2, LeaveState.REQUESTED)
            _leave(dispatch, D(2026, 8, 3), D(2026, 8, 7), 5, LeaveState.REVIEWED)
    dispatch_services.quota_enforce(on=TODAY, by=org, county=county)


def test_the_dashboard_runs_the_same_queries_for_a_small_and_a_larger_county(client, cw):
    add_quotas(cw)
    add_attendance(cw)
    add_leave(cw)
    add_visits(cw)
    add_round(cw)
    small = _queries(client, cw)
    grow(cw)
    assert _queries(client, cw) == small
    assert small <= 42  # 38 when written: the panels 33, who may read the page 3, the signed-in user and the menu 2
