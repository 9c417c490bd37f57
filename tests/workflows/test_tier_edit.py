"""The org dept edits the tiers in the pages, each change audited before and after (R-O1–R-O3, R-X1)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from tests.factories import CountyFactory, UnitFactory, UserFactory, VillageIncomeFactory, appoint
from workflows.models import AuditEvent, Cadre, Rank, Role, Township, Unit, Village, VillageCategory, VillageIncome
from workflows.services import cadre_update, unit_update, village_income_set


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def org(two_tiers):
    return _client(two_tiers["people"]["org"])


def _cadre_data(cadre: Cadre, **changes) -> dict:
    data = {
        "unit": cadre.unit_id,
        "rank": cadre.rank,
        "post_title": cadre.post_title,
        "phone": cadre.phone,
        "is_party_member": "on" if cadre.is_party_member else "",
        "is_reserve": "on" if cadre.is_reserve else "",
        "is_key_cultivation": "on" if cadre.is_key_cultivation else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_r_o1_org_dept_renames_a_unit_audited_with_before_and_after(two_tiers, org):
    unit = two_tiers["unit_a"]
    old_code = unit.code
    url = reverse("manage:unit_edit", args=[unit.pk])
    assert "县农业农村局" in org.get(url).content.decode()
    response = org.post(url, {"name": "县农业农村和水利局", "code": old_code})
    assert response.status_code == 302
    assert response["Location"] == unit.get_absolute_url()
    assert Unit.objects.get(pk=unit.pk).name == "县农业农村和水利局"
    event = AuditEvent.objects.get(action="unit.update")
    assert event.data == {"changed": {"name": ["县农业农村局", "县农业农村和水利局"]}}
    assert (event.actor, event.unit_id, event.county_id) == (two_tiers["people"]["org"], unit.pk, unit.county_id)


def test_r_x1_saving_without_a_change_writes_nothing(two_tiers, org):
    unit = two_tiers["unit_a"]
    before = AuditEvent.objects.count()
    response = org.post(reverse("manage:unit_edit", args=[unit.pk]), {"name": unit.name, "code": unit.code})
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before


def test_r_o1_unit_name_taken_in_the_county_is_refused_on_the_form(two_tiers, org):
    unit = two_tiers["unit_a"]
    before = AuditEvent.objects.count()
    response = org.post(reverse("manage:unit_edit", args=[unit.pk]), {"name": "县教育局", "code": unit.code})
    assert response.status_code == 200
    assert "本县已有名为「县教育局」的县直单位" in response.content.decode()
    assert Unit.objects.get(pk=unit.pk).name == "县农业农村局"
    assert AuditEvent.objects.count() == before


def test_r_o1_unit_code_taken_is_refused_on_the_form(two_tiers, org):
    unit = two_tiers["unit_a"]
    response = org.post(
        reverse("manage:unit_edit", args=[unit.pk]), {"name": unit.name, "code": two_tiers["unit_b"].code}
    )
    assert response.status_code == 200
    assert "已被其他单位使用" in response.content.decode()


def test_r_o1_township_name_and_kind_are_edited(two_tiers, org):
    town = two_tiers["town_a"]
    response = org.post(reverse("manage:township_edit", args=[town.pk]), {"name": "菜园街道", "kind": "subdistrict"})
    assert response.status_code == 302
    town = Township.objects.get(pk=town.pk)
    assert (town.name, town.kind) == ("菜园街道", Township.Kind.SUBDISTRICT)
    event = AuditEvent.objects.get(action="township.update")
    assert event.data["changed"] == {"name": ["菜园镇", "菜园街道"], "kind": ["town", "subdistrict"]}
    assert event.township_id == town.pk


def test_r_o3_village_flags_are_edited_and_only_changed_ones_recorded(two_tiers, org):
    village = two_tiers["village_a"]
    url = reverse("manage:village_edit", args=[village.pk])
    response = org.post(url, {"name": village.name, "is_weak_leadership": "on", "is_ethnic_minority": "on"})
    assert response.status_code == 302
    village = Village.objects.get(pk=village.pk)
    assert village.is_weak_leadership and village.is_ethnic_minority and not village.is_old_revolutionary
    event = AuditEvent.objects.get(action="village.update")
    assert event.data["changed"] == {"is_weak_leadership": [False, True], "is_ethnic_minority": [False, True]}
    assert event.township_id == village.township_id


def test_r_o3_village_income_is_added_then_replaced_audited(two_tiers, org):
    village = two_tiers["village_a"]
    url = reverse("manage:village_edit", args=[village.pk])
    response = org.post(url, {"action": "income", "year": 2025, "total_income": "50000", "subsidies": "30000"})
    assert response.status_code == 302
    income = VillageIncome.objects.get(village=village, year=2025)
    assert income.own_income == Decimal("20000")
    first = AuditEvent.objects.get(action="village.income_set")
    assert first.data == {"year": 2025, "changed": {"total_income": [None, "50000"], "subsidies": [None, "30000"]}}
    assert VillageCategory.ECONOMICALLY_WEAK in Village.objects.get(pk=village.pk).categories()

    org.post(url, {"action": "income", "year": 2025, "total_income": "50000", "subsidies": "10000"})
    assert VillageIncome.objects.get(village=village, year=2025).subsidies == Decimal("10000")
    second = AuditEvent.objects.filter(action="village.income_set").latest("seq")
    assert second.data == {"year": 2025, "changed": {"subsidies": ["30000.00", "10000"]}}
    before = AuditEvent.objects.count()
    org.post(url, {"action": "income", "year": 2025, "total_income": "50000", "subsidies": "10000"})
    assert AuditEvent.objects.count() == before
    assert VillageIncome.objects.filter(village=village).count() == 1


def test_r_o3_bad_income_is_refused_on_the_form(two_tiers, org):
    village = two_tiers["village_a"]
    url = reverse("manage:village_edit", args=[village.pk])
    response = org.post(url, {"action": "income", "year": 2025, "total_income": "10000", "subsidies": "20000"})
    assert response.status_code == 200
    assert "其中上级补助不能大于村集体收入" in response.content.decode()
    response = org.post(url, {"action": "income", "year": 2025, "total_income": "10000", "subsidies": "-1"})
    assert "上级补助不能为负数" in response.content.decode()
    assert not VillageIncome.objects.filter(village=village).exists()


def test_r_o2_cadre_flags_rank_unit_and_phone_are_edited(two_tiers, org):
    cadre = two_tiers["people"]["cadre_a"].cadre
    url = reverse("manage:cadre_edit", args=[cadre.pk])
    data = _cadre_data(
        cadre,
        unit=two_tiers["unit_b"].pk,
        rank=Rank.SECTION_DEPUTY,
        is_reserve="",
        is_key_cultivation="on",
        phone="138-0000-5678",
        post_title="副股长",
    )
    response = org.post(url, data)
    assert response.status_code == 302
    cadre = Cadre.objects.get(pk=cadre.pk)
    assert cadre.unit == two_tiers["unit_b"] and cadre.rank == Rank.SECTION_DEPUTY
    assert (cadre.is_reserve, cadre.is_key_cultivation, cadre.phone) == (False, True, "13800005678")
    changed = AuditEvent.objects.get(action="cadre.update").data["changed"]
    assert changed["unit"] == ["县农业农村局", "县教育局"]
    assert changed["is_reserve"] == [True, False]
    assert changed["rank"] == [Rank.STAFF, Rank.SECTION_DEPUTY]
    assert set(changed) == {"unit", "rank", "is_reserve", "is_key_cultivation", "phone", "post_title"}


def test_r_o2_cadre_cannot_move_to_another_countys_unit(two_tiers, org):
    cadre = two_tiers["people"]["cadre_a"].cadre
    far = UnitFactory(county=CountyFactory())
    before = AuditEvent.objects.count()
    response = org.post(reverse("manage:cadre_edit", args=[cadre.pk]), _cadre_data(cadre, unit=far.pk))
    assert response.status_code == 200
    assert "只能调入本县的单位" in response.content.decode()
    assert Cadre.objects.get(pk=cadre.pk).unit == two_tiers["unit_a"]
    assert AuditEvent.objects.count() == before
    with pytest.raises(Exception, match="只能调入本县的单位"):
        cadre_update(
            cadre=cadre,
            unit=far,
            rank=cadre.rank,
            post_title="",
            phone="",
            is_party_member=True,
            is_reserve=True,
            is_key_cultivation=False,
            by=two_tiers["people"]["org"],
        )


def test_r_o2_bad_cadre_phone_is_refused_on_the_form(two_tiers, org):
    cadre = two_tiers["people"]["cadre_a"].cadre
    response = org.post(reverse("manage:cadre_edit", args=[cadre.pk]), _cadre_data(cadre, phone="123"))
    assert response.status_code == 200
    assert "手机号应为 11 位" in response.content.decode()


@pytest.mark.parametrize("kind", ["unit", "township", "village", "cadre"])
def test_r_o4_detail_page_offers_edit_only_to_the_org_dept(two_tiers, kind):
    obj = {
        "unit": two_tiers["unit_a"],
        "township": two_tiers["town_a"],
        "village": two_tiers["village_a"],
        "cadre": two_tiers["people"]["cadre_a"].cadre,
    }[kind]
    edit_url = reverse(f"manage:{kind}_edit", args=[obj.pk])
    page = _client(two_tiers["people"]["org"]).get(obj.get_absolute_url()).content.decode()
    assert edit_url in page and "编辑" in page
    for who in ("auditor", "head_a", "town_a"):
        client = _client(two_tiers["people"][who])
        response = client.get(obj.get_absolute_url())
        if response.status_code == 200:
            assert edit_url not in response.content.decode()
        assert client.get(edit_url).status_code == 403
        assert client.post(edit_url, {"name": "越权"}).status_code == 403


def test_r_o4_org_dept_of_another_county_is_refused_403_and_nothing_written(two_tiers):
    other_org = appoint(UserFactory(), Role.ORG_DEPT, CountyFactory()).user
    client = _client(other_org)
    unit = two_tiers["unit_a"]
    before = AuditEvent.objects.filter(action="unit.update").count()
    url = reverse("manage:unit_edit", args=[unit.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "越权", "code": unit.code}).status_code == 403
    assert Unit.objects.get(pk=unit.pk).name == "县农业农村局"
    assert AuditEvent.objects.filter(action="unit.update").count() == before
    with pytest.raises(PermissionDenied):
        unit_update(unit=unit, name="越权", code=unit.code, by=other_org)
    with pytest.raises(PermissionDenied):
        village_income_set(
            village=two_tiers["village_a"], year=2025, total_income=Decimal(1), subsidies=Decimal(0), by=other_org
        )
    assert not VillageIncome.objects.exists()


def test_r_o3_village_page_lists_the_recorded_incomes(two_tiers, org):
    village = two_tiers["village_a"]
    VillageIncomeFactory(village=village, year=2024, total_income=40000, subsidies=5000)
    page = org.get(reverse("manage:village_edit", args=[village.pk])).content.decode()
    assert 'data-year="2024"' in page and "35000" in page


def test_r_x1_the_edit_reads_on_the_audit_trail_with_before_and_after(two_tiers, org):
    unit = two_tiers["unit_a"]
    org.post(reverse("manage:unit_edit", args=[unit.pk]), {"name": "县农业农村和水利局", "code": unit.code})
    event = AuditEvent.objects.get(action="unit.update")
    page = org.get(reverse("audit:event", args=[event.pk])).content.decode()
    assert "修改县直单位" in page
    assert "县农业农村局" in page and "县农业农村和水利局" in page
