"""Every page without parameters answers each role with a page, a redirect or a refusal, never an error."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

SKIP_PREFIXES = ("admin/", "i18n/", "jsi18n/", "accounts/logout", "static/")


def _plain_urls(patterns=None, prefix=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _plain_urls(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern) and "<" not in route and "(?P" not in route and "^" not in route:
            url = "/" + prefix + route
            if not url.startswith(tuple("/" + p for p in SKIP_PREFIXES)):
                yield url


@pytest.mark.parametrize("role", ["org", "auditor", "head_a", "deputy_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_no_page_errors_for_any_role(client, two_tiers, role):
    client.force_login(two_tiers["people"][role])
    urls = sorted(set(_plain_urls()))
    assert len(urls) > 10
    failures = {}
    for url in urls:
        response = client.get(url)
        if response.status_code not in (200, 302, 403, 405):
            failures[url] = response.status_code
    assert failures == {}
