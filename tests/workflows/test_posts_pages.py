"""The org dept's posts pages: appointing and ending posts in the pages, with grants at once (R-O2, R-O4, R-X1)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import CadreFactory, CountyFactory, UnitFactory, UserFactory, appoint, valid_id_number
from workflows.models import AuditEvent, County, Post, Role, User
from workflows.services import person_create

NEW_ID = valid_id_number(777)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _appoint_url(county, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"county": county.pk, **params}.items())
    return f"{reverse('manage:post_appoint')}?{query}"


def _written():
    return Post.objects.count(), User.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def org(two_tiers):
    return _client(two_tiers["people"]["org"])


def test_r_o4_posts_page_lists_the_countys_active_posts_with_filters(two_tiers, org):
    url = reverse("manage:posts")
    page = org.get(url).content.decode()
    for name in ("组织部王科长", "农业局张局长", "菜园镇党委陈书记"):
        assert name in page
    only_heads = org.get(url, {"role": Role.UNIT_HEAD}).content.decode()
    assert "农业局张局长" in only_heads and "教育局赵局长" in only_heads
    assert "菜园镇党委陈书记" not in only_heads
    in_town_a = org.get(url, {"tier": f"township:{two_tiers['town_a'].pk}"}).content.decode()
    assert "菜园镇党委陈书记" in in_town_a and "宜沟镇党委孙书记" not in in_town_a
    searched = org.get(url, {"q": "赵局长"}).content.decode()
    assert "教育局赵局长" in searched and "农业局张局长" not in searched


def test_r_o4_org_dept_appoints_a_new_person_and_the_grant_works_at_once(two_tiers, org):
    """A township committee member created in the form opens the township's pages at once; ended, refused at once."""
    town = two_tiers["town_a"]
    response = org.post(
        _appoint_url(two_tiers["county"]),
        {
            "role": Role.TOWNSHIP_COMMITTEE,
            "township": town.pk,
            "title": "党委副书记",
            "new_name": "周新任",
            "new_id_number": NEW_ID.lower(),
            "new_phone": "139 0000 1234",
        },
    )
    assert response.status_code == 302
    person = User.objects.get(name="周新任")
    assert person.username == "13900001234"
    assert person.id_number == NEW_ID
    assert not person.has_usable_password()
    post = Post.objects.active().get(user=person)
    assert (post.role, post.township, post.title) == (Role.TOWNSHIP_COMMITTEE, town, "党委副书记")
    assert AuditEvent.objects.filter(action="person.create", object_id=str(person.pk)).exists()
    assert AuditEvent.objects.filter(action="post.appoint", township=town, data__post=post.pk).exists()
    listed = org.get(reverse("manage:posts")).content.decode()
    assert "周新任" in listed and "党委副书记" in listed

    person_client = _client(person)
    detail = reverse("org:township:detail", args=[town.pk])
    assert person_client.get(detail).status_code == 200

    end_url = reverse("manage:post_end", args=[post.pk])
    assert "确认免去此职务" in org.get(end_url).content.decode()
    assert org.post(end_url, {"reason": "工作调动"}).status_code == 302
    assert Post.objects.get(pk=post.pk).ended_at is not None
    assert AuditEvent.objects.get(action="post.end", data__post=post.pk).reason == "工作调动"
    assert person_client.get(detail).status_code == 403
    ended = org.get(reverse("manage:posts"), {"state": "ended"}).content.decode()
    assert "周新任" in ended and "工作调动" in ended


def test_r_o4_appoint_an_existing_cadre_found_by_id_number(two_tiers, org):
    """A person may hold several posts: a cadre is found by the ID number on their cadre record."""
    cadre = two_tiers["people"]["cadre_b"].cadre
    page = org.get(_appoint_url(two_tiers["county"], q=cadre.id_number)).content.decode()
    assert cadre.name in page
    response = org.post(
        _appoint_url(two_tiers["county"], q=cadre.id_number),
        {"role": Role.AUDITOR, "person": cadre.user.pk},
    )
    assert response.status_code == 302
    assert Post.objects.active().filter(user=cadre.user, role=Role.AUDITOR, county=two_tiers["county"]).exists()


