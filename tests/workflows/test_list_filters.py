"""The list filters offer only the user's own tiers, never another county's units or townships (R-O4)."""

import json

import pytest

from tests.factories import CadreFactory, CountyFactory, TownshipFactory, UnitFactory, VillageFactory


@pytest.fixture
def other_county(two_tiers):
    """A second county with a unit, a cadre, a township and a village, whose names nobody above may see."""
    county = CountyFactory(code="410522", name="安阳县")
    unit = UnitFactory(county=county, name="安阳县水利局")
    township = TownshipFactory(county=county, name="白璧镇")
    VillageFactory(township=township, name="白璧村")
    CadreFactory(unit=unit, name="外县干部")
    return {"unit": unit, "township": township}


def _page(client, url, **query):
    response = client.get(url, query)
    assert response.status_code == 200
    return response


def _options(response, name: str) -> list[str]:
    """The labels the page's filter offers for one field (the select's options, without the empty one)."""
    field = response.context["view"].filterset.form.fields[name]
    return sorted(str(label) for value, label in field.choices if value)


def _shows(response, text: str) -> bool:
    """The text is on the page, as text or inside the JSON a filter's select carries its options in."""
    html = response.content.decode()
    return text in html or json.dumps(text)[1:-1] in html


def test_r_o4_cadre_list_filter_offers_only_the_org_depts_own_units(client, two_tiers, other_county):
    client.force_login(two_tiers["people"]["org"])
    response = _page(client, "/org/cadre/")
    assert _options(response, "unit") == sorted(["县农业农村局", "县教育局"])
    assert not _shows(response, "安阳县水利局")


def test_r_o4_cadre_list_filter_offers_a_unit_head_only_their_unit(client, two_tiers, other_county):
    client.force_login(two_tiers["people"]["head_a"])
    response = _page(client, "/org/cadre/")
    assert _options(response, "unit") == ["县农业农村局"]
    assert not _shows(response, "县教育局") and not _shows(response, "安阳县水利局")


def test_r_o4_village_list_filter_offers_only_own_townships(client, two_tiers, other_county):
    client.force_login(two_tiers["people"]["org"])
    response = _page(client, "/org/village/")
    assert _options(response, "township") == sorted(["菜园镇", "宜沟镇"])
    assert not _shows(response, "白璧镇")
    client.force_login(two_tiers["people"]["town_a"])
    response = _page(client, "/org/village/")
    assert _options(response, "township") == ["菜园镇"]
    assert not _shows(response, "宜沟镇") and not _shows(response, "白璧镇")


def test_r_o4_filtering_by_another_countys_unit_shows_nothing_of_it(client, two_tiers, other_county):
    client.force_login(two_tiers["people"]["org"])
    response = _page(client, "/org/cadre/", unit=other_county["unit"].pk)
    assert not _shows(response, "外县干部") and not _shows(response, "安阳县水利局")
    assert {c.name for c in response.context["object_list"]} == set()
