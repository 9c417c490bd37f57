"""The org dept issues an activation code in 管理; the cadre sets their own password with it and signs in (R-X1)."""

import re

import pytest
from django.core.cache import cache

from tests.browser.conftest import log_in, screenshot
from tests.factories import CadreFactory, UserFactory
from workflows.models import ActivationCode, User

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"
NEW_PASSWORD = "Cunbu-Mima-2026"


def test_r_x1_org_dept_issues_a_code_and_the_cadre_activates_the_account(browser, page, transactional_db, two_tiers):
    cache.clear()
    cadre = UserFactory(username="new_cadre", name="周新来")
    cadre.set_unusable_password()
    cadre.save()
    CadreFactory(unit=two_tiers["unit_a"], user=cadre, name="周新来")

    log_in(page, "org", PASSWORD)
    page.locator(".vf-page__menu-primary a[href^='/manage/']", has_text="管理").click()
    page.wait_for_load_state("networkidle")
    page.get_by_test_id("nav-accounts").click()
    page.wait_for_load_state("networkidle")
    row = page.get_by_test_id("account-new_cadre")
    assert "未激活" in row.inner_text()
    screenshot(page, "activation-1-accounts")

    page.get_by_test_id("issue-new_cadre").click()
    page.wait_for_load_state("networkidle")
    code = page.get_by_test_id("code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    screenshot(page, "activation-2-code-shown-once")
    page.get_by_test_id("back").click()
    page.wait_for_url("**/manage/accounts/")
    page.wait_for_load_state("networkidle")
    assert code not in page.content()
    assert "前有效" in page.get_by_test_id("account-new_cadre").inner_text()

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone = context.new_page()
        phone.set_default_timeout(30000)
        phone.goto(f"{page.base_url}/accounts/login/")
        screenshot(phone, "activation-3-login-page-link")
        phone.get_by_test_id("activate-link").click()
        phone.wait_for_load_state("networkidle")
        phone.fill("input[name=username]", "new_cadre")
        phone.fill("input[name=code]", code.lower().replace("-", ""))
        phone.fill("input[name=new_password1]", "12345678")
        phone.fill("input[name=new_password2]", "12345678")
        phone.locator("[data-testid=activate-form] button[type=submit]").click()
        phone.wait_for_load_state("networkidle")
        assert "密码只包含数字" in phone.content()
        screenshot(phone, "activation-4-weak-password-refused")

        phone.fill("input[name=code]", code)
        phone.fill("input[name=new_password1]", NEW_PASSWORD)
        phone.fill("input[name=new_password2]", NEW_PASSWORD)
        phone.locator("[data-testid=activate-form] button[type=submit]").click()
        phone.wait_for_load_state("networkidle")
        assert "/accounts/" not in phone.url
        assert "周新来" in phone.content()
        screenshot(phone, "activation-5-signed-in")
    finally:
        context.close()
    assert User.objects.get(pk=cadre.pk).check_password(NEW_PASSWORD)
    assert ActivationCode.objects.get(user=cadre).used_at is not None


def test_r_x1_a_password_someone_else_set_is_replaced_at_the_first_sign_in(page, transactional_db, two_tiers):
    User.objects.filter(username="cadre_a").update(must_change_password=True)
    log_in(page, "cadre_a", PASSWORD)
    assert page.url.endswith("/accounts/password_change/")
    page.goto(f"{page.base_url}/leave/")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/accounts/password_change/")
    screenshot(page, "activation-6-forced-change")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.locator("[data-testid=password-change-form] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/" not in page.url and "李卫东" in page.content()
    assert not User.objects.get(username="cadre_a").must_change_password