def test_r_o4_search_finds_accounts_by_name(two_tiers, org):
    page = org.get(_appoint_url(two_tiers["county"], q="孙书记")).content.decode()
    assert "宜沟镇党委孙书记" in page
    assert "没有找到此人" in org.get(_appoint_url(two_tiers["county"], q="查无此人")).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"new_name": "重号", "new_id_number": "DUP"}, "已有人员登记"),
        ({"new_name": "错号", "new_id_number": NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")}, "校验位错误"),
        ({"new_name": "短号", "new_id_number": "41052319"}, "应为 18 位"),
        ({"new_name": "", "new_id_number": NEW_ID}, "请填写姓名"),
        ({"new_name": "坏手机", "new_id_number": NEW_ID, "new_phone": "12345"}, "手机号应为 11 位"),
        ({}, "请查找并选择任职人员"),
    ],
)
def test_r_o4_bad_person_is_refused_on_the_form_and_nothing_written(two_tiers, org, data, message):
    if data.get("new_id_number") == "DUP":
        data["new_id_number"] = two_tiers["people"]["cadre_a"].cadre.id_number
    before = _written()
    response = org.post(
        _appoint_url(two_tiers["county"]),
        {"role": Role.TOWNSHIP_COMMITTEE, "township": two_tiers["town_b"].pk, **data},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _written() == before


def test_r_o2_second_unit_head_is_refused_on_the_form_and_nothing_written(two_tiers, org):
    before = _written()
    response = org.post(
        _appoint_url(two_tiers["county"]),
        {"role": Role.UNIT_HEAD, "unit": two_tiers["unit_a"].pk, "new_name": "钱二", "new_id_number": NEW_ID},
    )
    assert response.status_code == 200
    assert "已有在任的单位主要领导" in response.content.decode()
    assert _written() == before
    assert not User.objects.filter(name="钱二").exists()


def test_r_o4_unit_of_another_county_or_no_unit_is_refused_on_the_form(two_tiers, org):
    other_unit = UnitFactory(county=CountyFactory())
    person = two_tiers["people"]["outsider"]
    before = _written()
    response = org.post(
        _appoint_url(two_tiers["county"]), {"role": Role.UNIT_DEPUTY, "unit": other_unit.pk, "person": person.pk}
    )
    assert "所选单位不是本县的县直单位" in response.content.decode()
    response = org.post(_appoint_url(two_tiers["county"]), {"role": Role.UNIT_DEPUTY, "person": person.pk})
    assert "请选择任职的县直单位" in response.content.decode()
    assert _written() == before


def test_r_o4_post_already_held_is_refused_on_the_form(two_tiers, org):
    town_a_member = two_tiers["people"]["town_a"]
    before = _written()
    response = org.post(
        _appoint_url(two_tiers["county"]),
        {"role": Role.TOWNSHIP_COMMITTEE, "township": two_tiers["town_a"].pk, "person": town_a_member.pk},
    )
    assert "已在菜园镇担任乡镇党委" in response.content.decode()
    assert _written() == before


def test_r_o4_ending_a_post_twice_says_so_and_writes_nothing(two_tiers, org):
    post = Post.objects.active().get(role=Role.UNIT_DEPUTY, unit=two_tiers["unit_a"])
    url = reverse("manage:post_end", args=[post.pk])
    assert org.post(url, {"reason": "退休"}).status_code == 302
    before = _written()
    response = org.post(url, {"reason": "再次"})
    assert response.status_code == 200
    assert "该职务已经免去" in response.content.decode()
    assert _written() == before


def test_r_o4_ending_a_post_needs_a_reason(two_tiers, org):
    post = Post.objects.active().get(role=Role.UNIT_DEPUTY, unit=two_tiers["unit_a"])
    response = org.post(reverse("manage:post_end", args=[post.pk]), {"reason": ""})
    assert response.status_code == 200
    assert Post.objects.get(pk=post.pk).ended_at is None


def test_r_o4_org_dept_of_another_county_is_refused_403_and_nothing_written(two_tiers):
    other = CountyFactory()
    other_org = appoint(UserFactory(), Role.ORG_DEPT, other).user
    client = _client(other_org)
    county = two_tiers["county"]
    post = Post.objects.active().get(role=Role.UNIT_HEAD, unit=two_tiers["unit_a"])
    before = Post.objects.count(), User.objects.count()
    assert client.get(reverse("manage:posts"), {"county": county.pk}).status_code == 403
    assert client.get(_appoint_url(county)).status_code == 403
    response = client.post(
        _appoint_url(county),
        {
            "role": Role.TOWNSHIP_COMMITTEE,
            "township": two_tiers["town_a"].pk,
            "new_name": "越权",
            "new_id_number": NEW_ID,
        },
    )
    assert response.status_code == 403
    assert client.post(reverse("manage:post_end", args=[post.pk]), {"reason": "越权"}).status_code == 403
    assert (Post.objects.count(), User.objects.count()) == before
    assert Post.objects.get(pk=post.pk).ended_at is None
    own = client.get(reverse("manage:posts")).content.decode()
    assert "农业局张局长" not in own


@pytest.mark.parametrize("who", ["head_a", "auditor", "town_a", "cadre_a"])
def test_r_o4_other_roles_are_refused_the_posts_pages(two_tiers, who):
    client = _client(two_tiers["people"][who])
    post = Post.objects.active().get(role=Role.UNIT_HEAD, unit=two_tiers["unit_b"])
    assert client.get(reverse("manage:posts")).status_code == 403
    assert client.post(_appoint_url(two_tiers["county"]), {"role": Role.AUDITOR}).status_code == 403
    assert client.post(reverse("manage:post_end", args=[post.pk]), {"reason": "x"}).status_code == 403
    assert Post.objects.get(pk=post.pk).ended_at is None


def test_anonymous_visitor_is_sent_to_sign_in(db):
    response = Client().get(reverse("manage:posts"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_r_o1_superuser_creates_a_county_and_appoints_its_first_org_dept(db):
    admin = User.objects.create_superuser("root", password="pass-for-tests-1")
    client = _client(admin)
    page = client.get(reverse("manage:posts")).content.decode()
    assert "新建县" in page
    response = client.post(reverse("manage:posts"), {"code": "410599", "name": "新县"})
    assert response.status_code == 302
    county = County.objects.get(code="410599")
    assert AuditEvent.objects.filter(action="county.create", county=county).exists()
    response = client.post(
        response["Location"],
        {"role": Role.ORG_DEPT, "new_name": "首任部长", "new_id_number": NEW_ID},
    )
    assert response.status_code == 302
    head = User.objects.get(name="首任部长")
    assert head.username == NEW_ID
    assert Post.objects.active().filter(user=head, role=Role.ORG_DEPT, county=county).exists()
    assert "首任部长" in _client(head).get(reverse("manage:posts")).content.decode()


def test_r_o1_duplicate_county_code_is_refused_on_the_form(db):
    CountyFactory(code="410599")
    client = _client(User.objects.create_superuser("root", password="pass-for-tests-1"))
    response = client.post(reverse("manage:posts"), {"code": "410599", "name": "重复县"})
    assert response.status_code == 200
    assert "已被使用" in response.content.decode()
    assert County.objects.count() == 1


def test_r_o1_only_a_superuser_creates_a_county(two_tiers, org):
    response = org.post(reverse("manage:posts"), {"code": "410598", "name": "越权县"})
    assert response.status_code == 403
    assert not County.objects.filter(code="410598").exists()


def test_r_x1_person_create_names_the_account_by_id_number_when_the_mobile_is_taken(two_tiers):
    UserFactory(username="13900001234")
    person = person_create(name="孙某", id_number=NEW_ID, phone="13900001234", by=two_tiers["people"]["org"])
    assert person.username == NEW_ID
    event = AuditEvent.objects.get(action="person.create", object_id=str(person.pk))
    assert NEW_ID not in str(event.data)


def test_r_o4_cadre_search_is_limited_to_the_countys_cadres(two_tiers, org):
    far = CadreFactory(unit=UnitFactory(county=CountyFactory()), user=UserFactory(name="远方干部"))
    page = org.get(_appoint_url(two_tiers["county"], q=far.id_number)).content.decode()
    assert "远方干部" not in page


def test_r_o4_search_finds_a_person_by_the_id_number_on_their_account_with_their_posts(two_tiers, org):
    person = person_create(name="郑某", id_number=NEW_ID, by=two_tiers["people"]["org"])
    appoint(person, Role.AUDITOR, two_tiers["county"])
    page = org.get(_appoint_url(two_tiers["county"], q=NEW_ID.lower())).content.decode()
    listed = page[page.index('data-testid="candidate-list"') :].split("</table>")[0]
    assert "郑某" in listed and "汤阴县 · 审计员" in listed
    assert NEW_ID not in listed  # shown masked
