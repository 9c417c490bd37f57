"""Headless Chromium (Debian's package) driven by Playwright against pytest-django's live server."""

import datetime
import os
import shutil
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
# are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class _OneRequestAtATime(WSGIServer):
    """The live server answers one request at a time.

    With SQLite in memory, the live server's threads share one database connection; two requests in
    flight at once (the page and a late asset, say) can then block each other for good. One request at
    a time is plenty for a test browser.
    """

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


LiveServerThread.server_class = _OneRequestAtATime


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError(f"REQUIRE_BROWSER is set but Chromium was not found at {CHROMIUM}")
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860}, timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(30000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(30000)
    page.base_url = live_server.url
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, username: str, password: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def open_first_task(page, title: str) -> None:
    """Open the first task with this title from the home page's to-do list."""
    page.goto(f"{page.base_url}/home/")
    row = page.locator("[data-testid=tasks] tr", has_text=title)
    row.get_by_role("link").first.click()
    page.wait_for_load_state("networkidle")


def submit(page) -> None:
    """Submit the page's main form and wait for the answer."""
    page.locator("form.vf-form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def cadre_a_asks_for_leave(world):
    """李卫东, stationed in 菜园镇, asks for two days' leave in December: the township's task to decide."""
    from leave.services import leave as leaves
    from tests.dispatch.test_team import stationed

    dispatch = stationed(world["cadre_a"], world["village_a"])
    return leaves.leave_request(
        dispatch=dispatch,
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 2),
        reason="家中老人住院",
        by=world["people"]["cadre_a"],
    )
