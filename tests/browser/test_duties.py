"""A cadre's home lists the unfilled past days; the link opens the month to fill, and filling clears it (R-M2a)."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse

from leave.ledger import ledger_write
from leave.models import DaySource, DayStatus
from tests.browser.conftest import log_in, screenshot
from tests.dispatch.test_team import stationed

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"


def test_cadre_home_shows_unfilled_days_and_the_link_opens_the_fill_page_r_m2a(page, transactional_db, world):
    dispatch = stationed(world["cadre_a"], world["village_a"])
    first, last = datetime.date(2026, 3, 5), datetime.date(2026, 11, 20)  # the suite's today is 2026-11-26
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    with transaction.atomic():  # as its callers do: the ledger locks the month's rows
        ledger_write(
            dispatch=dispatch,
            statuses=dict.fromkeys(days, DayStatus.IN_VILLAGE),
            source=DaySource.CADRE,
            by=world["people"]["cadre_a"],
        )

    log_in(page, "cadre_a", PASSWORD)
    page.goto(f"{page.base_url}{reverse('home:index')}")
    duty = page.locator("[data-testid=duties] tr[data-duty=unfilled_days]")
    assert duty.count() == 1
    assert "2026年11月" in duty.inner_text() and "今天以前有 5 天未填报" in duty.inner_text()  # 21–25 November
    screenshot(page, "duties-1-cadre-home")

    duty.get_by_role("link").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"{reverse('leave:calendar')}?month=2026-11")
    assert "2026年11月" in page.inner_text("main") and "未填报" in page.inner_text("main")
    assert page.locator("[data-testid=fill]").is_visible()
    screenshot(page, "duties-2-fill-page")

    page.locator("[data-testid=fill]").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{page.base_url}{reverse('home:index')}")
    assert page.locator("[data-testid=duties]").count() == 0
