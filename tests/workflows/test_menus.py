"""The site menu lists only what the user may open; a refusal keeps the site's frame and a way back (R-O4)."""

import re

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from project.site import site
from tests.dispatch.test_team import stationed
from workflows.models import AuditEvent

ROLES = ["org", "auditor", "head_a", "deputy_a", "town_a", "cadre_a", "outsider"]


@pytest.fixture
def menu_world(world):
    """world with cadre_a stationed in village_a, so that the cadre has attendance and leave to open."""
    w = dict(world)
    w["dispatch"] = stationed(w["cadre_a"], w["village_a"])
    return w


def _menu(html: str) -> list[str]:
    """The areas' links of the site menu (the drawer's primary part; the account links are below it)."""
    primary = html.split('class="vf-page__menu-primary"', 1)[1].split('class="vf-page__menu-secondary"', 1)[0]
    return re.findall(r'href="([^"]+)"', primary)


def _lands_on(client, url):
    response = client.get(url, follow=True)
    return response.status_code, response.redirect_chain[-1][0] if response.redirect_chain else url


@pytest.mark.parametrize("role", ROLES)
def test_r_o4_every_menu_entry_opens_and_every_hidden_one_refuses(client, menu_world, role):
    client.force_login(menu_world["people"][role])
    shown = _menu(client.get(reverse("home:index")).content.decode())
    every = [app.reverse("index") for app in site.menu_items()]
    assert shown and set(shown) <= set(every)
    opened = {url: _lands_on(client, url) for url in shown}
    assert {url: status for url, (status, _end) in opened.items() if status != 200} == {}
    # An entry that leads back to the home page is a dead end, not a page of its area.
    assert [url for url, (_status, end) in opened.items() if end == reverse("home:index") and url != end] == []
    refused = {url: _lands_on(client, url)[0] for url in every if url not in shown}
    assert {url: status for url, status in refused.items() if status != 403} == {}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("org", 9),
        ("auditor", 8),
        ("head_a", 6),
        ("deputy_a", 6),
        ("town_a", 6),
        ("cadre_a", 6),
        ("outsider", 2),
    ],
)
def test_r_o4_each_role_sees_its_own_number_of_areas(client, menu_world, role, expected):
    client.force_login(menu_world["people"][role])
    assert len(_menu(client.get(reverse("home:index")).content.decode())) == expected


def test_r_o4_a_cadre_not_stationed_sees_no_attendance_area(client, world):
    client.force_login(world["people"]["cadre_b"])
    shown = _menu(client.get(reverse("home:index")).content.decode())
    assert reverse("leave:index") not in shown
    assert reverse("appraisal:index") in shown
    assert client.get(reverse("leave:index")).status_code == 403


def test_the_refusal_page_keeps_the_sites_frame_and_a_way_back(client, menu_world):
    client.force_login(menu_world["people"]["cadre_a"])
    came_from = "http://testserver" + reverse("dispatch:list")
    response = client.get(reverse("audit:index"), HTTP_REFERER=came_from)
    assert response.status_code == 403
    html = response.content.decode()
    assert "只有县委组织部和审计员可以审阅审计记录。" in html
    assert _menu(html) == _menu(client.get(reverse("home:index")).content.decode())
    assert f'href="{came_from}" data-testid="refusal-back"' in html
    assert f'href="{reverse("home:index")}" data-testid="refusal-home"' in html
    assert 'class="vc-lang"' in html  # the language switch of the top bar


def test_the_refusal_page_offers_no_way_back_to_another_site(client, menu_world):
    client.force_login(menu_world["people"]["cadre_a"])
    response = client.get(reverse("audit:index"), HTTP_REFERER="https://evil.example/phish")
    html = response.content.decode()
    assert response.status_code == 403 and "evil.example" not in html
    assert 'data-testid="refusal-home"' in html


def test_r_x1_a_refused_task_is_still_audited_and_refused_inside_the_frame(client, menu_world):
    from dispatch import services

    w = menu_world
    nominated = services.dispatch_nominate(
        cadre=w["plain_a"], village=w["village_a2"], year=2026, by=w["people"]["head_a"]
    )
    task = Task.objects.filter(
        process__artifact_object_id=nominated.pk, flow_task_type="HUMAN", finished__isnull=True
    ).get()
    client.force_login(w["people"]["head_b"])
    before = AuditEvent.objects.filter(action="task.refused").count()
    response = client.get(task.reverse("execute"))
    assert response.status_code == 403
    assert "您无权办理此事项。" in response.content.decode()
    assert _menu(response.content.decode())
    assert AuditEvent.objects.filter(action="task.refused").count() == before + 1
