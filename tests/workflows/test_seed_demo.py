"""The demo county: believable tiers, categories, cadres and logins, built once however often it runs."""

import datetime
import re
from collections import Counter
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone
from guardian.models import UserObjectPermission

from dispatch.models import Pairing
from workflows.audit import audit_verify
from workflows.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_county_build
from workflows.models import AuditEvent, Cadre, County, Post, Role, Township, Unit, User, Village, VillageIncome
from workflows.selectors import target_village_filter, village_category_counts, villages_with_income

EXPECTED_POSTS = {
    "zuzhibu": (Role.ORG_DEPT, "county"),
    "shenji": (Role.AUDITOR, "county"),
    "danwei1": (Role.UNIT_HEAD, "unit"),
    "danwei2": (Role.UNIT_HEAD, "unit"),
    "fenguan1": (Role.UNIT_DEPUTY, "unit"),
    "xiangzhen1": (Role.TOWNSHIP_COMMITTEE, "township"),
}


@pytest.fixture
def demo(db):
    return demo_county_build()


def _check_digit(body: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_r_o1_demo_county_has_twelve_townships_180_villages_and_25_units(demo):
    assert County.objects.count() == 1
    assert demo.county.code == "410523"
    townships = Township.objects.filter(county=demo.county)
    assert townships.count() == 12
    assert set(townships.values_list("kind", flat=True)) == set(Township.Kind.values)
    assert Village.objects.filter(township__county=demo.county).count() == 180
    assert all(v.code.startswith(v.township.code) for v in Village.objects.select_related("township"))
    assert Unit.objects.filter(county=demo.county).count() == 25
    per_unit = Counter(Cadre.objects.values_list("unit_id", flat=True))
    assert sum(per_unit.values()) == 300
    assert len(per_unit) == 25
    assert all(10 <= n <= 16 for n in per_unit.values())


def test_r_o2_every_demo_unit_has_one_head_and_one_deputy_and_every_township_a_committee(demo):
    for unit in Unit.objects.all():
        assert Post.objects.active().filter(unit=unit, role=Role.UNIT_HEAD).count() == 1
        assert Post.objects.active().filter(unit=unit, role=Role.UNIT_DEPUTY).count() == 1
    for township in Township.objects.all():
        assert Post.objects.active().filter(township=township, role=Role.TOWNSHIP_COMMITTEE).count() == 1


def test_r_o3_demo_villages_carry_every_category_with_economic_ones_derived_from_income(demo):
    counts = village_category_counts(Village.objects.all())
    assert counts["total"] == 180
    assert 25 <= counts["economically_weak"] <= 45
    assert 3 <= counts["empty_shell"] <= 5
    assert 8 <= counts["weak_leadership"] <= 20
    assert 6 <= counts["election_difficult"] <= 16
    assert 12 <= counts["old_revolutionary"] <= 24
    assert 2 <= counts["ethnic_minority"] <= 8
    years = set(VillageIncome.objects.values_list("year", flat=True))
    assert years == {2024, 2025}
    assert VillageIncome.objects.count() == 180 * 2
    shells = [v for v in villages_with_income() if v.latest_own_income == 0]
    assert len(shells) == counts["empty_shell"]
    assert all(v.latest_income_year == 2025 for v in shells)


def test_every_demo_login_authenticates_and_holds_its_post(demo):
    assert [login["username"] for login in DEMO_LOGINS] == [
        "zuzhibu", "danwei1", "danwei2", "fenguan1", "xiangzhen1", "ganbu1", "shenji"]
    for login in DEMO_LOGINS:
        assert login["password"] == DEMO_PASSWORD == "Demo@2026"
        user = authenticate(username=login["username"], password=login["password"])
        assert user is not None, login["username"]
        posts = list(Post.objects.active().filter(user=user))
        if login["username"] == "ganbu1":
            assert posts == []
            continue
        role, tier = EXPECTED_POSTS[login["username"]]
        assert [(p.role, str(p.tier)) for p in posts] == [(role, login["where"])]
        assert getattr(posts[0], tier) is not None


def test_demo_cadre_login_is_a_reserve_cadre_of_the_agriculture_bureau(demo):
    cadre = Cadre.objects.select_related("unit").get(user__username="ganbu1")
    assert cadre.unit.name == "县农业农村局"
    assert cadre.is_reserve


def test_only_demo_logins_have_usable_passwords(demo):
    logins = {login["username"] for login in DEMO_LOGINS}
    usable = {u.username for u in User.objects.all() if u.has_usable_password()}
    assert usable == logins


def test_demo_cadres_have_valid_id_numbers_matching_birth_date_and_gender(demo):
    today = timezone.localdate()
    cadres = list(Cadre.objects.all())
    assert len({c.id_number for c in cadres}) == 300
    for cadre in cadres:
        number = cadre.id_number
        assert re.fullmatch(r"\d{17}[\dX]", number), number
        assert number[17] == _check_digit(number[:17]), number
        assert datetime.datetime.strptime(number[6:14], "%Y%m%d").date() == cadre.birth_date
        assert int(number[16]) % 2 == (1 if cadre.gender == Cadre.Gender.MALE else 0)
        age = today.year - cadre.birth_date.year - ((today.month, today.day) < (cadre.birth_date.month,
                                                                                cadre.birth_date.day))
        assert 26 <= age <= 50
        assert re.fullmatch(r"1[358]\d{9}", cadre.phone)


def test_demo_cadre_names_are_unique_within_each_unit(demo):
    pairs = list(Cadre.objects.values_list("unit_id", "name"))
    assert len(set(pairs)) == len(pairs)
    assert all(2 <= len(name) <= 3 for _unit, name in pairs)


def test_r_s3_demo_has_some_reserve_and_key_cultivation_cadres(demo):
    assert 35 <= Cadre.objects.filter(is_reserve=True).count() <= 55
    assert 20 <= Cadre.objects.filter(is_key_cultivation=True).count() <= 40


def test_r_s6_every_demo_target_village_is_paired_with_a_unit_this_year(demo):
    year = timezone.localdate().year
    per_unit = Counter(Pairing.objects.filter(year=year).values_list("unit_id", flat=True))
    assert len(per_unit) == 25
    assert all(2 <= n <= 4 for n in per_unit.values())
    targets = villages_with_income().filter(target_village_filter())
    assert targets.exists()
    assert not targets.exclude(pairings__year=year).exists()


def test_r_x1_audit_chain_verifies_after_seeding_and_each_post_was_audited(demo):
    report = audit_verify()
    assert report.ok, report.problem
    assert AuditEvent.objects.filter(action="post.appoint").count() == Post.objects.count() == 64


def test_seed_demo_twice_adds_no_rows_anywhere(db):
    call_command("seed_demo", stdout=StringIO())
    before = _row_counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert _row_counts() == before
    for model in (AuditEvent, Post, UserObjectPermission, Pairing, User, Cadre, Village, VillageIncome):
        assert before[model._meta.label] == model.objects.count()
    assert before[Post._meta.label] > 0 and before[UserObjectPermission._meta.label] > 0
    assert "本次新建 0 条记录" in out.getvalue()
    assert audit_verify().ok


def test_seed_demo_prints_a_table_of_logins_and_counts(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    for header in ("用户名", "密码", "角色", "所属", "行政村", "空壳村"):
        assert header in text
    for login in DEMO_LOGINS:
        line = next(line for line in text.splitlines() if line.startswith(login["username"] + " "))
        assert login["password"] in line and login["where"] in line
