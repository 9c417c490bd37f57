"""An invalid quota or pairing is sent back at its form with a banner saying nothing was saved (R-S5, R-S6)."""

import re

import pytest
from django.urls import reverse

from dispatch.models import Pairing, Quota

YEAR = 2026


def _post(client, world, data):
    client.force_login(world["people"]["org"])
    return client.post(reverse("dispatch:pairings") + f"?year={YEAR}", data)


def _card(html: str, card_id: str) -> str:
    start = html.index(f'id="{card_id}"')
    return html[start : html.index("</form>", start)]


@pytest.mark.parametrize("cadres", ["", "abc", "0"])
def test_r_s5_invalid_quota_is_sent_back_at_its_form_with_a_not_saved_banner(client, world, cadres):
    response = _post(
        client, world, {"action": "quota", "unit": world["unit_a"].pk, "cadres": cadres, "deadline": "2026-06-30"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    card = _card(html, "quota")
    assert card.startswith('id="quota" data-invalid-form')
    assert 'data-testid="quota-not-saved"' in card and "选派任务未保存" in card
    assert len(re.findall(r"<div [^>]*data-invalid-form", html)) == 1
    assert not Quota.objects.exists()


def test_r_s5_a_refused_deadline_also_marks_the_quota_form(client, world):
    response = _post(
        client, world, {"action": "quota", "unit": world["unit_a"].pk, "cadres": 2, "deadline": "2026-01-05"}
    )
    card = _card(response.content.decode(), "quota")
    assert "data-invalid-form" in card and "选派任务未保存" in card
    assert not Quota.objects.exists()


def test_r_s6_invalid_pairing_is_sent_back_at_its_form_not_at_the_quota_form(client, world):
    before = Pairing.objects.count()
    response = _post(client, world, {"action": "add", "unit": world["unit_a"].pk, "village": ""})
    html = response.content.decode()
    assert "data-invalid-form" in _card(html, "pairing") and "结对未保存" in html
    assert "data-invalid-form" not in _card(html, "quota") and "选派任务未保存" not in html
    assert Pairing.objects.count() == before


def test_r_s5_the_page_as_opened_marks_no_form_invalid(client, world):
    client.force_login(world["people"]["org"])
    html = client.get(reverse("dispatch:pairings") + f"?year={YEAR}").content.decode()
    assert re.findall(r"<div [^>]*data-invalid-form", html) == []
    assert "未保存" not in html
