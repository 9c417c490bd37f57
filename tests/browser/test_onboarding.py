"""A new township goes into service without a developer: imported, its committee member appointed and activated.

The org dept imports the township from 管理 → 导入基础数据, appoints a new person to its committee from 管理 →
职务任免, issues that person an activation code from 管理 → 账号与激活码; the member sets a password with the code on
a phone and lands on the township's home page (R-O1, R-O4, R-X1).
"""

import io
import re

import pytest
from django.core.cache import cache

from tests.browser.conftest import log_in, screenshot
from tests.factories import valid_id_number
from workflows.models import AuditEvent, Post, Role, Township, User

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"
NEW_PASSWORD = "Xinqu-Jiedao-2026"


def _choose(page, name, value):
    field = page.locator(f"vf-field-select[name={name}]")
    field.locator(".mdc-select__anchor").click()
    field.locator(f"li[role=option][data-value='{value}']").click()


def _workbook(path):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in {
        "乡镇": [["乡镇代码", "乡镇名称", "类型"], ["T900", "新区街道", "街道"]],
        "行政村": [["村代码", "村名称", "所属乡镇"], ["V901", "新华社区", "新区街道"], ["V902", "朝阳社区", "T900"]],
    }.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def _manage(page, link, path):
    """Open a page of the 管理 area from the site's menu, then the area's row of links."""
    page.locator(".vf-page__menu-primary a[href='/manage/']").first.click()
    page.wait_for_url("**/manage/posts/")
    page.wait_for_load_state("networkidle")
    page.locator(f"[data-testid={link}]").click()
    page.wait_for_url(f"**/manage/{path}/")
    page.wait_for_load_state("networkidle")


def test_r_x1_org_dept_onboards_a_new_townships_committee_member_who_activates_and_works(
    browser, page, transactional_db, two_tiers, tmp_path
):
    cache.clear()
    log_in(page, "org", PASSWORD)

    _manage(page, "nav-import", "import")
    page.set_input_files("[data-testid=files]", str(_workbook(tmp_path / "新区街道.xlsx")))
    page.locator("[data-testid=upload-form] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "新区街道" in page.inner_text("main")
    assert not Township.objects.filter(code="T900").exists()  # the preview writes nothing
    screenshot(page, "onboarding-1-import-preview")
    page.locator("[data-testid=confirm]").click()
    page.wait_for_load_state("networkidle")
    town = Township.objects.get(code="T900")
    assert town.villages.count() == 2
    screenshot(page, "onboarding-2-imported")

    _manage(page, "nav-posts", "posts")
    page.locator("[data-testid=appoint]").click()
    page.wait_for_load_state("networkidle")
    _choose(page, "role", Role.TOWNSHIP_COMMITTEE)
    _choose(page, "township", town.pk)
    page.locator("vf-field-input[name=title] input").fill("党工委书记")
    page.locator("vf-field-input[name=new_name] input").fill("郑新人")
    page.locator("vf-field-input[name=new_id_number] input").fill(valid_id_number(900))
    page.locator("vf-field-input[name=new_phone] input").fill("13900009000")
    page.locator("[data-testid=appoint-submit]").click()
    page.wait_for_load_state("networkidle")
    assert "郑新人" in page.inner_text("[data-testid=posts-table]")
    screenshot(page, "onboarding-3-appointed")
    member = User.objects.get(name="郑新人")
    assert Post.objects.active().filter(user=member, role=Role.TOWNSHIP_COMMITTEE, township=town).exists()

    _manage(page, "nav-accounts", "accounts")
    page.locator("input[name=q], vf-field-input[name=q] input").first.fill("郑新人")
    # Enter starts a navigation that networkidle may not have seen yet: wait for the search's own page.
    with page.expect_navigation(url="**q=*"):
        page.keyboard.press("Enter")
    page.get_by_test_id(f"account-{member.username}").wait_for()
    screenshot(page, "onboarding-4-accounts")
    assert "未激活" in page.get_by_test_id(f"account-{member.username}").inner_text()
    page.get_by_test_id(f"issue-{member.username}").click()
    page.wait_for_load_state("networkidle")
    code = page.get_by_test_id("code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    screenshot(page, "onboarding-4-code")

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        member_page = phone.new_page()
        member_page.set_default_timeout(30000)
        member_page.goto(f"{page.base_url}/accounts/login/")
        member_page.get_by_test_id("activate-link").click()
        member_page.wait_for_load_state("networkidle")
        member_page.fill("input[name=username]", member.username)
        member_page.fill("input[name=code]", code)
        member_page.fill("input[name=new_password1]", NEW_PASSWORD)
        member_page.fill("input[name=new_password2]", NEW_PASSWORD)
        screenshot(member_page, "onboarding-5-activate")
        member_page.locator("[data-testid=activate-form] button[type=submit]").click()
        member_page.wait_for_load_state("networkidle")
        main = member_page.inner_text("main")
        assert "新区街道" in main and "郑新人" in member_page.content()
        assert member_page.locator("[data-role=township_committee]").count() == 1
        screenshot(member_page, "onboarding-6-township-home")
    finally:
        phone.close()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"county.import", "person.create", "post.appoint", "account.code_issue", "account.activate"} <= actions


def test_r_x1_the_accounts_pages_fit_a_phone_and_the_user_menu_changes_ones_password(phone_page, two_tiers):
    from tests.factories import CadreFactory, UserFactory

    page = phone_page
    newcomer = UserFactory(username="phone_new", name="手机新人")
    newcomer.set_unusable_password()
    newcomer.save()
    CadreFactory(unit=two_tiers["unit_a"], user=newcomer)
    log_in(page, "org", PASSWORD)
    page.locator("button.mdc-top-app-bar__navigation-icon").click()
    page.locator(".vf-page__menu-primary a[href='/manage/']").first.click()
    page.wait_for_url("**/manage/posts/")
    page.locator("[data-testid=nav-accounts]").click()
    page.wait_for_url("**/manage/accounts/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "onboarding-phone-accounts")
    page.get_by_test_id("issue-phone_new").click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "onboarding-phone-code")

    page.goto(f"{page.base_url}/")
    page.locator("button.mdc-top-app-bar__navigation-icon").click()
    page.locator(".vf-page__menu-secondary, vf-page-menu-navigation").first.wait_for(state="attached")
    page.evaluate("document.querySelector('[data-testid=menu-password-change]').click()")
    page.wait_for_url("**/accounts/password_change/")
    assert "修改密码" in page.inner_text("body")
