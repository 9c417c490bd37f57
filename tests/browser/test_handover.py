"""A township member hands a leave decision to a colleague from the task page; the colleague finds it on 我的待办."""

import pytest

from leave.models import LeaveRequest, LeaveState
from tests.browser.conftest import cadre_a_asks_for_leave, log_in, open_first_task, screenshot, submit
from workflows.models import AuditEvent

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"


def test_a_leave_decision_handed_to_a_colleague_is_found_and_decided_by_them(page, transactional_db, world):
    leave = cadre_a_asks_for_leave(world)
    mentor = world["mentor_a"]

    # 陈书记 opens the decision: nobody works on it yet; she hands it to 周副书记 with a note.
    log_in(page, "town_a", PASSWORD)
    open_first_task(page, "审批请假")
    assert page.inner_text("[data-testid=task-owner]") == "待认领"
    form = page.locator("[data-testid=task-hand-over]")
    form.locator("select[name=to]").select_option(label="菜园镇周副书记")
    form.locator("input[name=note]").fill("我下周外出学习,请周书记审批")
    screenshot(page, "handover-1-task-page")
    form.get_by_role("button", name="转交").click()
    page.wait_for_load_state("networkidle")
    assert "已转交 菜园镇周副书记 办理。" in page.inner_text("[data-testid=messages]")
    assert page.locator("[data-testid=task-rows] tr[data-task]").count() == 0
    screenshot(page, "handover-2-handed")

    # 周副书记 finds it on 我的待办, reached from the menu, and decides it.
    page.context.clear_cookies()
    log_in(page, mentor.username, PASSWORD)
    page.locator(".vf-page__menu-primary a[href='/tasks/']").first.click()
    page.wait_for_load_state("networkidle")
    row = page.locator("[data-testid=task-rows] tr[data-task]", has_text="李卫东")
    assert "菜园镇周副书记" in row.inner_text()
    screenshot(page, "handover-3-my-tasks")
    row.get_by_role("link", name="办理").click()
    page.wait_for_load_state("networkidle")
    assert page.inner_text("[data-testid=task-owner]") == "菜园镇周副书记"
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment]", "同意")
    submit(page)
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.APPROVED
    event = AuditEvent.objects.get(action="task.hand_over")
    assert event.reason == "我下周外出学习,请周书记审批" and event.data["to"] == mentor.username

    # The decision is in her archive now.
    page.goto(f"{page.base_url}/tasks/done/")
    assert "李卫东" in page.inner_text("[data-testid=done-rows]")
    screenshot(page, "handover-4-done")
