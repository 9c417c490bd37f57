"""An org dept administers only the accounts wholly of its county, and never the auditor's (R-O4, R-X1).

Appointing someone of county A to a post in county B must not hand county B the keys to the account county A gave
them: B's org dept may neither reset it nor deactivate it, nor read it on the deactivation page.
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import CountyFactory, UnitFactory, UserFactory, appoint
from workflows import accounts
from workflows.models import ActivationCode, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_b(two_tiers):
    county = CountyFactory(code="410522", name="安阳县")
    org_b = UserFactory(username="org_b", name="安阳县组织部")
    appoint(org_b, Role.ORG_DEPT, county)
    return {"county": county, "org": org_b, "unit": UnitFactory(county=county, name="安阳县水利局")}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_r_o4_appointing_another_countys_org_dept_member_does_not_let_the_appointer_reset_them(two_tiers, county_b):
    org_a = two_tiers["people"]["org"]
    appoint(org_a, Role.UNIT_DEPUTY, county_b["unit"], by=county_b["org"])
    assert not accounts.may_administer(county_b["org"], org_a)
    response = _client(county_b["org"]).post(
        reverse("manage:account_code", args=[org_a.pk]), {"purpose": "reset", "replaces": "0"}
    )
    assert response.status_code == 403
    assert not ActivationCode.objects.filter(user=org_a).exists()


def test_r_o4_another_countys_org_dept_cannot_read_an_account_on_the_deactivation_page(two_tiers, county_b):
    cadre = two_tiers["people"]["cadre_a"]
    response = _client(county_b["org"]).get(reverse("manage:account_deactivate", args=[cadre.pk]))
    assert response.status_code == 403
    assert "李卫东" not in response.content.decode()
    response = _client(county_b["org"]).post(reverse("manage:account_deactivate", args=[cadre.pk]), {"reason": "调离"})
    assert response.status_code == 403
    assert User.objects.get(pk=cadre.pk).is_active


def test_r_x1_the_org_dept_does_not_administer_the_auditor_it_is_checked_by(two_tiers):
    org, auditor = two_tiers["people"]["org"], two_tiers["people"]["auditor"]
    assert not accounts.may_administer(org, auditor)
    assert accounts.may_administer(org, two_tiers["people"]["town_a"])
    page = _client(org).get(reverse("manage:accounts"), {"q": "auditor"}).content.decode()
    assert "由系统管理员管理" in page
    assert f'data-testid="issue-{auditor.username}"' not in page
    url = reverse("manage:account_code", args=[auditor.pk])
    response = _client(org).post(url, {"purpose": "reset", "replaces": "0"})
    assert response.status_code == 403


def test_r_o4_a_person_of_another_county_cannot_be_appointed_by_posting_their_pk(two_tiers, county_b):
    stranger = two_tiers["people"]["head_b"]  # a unit head of county A
    response = _client(county_b["org"]).post(
        reverse("manage:post_appoint") + f"?county={county_b['county'].pk}",
        {"role": Role.UNIT_DEPUTY, "unit": county_b["unit"].pk, "person": stranger.pk, "title": ""},
    )
    assert response.status_code == 200
    assert "所选人员不存在或已停用" in response.content.decode()
    assert not stranger.posts.filter(unit=county_b["unit"]).exists()


def test_r_o4_search_does_not_list_another_countys_people_by_name(two_tiers, county_b):
    page = (
        _client(county_b["org"])
        .get(reverse("manage:post_appoint"), {"county": county_b["county"].pk, "q": "农业局"})
        .content.decode()
    )
    assert "农业局张局长" not in page


def test_r_x1_a_password_like_the_persons_id_number_is_refused(two_tiers):
    from django.core.exceptions import ValidationError

    person = User.objects.get(username="town_a")
    person.id_number = "410523198504245551"
    person.save(update_fields=["id_number"])
    code = accounts.activation_code_issue(user=person, by=two_tiers["people"]["org"], purpose="reset", replaces=0)
    with pytest.raises(ValidationError):
        accounts.account_activate(username="town_a", code=code, new_password="410523198504245551x")
    assert ActivationCode.objects.get(user=person).used_at is None
