"""Edge cases of the administration pages found walking them as the org dept and a superuser (R-O1, R-O4, R-X1)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory, appoint, valid_id_number
from workflows import accounts
from workflows.models import County, Post, Role
from workflows.services import county_create, person_create, post_appoint, post_end

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_r_o4_a_person_whose_last_post_ended_stays_listed_and_can_be_deactivated(two_tiers):
    org = two_tiers["people"]["org"]
    person = person_create(name="离任者", id_number=valid_id_number(811), by=org)
    post = appoint(person, Role.TOWNSHIP_COMMITTEE, two_tiers["town_a"], by=org)
    post_end(post=post, by=org, reason="调任")
    page = _client(org).get(reverse("manage:accounts"), {"q": "离任者"}).content.decode()
    assert f'data-testid="account-{person.username}"' in page
    assert accounts.may_administer(org, person)
    accounts.account_deactivate(user=person, by=org, reason="已调离")


def test_r_o4_a_deactivated_persons_id_number_says_to_restore_the_account_first(two_tiers):
    org = two_tiers["people"]["org"]
    person = person_create(name="停用者", id_number=valid_id_number(812), by=org)
    appoint(person, Role.TOWNSHIP_COMMITTEE, two_tiers["town_b"], by=org)
    accounts.account_deactivate(user=person, by=org, reason="已调离")
    with pytest.raises(ValidationError, match="账号已停用"):
        person_create(name="停用者", id_number=valid_id_number(812), by=org)


def test_r_o1_a_second_county_of_the_same_name_is_refused(two_tiers):
    root = UserFactory(username="root", is_superuser=True)
    with pytest.raises(ValidationError, match="已有名为"):
        county_create(code="410599", name=two_tiers["county"].name, by=root)
    assert County.objects.count() == 1


def test_r_o4_appointing_someone_to_the_post_they_hold_says_so(two_tiers):
    with pytest.raises(ValidationError, match="已在县农业农村局担任单位主要领导"):
        post_appoint(
            user=two_tiers["people"]["head_a"],
            role=Role.UNIT_HEAD,
            tier=two_tiers["unit_a"],
            by=two_tiers["people"]["org"],
        )


def test_r_o4_a_unit_chosen_for_a_township_post_is_refused_not_ignored(two_tiers):
    org = two_tiers["people"]["org"]
    response = _client(org).post(
        reverse("manage:post_appoint") + f"?county={two_tiers['county'].pk}",
        {
            "role": Role.TOWNSHIP_COMMITTEE,
            "unit": two_tiers["unit_a"].pk,
            "township": two_tiers["town_a"].pk,
            "new_name": "两处填",
            "new_id_number": valid_id_number(813),
        },
    )
    assert response.status_code == 200
    assert "不在县直单位任职" in response.content.decode()
    assert not Post.objects.filter(user__name="两处填").exists()


def test_r_o4_a_search_matching_more_people_than_it_lists_says_so(two_tiers):
    from workflows.views.posts import SEARCH_LIMIT

    for n in range(SEARCH_LIMIT + 1):
        UserFactory(username=f"jun{n}", name=f"王军{n}")
    org = two_tiers["people"]["org"]
    url = reverse("manage:post_appoint")
    page = _client(org).get(url, {"county": two_tiers["county"].pk, "q": "王军"}).content.decode()
    assert 'data-testid="more-found"' in page
    page = _client(org).get(url, {"county": two_tiers["county"].pk, "q": "王军1"}).content.decode()
    assert 'data-testid="more-found"' not in page
