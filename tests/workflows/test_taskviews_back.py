"""A page's ?back= only ever leads back into this site (no open redirect, no script URL)."""

import pytest
from django.test import RequestFactory

from workflows.taskviews import safe_back


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""])
def test_back_to_another_host_or_a_script_falls_back_to_the_default(back):
    request = RequestFactory().get("/", {"back": back})
    assert safe_back(request, "/home/") == "/home/"


def test_back_within_the_site_is_kept():
    request = RequestFactory().get("/", {"back": "/leave/leave/?month=2026-03"})
    assert safe_back(request, "/home/") == "/leave/leave/?month=2026-03"
