"""An invalid quota comes back with its form in view and the cursor in the field to correct (R-S5)."""

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _send_quota(page, cadres: str) -> None:
    form = page.locator("#quota")
    form.locator("vf-field-input[name=cadres] input").fill(cadres)
    form.locator("vf-field-date[name=deadline] input").fill("2026-12-30")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _form_in_view(page) -> bool:
    top = page.evaluate("document.querySelector('#quota').getBoundingClientRect().top")
    return 0 <= top < page.viewport_size["height"]


def test_r_s5_invalid_quota_reloads_at_its_form_with_the_invalid_field_focused(page, transactional_db):
    from dispatch.models import Quota
    from tests.factories import CountyFactory, UnitFactory, UserFactory, appoint
    from workflows.models import Role

    county = CountyFactory()
    units = [UnitFactory(county=county, name=f"县第{n + 1}局") for n in range(30)]  # the form well below the fold
    appoint(UserFactory(username="zzb"), Role.ORG_DEPT, county)
    log_in(page, "zzb", "pass-for-tests-1")
    page.goto(f"{page.base_url}/dispatch/org/pairings/?year=2026")
    assert not _form_in_view(page)

    # A field's own error (no unit chosen): the form in view, the cursor in that field.
    _send_quota(page, "2")
    banner = page.locator("[data-testid=quota-not-saved]")
    assert "选派任务未保存" in banner.inner_text() and banner.is_visible()
    assert _form_in_view(page)
    page.wait_for_function("() => document.activeElement.closest('vf-field-select')?.getAttribute('name') === 'unit'")
    screenshot(page, "quota-invalid")

    # Refused by the service (no field to blame): the form in view, its banner focused and saying why.
    page.goto(f"{page.base_url}/dispatch/org/pairings/?year=2026&unit={units[0].pk}")
    _send_quota(page, "0")
    assert "选派名额至少为 1 名。" in page.locator("#quota").inner_text()
    assert _form_in_view(page)
    page.wait_for_function("() => document.activeElement.closest('[data-invalid-form]')?.id === 'quota'")
    assert not Quota.objects.exists()
