"""Each role signs in to work waiting or a record and a menu of only what it may open, on desktop and phone (R-O4)."""

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

ROLES = ["org", "auditor", "head_a", "deputy_a", "town_a", "cadre_a"]
PASSWORD = "pass-for-tests-1"
MENU_LINKS = ".vf-page__menu-primary a[href]"


@pytest.fixture
def working_world(transactional_db, world):
    """world with a running process at each human step of every flow: every role has something on its home page."""
    from tests.test_pages_smoke import processes_at_each_step

    processes_at_each_step(world)
    return world


def _work_or_record(page) -> int:
    """The to-do rows, or the rows of a record the home page shows (the audit trail, the cadre's stationing)."""
    tasks = page.locator("[data-testid=tasks] tr").count() - 1  # less the header row
    records = page.locator("[data-role=auditor] table tr, [data-role=cadre] table tr").count()
    return max(tasks, 0) + records


@pytest.mark.parametrize("role", ROLES)
def test_r_o4_each_role_home_shows_work_and_a_menu_of_pages_it_may_open(page, working_world, role):
    user = working_world["people"][role]
    log_in(page, user.username, PASSWORD)
    page.goto(f"{page.base_url}/")
    page.wait_for_load_state("networkidle")
    screenshot(page, f"home-{role}")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    assert _work_or_record(page) > 0, role
    links = page.eval_on_selector_all(MENU_LINKS, "links => links.map(a => a.getAttribute('href'))")
    assert links, role
    answers = {href: page.request.get(f"{page.base_url}{href}").status for href in links}
    assert {href: status for href, status in answers.items() if status != 200} == {}, role
    # The frame viewflow draws around the page speaks Chinese too.
    body = page.inner_text("body")
    assert [word for word in ("Applications", "No applications found", "Logout", "Profile") if word in body] == []
    assert "您好" in page.inner_text("main")


@pytest.mark.parametrize("role", ["org", "cadre_a"])
def test_r_o4_at_phone_width_the_menu_opens_and_leads_to_a_page(phone_page, working_world, role):
    page = phone_page
    log_in(page, working_world["people"][role].username, PASSWORD)
    page.goto(f"{page.base_url}/")
    page.wait_for_load_state("networkidle")
    screenshot(page, f"home-{role}-phone")
    # Nothing wider than the phone: no sideways scrolling of the whole page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    first_area = page.locator(MENU_LINKS).nth(1)
    assert not first_area.is_visible()  # the drawer is closed until asked for
    page.locator("button.mdc-top-app-bar__navigation-icon").click()
    first_area.wait_for(state="visible")
    # The drawer has slid fully in over the page, inside the phone's width.
    page.wait_for_function("() => document.querySelector('.vf-page__menu').getBoundingClientRect().left >= 0")
    box = page.locator(".vf-page__menu").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    screenshot(page, f"menu-{role}-phone")
    home = page.url
    first_area.click()
    page.wait_for_url(lambda url: url != home)
    page.wait_for_load_state("networkidle")
    assert "您无权" not in page.inner_text("main")
