"""One cadre from nomination to stationed through the pages: unit, unit head, org dept, township (R-S1)."""

import pytest

from dispatch.models import Dispatch, DispatchState
from tests.browser.conftest import log_in, open_first_task, screenshot, submit

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"


def _choose(page, name, value):
    """Pick an option in viewflow's material select by its value."""
    field = page.locator(f"vf-field-select[name={name}]")
    field.locator(".mdc-select__anchor").click()
    field.locator(f"li[role=option][data-value='{value}']").click()


def test_r_s1_one_cadre_from_nomination_to_stationed_through_the_pages(page, transactional_db, world):
    cadre, village = world["cadre_a"], world["village_a"]

    # The unit's deputy in charge nominates; reserve cadres are listed first (R-S3).
    log_in(page, "deputy_a", PASSWORD)
    page.goto(f"{page.base_url}/dispatch/nominate/")
    options = page.locator("vf-field-select[name=cadre] li[role=option]").all_inner_texts()
    assert "后备" in [o for o in options if o.strip()][0]
    _choose(page, "cadre", cadre.pk)
    _choose(page, "village", village.pk)
    page.fill("textarea[name=note]", "熟悉农业农村工作,群众基础好")
    screenshot(page, "dispatch-1-nominate")
    submit(page)
    assert "已推荐" in page.inner_text("body")
    dispatch = Dispatch.objects.get(cadre=cadre)

    # The unit head approves from the to-do list on the home page.
    page.context.clear_cookies()
    log_in(page, "head_a", PASSWORD)
    assert "待办事项(1)" in page.inner_text("main")
    open_first_task(page, "审批推荐")
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment]", "同意选派")
    screenshot(page, "dispatch-2-approve")
    submit(page)
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.APPROVED

    # The org dept opens a training batch, enrols the cadre and records completion (R-S8).
    page.context.clear_cookies()
    log_in(page, "org", PASSWORD)
    page.goto(f"{page.base_url}/dispatch/org/training/new/")
    page.fill("input[name=year]", "2026")
    page.fill("input[name=name]", "2026年第一期驻村干部岗前培训班")
    page.fill("input[name=starts_on]", "2026-03-01")
    page.fill("input[name=ends_on]", "2026-03-03")
    submit(page)
    page.check(f"#enrol-{dispatch.pk}")
    page.get_by_role("button", name="安排参训").click()
    page.wait_for_load_state("networkidle")
    page.check(f"#complete-{dispatch.pk}")
    page.fill("input[name=completed_on]", "2026-03-03")
    page.get_by_role("button", name="登记结业").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, "dispatch-3-training")
    assert Dispatch.objects.get(pk=dispatch.pk).training_completed_on is not None

    # The unit records insurance, party-relation transfer and allowance (R-S9).
    page.context.clear_cookies()
    log_in(page, "deputy_a", PASSWORD)
    open_first_task(page, "落实保险")
    page.fill("input[name=insurer]", "中国人寿汤阴支公司")
    page.fill("input[name=insurance_policy_no]", "PA2026-0001")
    page.fill("input[name=insurance_starts_on]", "2026-03-01")
    page.fill("input[name=insurance_ends_on]", "2027-03-31")
    page.fill("input[name=party_relation_transferred_on]", "2026-03-04")
    page.fill("input[name=living_allowance_yuan]", "600")
    screenshot(page, "dispatch-4-arrangements")
    submit(page)

    # The township takes the cadre in; the term starts (R-S7).
    page.context.clear_cookies()
    log_in(page, "town_a", PASSWORD)
    open_first_task(page, "接收干部到村")
    page.fill("input[name=stationed_on]", "2026-03-05")
    submit(page)
    stationed = Dispatch.objects.get(pk=dispatch.pk)
    assert stationed.state == DispatchState.STATIONED

    page.goto(f"{page.base_url}/dispatch/{dispatch.pk}/")
    body = page.inner_text("main")
    assert "驻村中" in body and "2027年3月4日" in body
    screenshot(page, "dispatch-5-stationed")
