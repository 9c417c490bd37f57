"""The township selects two leave requests on the bulk page and approves them at once (R-M2)."""

import datetime

import pytest
from django.urls import reverse

from leave.models import LeaveRequest, LeaveState
from leave.services import leave as leaves
from tests.browser.conftest import log_in, screenshot
from tests.dispatch.test_team import stationed
from workflows.models import AuditEvent

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"
D = datetime.date


def test_r_m2_the_township_approves_two_leave_requests_at_once(page, transactional_db, world):
    d_a = stationed(world["cadre_a"], world["village_a"])
    d_plain = stationed(world["plain_a"], world["village_a2"])
    requested = [
        leaves.leave_request(
            dispatch=d_a, starts_on=D(2026, 4, 7), ends_on=D(2026, 4, 8), reason="家中老人住院", by=d_a.cadre.user
        ),
        leaves.leave_request(
            dispatch=d_plain, starts_on=D(2026, 4, 14), ends_on=D(2026, 4, 15), reason="子女升学", by=d_plain.cadre.user
        ),
    ]

    # From the home page's to-do list to the bulk page.
    log_in(page, "town_a", PASSWORD)
    page.goto(f"{page.base_url}/")
    page.locator("[data-testid=bulk-links] a", has_text="批量审批请假").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=bulk-rows] tr[data-pk]").count() == 2

    # "Select all" ticks both and counts them (static/js/bulk_select.js; no inline script).
    page.check("[data-bulk-all]")
    assert page.locator("input[name=pk]:checked").count() == 2
    assert "已选 2 项" in page.inner_text("[data-bulk-count]")
    page.fill("textarea[name=comment]", "同意,注意安全")
    screenshot(page, "bulk-1-select")
    page.click("[data-testid=bulk-review]")
    page.wait_for_load_state("networkidle")

    # The confirmation names both; nothing is done before it.
    confirm = page.inner_text("[data-testid=bulk-confirm]")
    assert "李卫东" in confirm and "赵普通" in confirm and "同意,注意安全" in confirm
    assert {r.state for r in LeaveRequest.objects.all()} == {LeaveState.REQUESTED}
    screenshot(page, "bulk-2-confirm")
    page.click("[data-testid=bulk-confirm-button]")
    page.wait_for_load_state("networkidle")

    # The result lists both as approved; each is its own decision on the audit trail.
    assert "已办理 2 项" in page.inner_text("[data-testid=messages]")
    done = page.inner_text("[data-testid=bulk-done]")
    assert "李卫东" in done and "赵普通" in done and "已批准" in done
    assert "成功办理 2 项,未办理 0 项" in page.inner_text("[data-testid=bulk-summary]")
    assert page.locator("[data-testid=bulk-empty]").is_visible()
    screenshot(page, "bulk-3-result")
    for leave in requested:
        assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.APPROVED
        assert AuditEvent.objects.filter(action="leave.approve", object_id=str(leave.pk)).count() == 1
    page.goto(f"{page.base_url}{reverse('home:index')}")
    assert "审批请假" not in page.inner_text("[data-testid=tasks]")
