"""The org dept appoints a township committee member, a new person, from 管理 → 职务任免 (R-O4, R-X1)."""

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.factories import valid_id_number

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"


def _choose(page, name, value):
    """Pick an option in viewflow's material select by its value."""
    field = page.locator(f"vf-field-select[name={name}]")
    field.locator(".mdc-select__anchor").click()
    field.locator(f"li[role=option][data-value='{value}']").click()


def test_r_o4_org_dept_appoints_a_new_township_committee_member_from_the_menu(page, transactional_db, two_tiers):
    from workflows.models import Post, Role, User

    town = two_tiers["town_b"]
    log_in(page, "org", PASSWORD)
    page.locator(".vf-page__menu-primary a[href='/manage/']").first.click()
    page.wait_for_load_state("networkidle")
    page.locator("[data-testid=nav-posts]").click()
    page.wait_for_load_state("networkidle")
    assert "在任职务" in page.inner_text("main")
    page.locator("[data-testid=appoint]").click()
    page.wait_for_load_state("networkidle")

    _choose(page, "role", Role.TOWNSHIP_COMMITTEE)
    _choose(page, "township", town.pk)
    page.locator("vf-field-input[name=title] input").fill("党委委员")
    page.locator("vf-field-input[name=new_name] input").fill("吴新任")
    page.locator("vf-field-input[name=new_id_number] input").fill(valid_id_number(555))
    page.locator("vf-field-input[name=new_phone] input").fill("13700005555")
    screenshot(page, "manage-posts-appoint")
    page.locator("[data-testid=appoint-submit]").click()
    page.wait_for_load_state("networkidle")

    assert "已任命 吴新任 为宜沟镇乡镇党委" in page.inner_text("[data-testid=messages]")
    row = page.locator("[data-testid=posts-table] tr", has_text="吴新任")
    assert "宜沟镇" in row.inner_text() and "党委委员" in row.inner_text()
    screenshot(page, "manage-posts-list")
    person = User.objects.get(name="吴新任")
    assert person.username == "13700005555" and not person.has_usable_password()
    assert Post.objects.active().filter(user=person, role=Role.TOWNSHIP_COMMITTEE, township=town).exists()


def test_r_o1_org_dept_edits_a_unit_from_its_detail_page(page, transactional_db, two_tiers):
    from workflows.models import AuditEvent, Unit

    unit = two_tiers["unit_a"]
    log_in(page, "org", PASSWORD)
    page.goto(f"{page.base_url}{unit.get_absolute_url()}")
    page.get_by_role("link", name="编辑").click()
    page.wait_for_load_state("networkidle")
    page.locator("vf-field-input[name=name] input").fill("县农业农村和水利局")
    screenshot(page, "manage-unit-edit")
    page.locator("[data-testid=edit-submit]").click()
    page.wait_for_load_state("networkidle")
    assert "县农业农村和水利局" in page.inner_text("main")
    screenshot(page, "manage-unit-edited")
    assert Unit.objects.get(pk=unit.pk).name == "县农业农村和水利局"
    assert AuditEvent.objects.get(action="unit.update").data["changed"]["name"][0] == "县农业农村局"
