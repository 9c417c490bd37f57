"""Each demo role signs in through the real page and sees its own home page in Chinese (R-O4)."""

import io

import pytest
from django.core.management import call_command

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

# What each role's home page must show, and a section it must not.
EXPECTED = {
    "zuzhibu": ("全县概况", "我的信息"),
    "danwei1": ("县农业农村局 · 单位主要领导", "全县概况"),
    "danwei2": ("县教育局 · 单位主要领导", "县农业农村局"),
    "fenguan1": ("县农业农村局 · 单位分管领导", "全县概况"),
    "xiangzhen1": ("本乡镇驻村工作", "全县概况"),
    "ganbu1": ("我的信息", "全县概况"),
    "ganbu2": ("我的信息", "全县概况"),
    "shenji": ("最近的审计记录", "全县概况"),
}


def test_each_demo_role_logs_in_and_sees_its_home_page_in_chinese(page, transactional_db):
    from demo.base import DEMO_LOGINS

    call_command("seed_demo", stdout=io.StringIO())
    assert {login["username"] for login in DEMO_LOGINS} == set(EXPECTED)
    for login in DEMO_LOGINS:
        page.context.clear_cookies()
        log_in(page, login["username"], login["password"])
        must_show, must_not_show = EXPECTED[login["username"]]
        body = page.inner_text("main")
        assert "您好" in body, login["username"]
        assert must_show in body, (login["username"], body[:500])
        assert must_not_show not in body, login["username"]
        assert page.evaluate("document.documentElement.lang") == "zh-hans"
        screenshot(page, f"home-{login['username']}")


def test_wrong_password_is_refused_in_chinese(page, transactional_db):
    from tests.factories import UserFactory

    UserFactory(username="someone")
    log_in(page, "someone", "not-the-password")
    assert "/accounts/login/" in page.url
    assert "请输入一个正确的" in page.inner_text("body")


def test_language_switch_turns_the_interface_to_english_and_back(page, transactional_db):
    from tests.factories import UserFactory

    UserFactory(username="bilingual", name="双语用户")
    log_in(page, "bilingual", "pass-for-tests-1")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Hello" in page.inner_text("main")
    screenshot(page, "home-english")
    page.click("button[name=language][value=zh-hans]")
    page.wait_for_load_state("networkidle")
    assert "您好" in page.inner_text("main")
