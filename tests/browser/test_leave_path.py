"""A cadre's leave through the pages: request, township approval from its to-do list, report back, calendar (R-M2)."""

import datetime

import pytest
from django.urls import reverse

from leave.models import AttendanceDay, DayStatus, LeaveRequest, LeaveState
from tests.browser.conftest import log_in, open_first_task, screenshot, submit
from tests.dispatch.test_team import stationed

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"
LEAVE_DAYS = [datetime.date(2026, 4, 7), datetime.date(2026, 4, 8), datetime.date(2026, 4, 9)]


def test_r_m2_a_cadre_requests_leave_the_township_approves_the_cadre_reports_back(page, transactional_db, world):
    dispatch = stationed(world["cadre_a"], world["village_a"])

    # The cadre asks for three working days: the township decides alone (N = 3).
    log_in(page, "cadre_a", PASSWORD)
    page.goto(f"{page.base_url}{reverse('leave:leave')}")
    page.fill("input[name=starts_on]", "2026-04-07")
    page.fill("input[name=ends_on]", "2026-04-09")
    page.fill("textarea[name=reason]", "母亲住院手术,需陪护三天")
    screenshot(page, "leave-1-request")
    submit(page)
    assert "请假申请已提交(3 个工作日)" in page.inner_text("body")
    assert "已申请,待审批" in page.inner_text("[data-testid=my-leaves]")
    leave = LeaveRequest.objects.get(dispatch=dispatch)

    # The township opens it from its home to-do list and sees what it does to the cadre's targets.
    page.context.clear_cookies()
    log_in(page, "town_a", PASSWORD)
    assert "待办事项(1)" in page.inner_text("main")
    open_first_task(page, "审批请假")
    assert "2026年4月" in page.inner_text("[data-testid=leave-impact]")
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment]", "同意,注意安全,按时返岗")
    screenshot(page, "leave-2-approve")
    submit(page)
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.APPROVED

    # The cadre reports back (销假) from their own to-do list, on time.
    page.context.clear_cookies()
    log_in(page, "cadre_a", PASSWORD)
    open_first_task(page, "销假")
    page.fill("input[name=returned_on]", "2026-04-10")
    screenshot(page, "leave-3-report-back")
    submit(page)
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.REPORTED_BACK

    # The approved days are in the ledger without anyone entering them (R-M2a).
    days = AttendanceDay.objects.filter(dispatch=dispatch, date__range=(LEAVE_DAYS[0], LEAVE_DAYS[-1]))
    assert [(d.date, d.status) for d in days.order_by("date")] == [(d, DayStatus.LEAVE) for d in LEAVE_DAYS]

    # The cadre's month calendar shows them, linked from the leave page; Qingming stays a holiday.
    page.goto(f"{page.base_url}{reverse('leave:leave')}")
    page.get_by_role("link", name="查看我的考勤日历").click()
    page.goto(f"{page.base_url}{reverse('leave:calendar')}?month=2026-04")
    for day in LEAVE_DAYS:
        assert page.get_attribute(f"#d-{day.isoformat()}", "data-status") == DayStatus.LEAVE
        assert "请假" in page.inner_text(f"#d-{day.isoformat()}")
    assert page.get_attribute("#d-2026-04-06", "data-status") == ""
    assert "清明节" in page.inner_text("#d-2026-04-06")
    screenshot(page, "leave-4-calendar")

    # The township confirms the report-back; its list shows the leave as closed.
    page.context.clear_cookies()
    log_in(page, "town_a", PASSWORD)
    open_first_task(page, "确认销假")
    submit(page)
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.CLOSED
    page.goto(f"{page.base_url}{reverse('leave:leave_list')}")
    assert "已办结" in page.inner_text("[data-testid=recent-leaves]")
    screenshot(page, "leave-5-township-list")
