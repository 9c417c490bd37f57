"""The export links in a browser: a click saves the page's rows as a named xlsx or CSV file (R-O4, R-M2a)."""

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.browser.conftest import log_in, screenshot
from tests.leave import attendance_world

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"


def test_a_township_saves_its_month_grid_as_excel_and_csv_from_the_page(page, transactional_db, world):
    attendance_world(world)
    log_in(page, "town_a", PASSWORD)
    page.goto(f"{page.base_url}{reverse('leave:grid')}?month=2026-10")
    links = page.locator("[data-testid=export-links]")
    assert links.inner_text().split() == ["导出", "Excel", "导出", "CSV"]
    screenshot(page, "exports-1-grid-links")

    with page.expect_download() as download:
        links.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename == "驻村干部月度考勤-菜园镇-2026-10.xlsx"
    with open(download.value.path(), "rb") as f:  # saved without an extension, which openpyxl would refuse
        sheet = load_workbook(f).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, max_row=3, values_only=True)] == ["李卫东", "赵普通"]

    with page.expect_download() as download:
        links.get_by_role("link", name="导出 CSV").click()
    assert download.value.suggested_filename == "驻村干部月度考勤-菜园镇-2026-10.csv"
    with open(download.value.path(), encoding="utf-8-sig") as f:
        assert "王秀英" not in f.read()  # 宜沟镇's cadre


def test_the_org_lists_carry_the_links_in_their_header(page, transactional_db, world):
    log_in(page, "org", PASSWORD)
    page.goto(f"{page.base_url}/org/village/")
    links = page.locator("[data-testid=export-links]")
    assert links.is_visible()
    screenshot(page, "exports-2-village-list-links")
    with page.expect_download() as download:
        links.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.startswith("行政村-")
