"""The township sees a new leave request on the bell, decides it from the notification, and the cadre is told."""

import pytest

from leave.models import LeaveRequest, LeaveState
from tests.browser.conftest import cadre_a_asks_for_leave, log_in, screenshot, submit
from workflows.models import Notification

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"


def test_r_m2_a_leave_request_reaches_the_township_by_the_bell_and_its_decision_reaches_the_cadre(
    page, transactional_db, world
):
    leave = cadre_a_asks_for_leave(world)

    # 陈书记 signs in: the bell in the toolbar says one unread notification.
    log_in(page, "town_a", PASSWORD)
    assert page.inner_text("[data-testid=bell-count]") == "1"
    screenshot(page, "notify-1-bell")
    page.click("[data-testid=bell]")
    page.wait_for_load_state("networkidle")
    row = page.locator("[data-testid=notification-rows] tr[data-notification]", has_text="审批请假")
    assert "李卫东" in row.inner_text() and "vc-unread" in row.get_attribute("class")
    screenshot(page, "notify-2-list")

    # From the notification straight to the decision.
    row.get_by_role("button", name="去办理").click()
    page.wait_for_load_state("networkidle")
    assert "李卫东" in page.inner_text("main")
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment]", "同意,注意安全")
    submit(page)
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.APPROVED
    assert page.locator("[data-testid=bell-count]").count() == 0  # read when opened

    # 李卫东 signs in and finds the decision on his bell.
    page.context.clear_cookies()
    log_in(page, world["cadre_a"].user.username, PASSWORD)
    assert int(page.inner_text("[data-testid=bell-count]")) >= 1
    page.click("[data-testid=bell]")
    page.wait_for_load_state("networkidle")
    text = page.inner_text("[data-testid=notification-rows]")
    assert "您 2026-12-01 至 2026-12-02 的请假已批准" in text and "同意,注意安全" in text
    screenshot(page, "notify-3-cadre")
    assert Notification.objects.filter(recipient=world["cadre_a"].user, kind="leave_approved").count() == 1
