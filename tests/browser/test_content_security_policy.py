"""Under the content security policy every page of the menu works: no script, style or image is refused (R-X1)."""

import contextlib

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"
MENU_LINKS = ".vf-page__menu-primary a[href]"
#: Collects what the browser refused under the policy, from the first script of every document on.
WATCH = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", e => {
  window.__refused.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.mark.parametrize("role", ["org", "town_a", "cadre_a"])
def test_r_x1_every_menu_page_loads_without_a_policy_violation(page, world, role):
    page.add_init_script(WATCH)
    log_in(page, world["people"][role].username, PASSWORD)
    page.goto(f"{page.base_url}/")
    page.wait_for_load_state("networkidle")
    links = page.eval_on_selector_all(MENU_LINKS, "links => links.map(a => a.getAttribute('href'))")
    refused = {}
    for href in links:
        page.goto(f"{page.base_url}{href}")
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__refused")
        if found:
            refused[href] = found
    screenshot(page, f"csp-{role}")
    assert refused == {}
    # The watch sees a refusal when there is one: an inline script, which the policy forbids.
    with contextlib.suppress(PlaywrightError):
        page.add_script_tag(content="window.__ran = true;")
    page.wait_for_function("() => window.__refused.length > 0")
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__refused")[0].startswith("script-src")
