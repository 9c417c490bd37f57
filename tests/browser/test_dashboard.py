"""The org dept's dashboard in a browser: charts drawn by the vendored Chart.js, a figure opens its list (R-S6, R-M1,
R-M2, R-A2)."""

import pytest
from django.urls import reverse

from tests.browser.conftest import ARTIFACTS, log_in, screenshot
from tests.leave import freeze
from tests.overview.test_dashboard import (
    TODAY,
    add_attendance,
    add_last_year_round,
    add_leave,
    add_quotas,
    add_round,
    add_visits,
    county_world,
    grow,
)

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"
CHARTS = ["chart-coverage", "chart-compliance", "chart-trend", "chart-grades"]

#: How many pixels of a canvas Chart.js painted: zero for a chart that was never drawn.
PAINTED = """id => {
  const canvas = document.getElementById(id);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { painted += 1; } }
  return painted;
}"""


def _charts_drawn(page) -> None:
    page.wait_for_function("ids => window.Chart && ids.every(id => Chart.getChart(id))", arg=CHARTS)
    for chart_id in CHARTS:
        assert page.evaluate(PAINTED, chart_id) > 1000, chart_id


def test_the_org_dept_reads_the_dashboard_and_opens_the_list_behind_a_figure(
    page, transactional_db, world, monkeypatch
):
    freeze(monkeypatch, TODAY)
    w = county_world(world)
    add_quotas(w)
    add_attendance(w)
    add_leave(w)
    add_visits(w)
    grow(w, 3)
    add_last_year_round(w)
    add_round(w)

    # From the home page's link, through the site's in-page navigation: the charts still draw.
    log_in(page, "org", PASSWORD)
    page.get_by_test_id("dashboard-link").click()
    page.wait_for_load_state("networkidle")
    _charts_drawn(page)
    assert "汤阴县 · 驻村蹲点工作总览" in page.inner_text("main")
    assert page.evaluate("() => Chart.getChart('chart-coverage').data.labels") == [
        "菜园镇",
        "宜沟镇",
        "新增镇1",
        "新增镇2",
        "新增镇3",
    ]
    assert page.evaluate("() => Chart.getChart('chart-trend').data.datasets[0].data.length") == 6
    grades = page.evaluate("() => Chart.getChart('chart-grades').data.datasets.map(d => [d.label, d.data])")
    assert grades[:2] == [["优秀", [0, 1]], ["称职", [0, 2]]] and grades[-1] == ["未审定", [12, 1]]
    screenshot(page, "dashboard-1-org-dept")
    for section in ("summary", "coverage", "quotas", "attendance", "leave", "visits", "appraisal"):
        page.get_by_test_id(section).screenshot(path=str(ARTIFACTS / f"dashboard-{section}.png"))

    # A figure is a link to the list behind it: 宜沟镇's open leave opens that township's leave list.
    page.get_by_test_id("leave").locator("tr", has_text="宜沟镇").get_by_role("link").first.click()
    page.wait_for_url(f"**{reverse('leave:leave_list')}?township={w['town_b'].pk}")
    page.wait_for_load_state("networkidle")
    assert "宜沟镇" in page.inner_text("main")
    screenshot(page, "dashboard-2-leave-list")

    # The month compliance figure opens the compliance page of that month.
    page.go_back()
    page.wait_for_load_state("networkidle")
    page.get_by_test_id("tile-compliance").click()
    page.wait_for_url(f"**{reverse('leave:compliance')}?month=2026-07")
    page.wait_for_load_state("networkidle")
    assert "2026年7月" in page.inner_text("main")


def test_the_dashboard_reads_without_javascript(page, browser, live_server, transactional_db, world, monkeypatch):
    """Every chart's numbers are in a table beside it: the page says everything with scripts off."""
    freeze(monkeypatch, TODAY)
    w = county_world(world)
    add_attendance(w)
    log_in(page, "auditor", PASSWORD)  # the sign-in form itself needs scripts; the dashboard does not
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860}, java_script_enabled=False)
    context.add_cookies(page.context.cookies())
    plain = context.new_page()
    plain.goto(f"{live_server.url}{reverse('dashboard:index')}?month=2026-07")
    assert "33.3%" in plain.inner_text("[data-testid=coverage-townships]")
    assert "66.7%" in plain.inner_text("[data-testid=compliance-months]")
    assert "各乡镇重点村覆盖率见旁边的表格。" in plain.inner_text("#chart-coverage")
    context.close()
