"""The auditor reviews the trail in the browser: chain banner, a filter by action, a dispatch's timeline (R-X1)."""

import datetime

import pytest

from leave.services import leave as leaves
from tests.browser.conftest import log_in, screenshot
from tests.dispatch.test_team import stationed
from workflows.audit import audit_record

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"


def test_r_x1_auditor_filters_by_action_and_opens_a_dispatchs_timeline(page, transactional_db, world):
    p = world["people"]
    dispatch = stationed(world["cadre_a"], world["village_a"])
    leaves.leave_request(
        dispatch=dispatch,
        starts_on=datetime.date(2026, 12, 2),
        ends_on=datetime.date(2026, 12, 3),
        reason="家中老人住院,需陪护",
        by=p["cadre_a"],
    )
    audit_record(
        action="dispatch.approve.refused",
        actor=p["head_b"],
        obj=dispatch,
        reason="越权操作被拒绝",
        data={"perm": "approve_nominations"},
    )

    log_in(page, "auditor", PASSWORD)
    page.get_by_test_id("audit-review-link").click()
    page.wait_for_load_state("networkidle")
    banner = page.get_by_test_id("chain-banner")
    assert banner.get_attribute("data-chain") == "ok" and "哈希链校验通过" in banner.inner_text()
    screenshot(page, "audit-1-review")

    page.select_option("select[name=action]", "dispatch.station")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("[data-testid=audit-events] tr[data-seq]")
    assert rows.count() == 1 and rows.first.get_attribute("data-action") == "dispatch.station"
    assert "到村驻点" in rows.first.inner_text() and "action=dispatch.station" in page.url
    screenshot(page, "audit-2-filtered")

    rows.first.get_by_test_id("object-link").click()
    page.wait_for_load_state("networkidle")
    timeline = page.get_by_test_id("timeline")
    text = timeline.inner_text()
    for label in ("推荐驻村干部", "单位主要领导同意选派", "到村驻点", "家中老人住院", "越权操作被拒绝"):
        assert label in text, label
    assert "李卫东" in page.get_by_test_id("timeline-title").inner_text()
    screenshot(page, "audit-3-timeline")
