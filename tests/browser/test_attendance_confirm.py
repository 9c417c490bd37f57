"""A township confirms a month in a browser: the unreported days are listed, stated explicitly, then locked (R-M1)."""

import datetime

import pytest
from django.urls import reverse

from leave.models import AttendanceDay, AttendanceMonth, DaySource, DayStatus, MonthState
from tests.browser.conftest import log_in, screenshot
from tests.leave import attendance_world, record
from workflows.models import AuditEvent

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"
D = datetime.date


def test_township_sees_unreported_days_states_them_and_confirms_r_m1(page, transactional_db, world):
    w = attendance_world(world)
    record(w["d_a"], D(2026, 10, 1), D(2026, 10, 31), DayStatus.IN_VILLAGE)  # 赵普通 (d_plain) entered nothing
    log_in(page, "town_a", PASSWORD)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{page.base_url}{reverse('leave:grid')}?month=2026-10")
    box = page.locator("[data-testid=unreported]")
    assert "赵普通" in box.inner_text() and "18 天" in box.inner_text() and "李卫东" not in box.inner_text()
    assert "尚有 18 个工作日未填报" in page.locator("[data-testid=confirm-note]").inner_text()
    screenshot(page, "attendance-confirm-1-unreported")

    page.locator("[data-testid=fill-unreported-in_village]").click()
    page.wait_for_selector("[data-testid=messages]")
    assert "已将 1 名干部未填报的 18 个工作日登记为“在村”" in page.locator("[data-testid=messages]").inner_text()
    assert page.locator("[data-testid=unreported]").count() == 0

    page.locator("[data-testid=confirm]").click()
    page.wait_for_selector("text=本月考勤已全部确认并锁定")
    screenshot(page, "attendance-confirm-2-locked")
    assert set(AttendanceMonth.objects.filter(month=D(2026, 10, 1)).values_list("state", flat=True)) == {
        MonthState.CONFIRMED
    }
    stated = AttendanceDay.objects.filter(dispatch=w["d_plain"], status=DayStatus.IN_VILLAGE)
    assert stated.count() == 18 and set(stated.values_list("source", flat=True)) == {DaySource.TOWNSHIP}
    assert AuditEvent.objects.get(action="attendance.month_fill_unreported").actor == w["people"]["town_a"]
