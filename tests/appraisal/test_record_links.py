"""Record, certificate and promotion pages are linked where their readers work, never as a 403 (R-A3, R-A4)."""

import re

import pytest
from django.urls import reverse

from tests.appraisal import test_views_record

#: A cadre_a graded incompetent and a cadre_b graded excellent, both terms appraised.
graded = test_views_record.graded

ROLES = ["org", "auditor", "head_a", "deputy_a", "head_b", "town_a", "town_b", "cadre_a", "cadre_b", "outsider"]
LINKS = ("record-link", "certificate-link", "promotion-link")


def _links(html: str) -> dict[str, list[str]]:
    found = {name: [] for name in LINKS}
    for tag in re.findall(r"<a [^>]*>", html):
        testid = re.search(r'data-testid="([^"]+)"', tag)
        if testid and testid.group(1) in found:
            found[testid.group(1)].append(re.search(r'href="([^"]+)"', tag).group(1))
    return found


def _pages(w) -> list[str]:
    return [
        reverse("home:index"),
        reverse("dispatch:detail", args=[w["dispatch_a"].pk]),
        reverse("org:cadre:detail", args=[w["cadre_a"].pk]),
        reverse("appraisal:rounds"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_r_a4_every_record_certificate_and_promotion_link_opens_for_its_reader(client, graded, role):
    client.force_login(graded["people"][role])
    failures = {}
    for page in _pages(graded):
        response = client.get(page)
        if response.status_code != 200:
            continue
        for name, urls in _links(response.content.decode()).items():
            for url in urls:
                status = client.get(url).status_code
                if status != 200:
                    failures[(page, name, url)] = status
    assert failures == {}


def test_r_a4_cadre_home_links_own_record_and_certificate(client, graded):
    w = graded
    client.force_login(w["people"]["cadre_a"])
    links = _links(client.get(reverse("home:index")).content.decode())
    assert links["record-link"] == [reverse("appraisal:my_record")]
    assert links["certificate-link"] == [reverse("appraisal:certificate", args=[w["cadre_a"].pk])]
    assert links["promotion-link"] == []


def test_r_a4_cadre_still_stationed_is_told_when_the_certificate_comes(client, world):
    from tests.dispatch.test_team import stationed

    stationed(world["cadre_a"], world["village_a"])
    client.force_login(world["people"]["cadre_a"])
    html = client.get(reverse("home:index")).content.decode()
    assert _links(html)["certificate-link"] == []
    assert 'data-testid="certificate-later"' in html


@pytest.mark.parametrize("role", ["org", "auditor"])
def test_r_a3_county_readers_find_the_promotion_query_from_home_and_the_appraisal_pages(client, graded, role):
    client.force_login(graded["people"][role])
    promotion = reverse("appraisal:promotion")
    assert _links(client.get(reverse("home:index")).content.decode())["promotion-link"] == [promotion]
    assert _links(client.get(reverse("appraisal:rounds")).content.decode())["promotion-link"] == [promotion]


@pytest.mark.parametrize("page", ["dispatch", "cadre"])
def test_r_a4_org_dept_reaches_the_cadres_record_and_certificate_from_dispatch_and_cadre_pages(client, graded, page):
    w = graded
    url = {
        "dispatch": reverse("dispatch:detail", args=[w["dispatch_a"].pk]),
        "cadre": reverse("org:cadre:detail", args=[w["cadre_a"].pk]),
    }[page]
    client.force_login(w["people"]["org"])
    links = _links(client.get(url).content.decode())
    assert links["record-link"] == [reverse("appraisal:cadre_record", args=[w["cadre_a"].pk])]
    assert links["certificate-link"] == [reverse("appraisal:certificate", args=[w["cadre_a"].pk])]


def test_r_a4_unit_head_gets_the_record_but_no_certificate_link(client, graded):
    w = graded
    client.force_login(w["people"]["head_a"])
    links = _links(client.get(reverse("dispatch:detail", args=[w["dispatch_a"].pk])).content.decode())
    assert links["record-link"] == [reverse("appraisal:cadre_record", args=[w["cadre_a"].pk])]
    assert links["certificate-link"] == [] and links["promotion-link"] == []
