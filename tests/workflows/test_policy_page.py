"""The policy numbers page: every number with its rule, meaning, value, default, override and source (R-X1)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from workflows.policy import POLICY_NOTES, policy_table


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_r_x1_every_policy_number_has_one_note_with_rule_description_and_source():
    assert set(POLICY_NOTES) == set(settings.POLICY_DEFAULTS)
    for name, note in POLICY_NOTES.items():
        assert note.rule.startswith("R-"), name
        assert str(note.description) and str(note.source), name


def test_r_x1_org_dept_reads_every_number_with_its_rule_and_source(two_tiers):
    page = _client(two_tiers["people"]["org"]).get(reverse("manage:policy")).content.decode()
    for name in settings.POLICY_DEFAULTS:
        assert f'data-policy="{name}"' in page
    assert "R-M1" in page and "全年驻村时间不少于250天" in page
    assert "经济薄弱村" in page


def test_r_x1_a_number_set_in_the_environment_shows_as_overridden(two_tiers, settings, monkeypatch):
    monkeypatch.setenv("POLICY_TERM_MONTHS", "24")
    settings.POLICY = {**settings.POLICY, "TERM_MONTHS": 24}
    row = next(r for r in policy_table() if r.name == "TERM_MONTHS")
    assert (row.value, row.default, row.overridden) == (24, 12, True)
    assert not next(r for r in policy_table() if r.name == "MIN_DAYS_IN_VILLAGE_PER_YEAR").overridden
    page = _client(two_tiers["people"]["org"]).get(reverse("manage:policy")).content.decode()
    row_html = page[page.index('data-policy="TERM_MONTHS"') :].split("</tr>")[0]
    assert ">24<" in row_html and "POLICY_TERM_MONTHS" in row_html


@pytest.mark.parametrize("who", ["auditor", "head_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_the_policy_page_is_the_org_depts(two_tiers, who):
    assert _client(two_tiers["people"][who]).get(reverse("manage:policy")).status_code == 403


def test_r_x1_the_policy_page_changes_nothing(two_tiers):
    assert _client(two_tiers["people"]["org"]).post(reverse("manage:policy")).status_code == 405
