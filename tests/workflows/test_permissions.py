"""The permission matrix: each role against objects inside and outside its tier (R-O4)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from workflows.models import Post
from workflows.permissions import (
    APPROVE_NOMINATIONS,
    COORDINATE_COUNTY,
    DECIDE_LEAVE,
    MANAGE_STATIONED,
    NOMINATE_CADRES,
    REVIEW_AUDIT,
    acting_on,
    may,
    may_view,
    visible_to,
)
from workflows.services import post_end

ROLES = ["org", "auditor", "head_a", "deputy_a", "head_b", "town_a", "town_b", "cadre_a", "outsider", "anonymous"]
OBJECTS = ["county", "unit_a", "unit_b", "town_a", "town_b", "village_a", "village_b", "cadre_a", "cadre_b"]

# Who may read each object: the org dept and the auditor everything, a tier its own, a cadre itself.
VIEWERS = {
    "county": {"org", "auditor"},
    "unit_a": {"org", "auditor", "head_a", "deputy_a"},
    "unit_b": {"org", "auditor", "head_b"},
    "town_a": {"org", "auditor", "town_a"},
    "town_b": {"org", "auditor", "town_b"},
    "village_a": {"org", "auditor", "town_a"},
    "village_b": {"org", "auditor", "town_b"},
    "cadre_a": {"org", "auditor", "head_a", "deputy_a", "cadre_a"},
    "cadre_b": {"org", "auditor", "head_b", "cadre_b"},
}

# Who may act: (permission, object) -> the only roles that may.
ACTORS = {
    (NOMINATE_CADRES, "unit_a"): {"head_a", "deputy_a"},
    (APPROVE_NOMINATIONS, "unit_a"): {"head_a"},
    (APPROVE_NOMINATIONS, "cadre_a"): {"head_a"},
    (APPROVE_NOMINATIONS, "unit_b"): {"head_b"},
    (MANAGE_STATIONED, "town_a"): {"town_a"},
    (DECIDE_LEAVE, "town_a"): {"town_a"},
    (DECIDE_LEAVE, "village_b"): {"town_b"},
    (COORDINATE_COUNTY, "county"): {"org"},
    (COORDINATE_COUNTY, "village_a"): {"org"},
    (REVIEW_AUDIT, "county"): {"org", "auditor"},
}


def _user(tiers, role):
    return AnonymousUser() if role == "anonymous" else tiers["people"][role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", OBJECTS)
def test_r_o4_each_role_views_only_inside_its_tier(two_tiers, role, obj):
    assert may_view(_user(two_tiers, role), two_tiers[obj]) is (role in VIEWERS[obj])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("perm", "obj"), list(ACTORS))
def test_r_o4_each_role_acts_only_inside_its_tier(two_tiers, role, perm, obj):
    assert may(_user(two_tiers, role), perm, two_tiers[obj]) is (role in ACTORS[(perm, obj)])


def test_r_o4_auditor_reads_everything_and_acts_on_nothing(two_tiers):
    auditor = two_tiers["people"]["auditor"]
    assert all(may_view(auditor, two_tiers[o]) for o in OBJECTS)
    acting = [perm for perm, obj in ACTORS if perm != REVIEW_AUDIT and may(auditor, perm, two_tiers[obj])]
    assert acting == []


@pytest.mark.parametrize("role", ROLES)
def test_r_o4_list_filter_agrees_with_object_check(two_tiers, role):
    from workflows.models import Cadre, Township, Unit, Village

    user = _user(two_tiers, role)
    for model in (Unit, Township, Village, Cadre):
        listed = set(visible_to(user, model.objects.all()))
        allowed = {o for o in model.objects.all() if may_view(user, o)}
        assert listed == allowed, model


def test_r_o4_acting_on_lists_only_units_the_head_may_approve(two_tiers):
    from workflows.models import Unit

    assert list(acting_on(two_tiers["people"]["head_a"], APPROVE_NOMINATIONS, Unit.objects.all())) == [
        two_tiers["unit_a"]
    ]
    assert list(acting_on(two_tiers["people"]["deputy_a"], APPROVE_NOMINATIONS, Unit.objects.all())) == []


def test_r_o4_removed_post_loses_access_at_once(two_tiers):
    head = two_tiers["people"]["head_a"]
    unit = two_tiers["unit_a"]
    assert may(head, APPROVE_NOMINATIONS, unit)
    post = Post.objects.active().get(user=head, unit=unit)
    post_end(post=post, by=two_tiers["people"]["org"], reason="调任")
    # The same user object, mid-request: no cached grant survives.
    assert not may(head, APPROVE_NOMINATIONS, unit)
    assert not may_view(head, unit)
    assert not may_view(head, two_tiers["cadre_a"])


def test_r_o4_removed_post_keeps_grants_another_post_still_gives(two_tiers):
    """A member of two township committees keeps the grants of the post still held."""
    from tests.factories import appoint
    from workflows.models import Role

    town_user = two_tiers["people"]["town_a"]
    appoint(town_user, Role.TOWNSHIP_COMMITTEE, two_tiers["town_b"])
    post = Post.objects.active().get(user=town_user, township=two_tiers["town_a"])
    post_end(post=post, by=None, reason="调整分工")
    assert not may(town_user, DECIDE_LEAVE, two_tiers["town_a"])
    assert may(town_user, DECIDE_LEAVE, two_tiers["town_b"])


def test_r_o4_page_access_goes_the_moment_the_post_ends(client, two_tiers):
    head = two_tiers["people"]["head_a"]
    unit = two_tiers["unit_a"]
    client.force_login(head)
    url = f"/org/unit/{unit.pk}/detail/"
    assert client.get(url).status_code == 200
    post_end(post=Post.objects.active().get(user=head, unit=unit), by=None, reason="免职")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    ("role", "url_object", "status"),
    [
        ("head_a", "unit_a", 200),
        ("head_a", "unit_b", 403),
        ("deputy_a", "unit_a", 200),
        ("town_a", "unit_a", 403),
        ("org", "unit_b", 200),
        ("auditor", "unit_b", 200),
        ("outsider", "unit_a", 403),
    ],
)
def test_r_o4_unit_detail_page_inside_and_outside_the_tier(client, two_tiers, role, url_object, status):
    client.force_login(two_tiers["people"][role])
    assert client.get(f"/org/unit/{two_tiers[url_object].pk}/detail/").status_code == status


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("town_a", ["东官庄村"]),
        ("town_b", ["西街村"]),
        ("org", ["东官庄村", "西街村"]),
        ("auditor", ["东官庄村", "西街村"]),
    ],
)
def test_r_o4_village_list_page_shows_only_the_township_villages(client, two_tiers, role, expected):
    client.force_login(two_tiers["people"][role])
    page = client.get("/org/village/").content.decode()
    for name in ["东官庄村", "西街村"]:
        assert (name in page) is (name in expected)


def test_r_o4_cadre_sees_only_their_own_record_in_the_list(client, two_tiers):
    client.force_login(two_tiers["people"]["cadre_a"])
    page = client.get("/org/cadre/").content.decode()
    assert "李卫东" in page and "王秀英" not in page
    assert client.get(f"/org/cadre/{two_tiers['cadre_b'].pk}/detail/").status_code == 403


def test_r_o4_anonymous_is_sent_to_log_in(client, two_tiers):
    response = client.get("/org/unit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_r_o4_person_without_post_cannot_open_tier_lists(client, two_tiers):
    client.force_login(two_tiers["people"]["outsider"])
    for url in ("/org/unit/", "/org/township/", "/org/village/", "/org/cadre/"):
        assert client.get(url).status_code == 403


def test_r_o4_admin_is_closed_to_every_tier_role(client, two_tiers):
    for role in ("org", "auditor", "head_a", "town_a", "cadre_a"):
        client.force_login(two_tiers["people"][role])
        response = client.get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
