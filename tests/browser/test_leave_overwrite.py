"""The township approves leave over a day the cadre recorded only by ticking it, seen on the page (R-M2a)."""

import datetime

import pytest
from django.db import transaction

from leave.ledger import ledger_write
from leave.models import AttendanceDay, DaySource, DayStatus, LeaveRequest, LeaveState
from leave.services import leave as leaves
from tests.browser.conftest import log_in, open_first_task, screenshot, submit
from tests.dispatch.test_team import stationed

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"
D = datetime.date


def test_leave_over_a_recorded_day_is_approved_only_once_the_day_is_ticked_r_m2a(page, transactional_db, world):
    dispatch = stationed(world["cadre_a"], world["village_a"])
    with transaction.atomic():  # as its callers do: the ledger locks the month's rows
        ledger_write(
            dispatch=dispatch,
            statuses={D(2026, 4, 7): DayStatus.IN_VILLAGE},
            source=DaySource.CADRE,
            by=world["people"]["cadre_a"],
        )
    leave = leaves.leave_request(
        dispatch=dispatch,
        starts_on=D(2026, 4, 7),
        ends_on=D(2026, 4, 8),
        reason="家中有事",
        by=world["people"]["cadre_a"],
    )

    log_in(page, "town_a", PASSWORD)
    open_first_task(page, "审批请假")
    assert "2026-04-07" in page.inner_text("[data-testid=recorded-days]")
    page.check("input[name=decision][value=approve]")
    submit(page)
    assert "2026-04-07 在村" in page.inner_text("[data-testid=form-errors]")
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.REQUESTED

    page.check("input[name=decision][value=approve]")
    page.check("input[name='overwrite_2026-04-07']")
    screenshot(page, "leave-overwrite-confirm")
    submit(page)
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.APPROVED
    assert AttendanceDay.objects.get(dispatch=dispatch, date=D(2026, 4, 7)).status == DayStatus.LEAVE
