"""The township's team page: stationed cadres, one team leader, mentors, work groups of 2–3 villages (R-M4, R-O4)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dispatch import services
from dispatch.models import Dispatch, DispatchState, Pairing, TeamLeader, WorkGroup
from tests.factories import CadreFactory, DispatchFactory, UserFactory, VillageFactory, advance
from workflows.models import AuditEvent, Post, Role

TEAM = reverse("dispatch:team")


def stationed(cadre, village, *, on=datetime.date(2026, 3, 5)) -> Dispatch:
    """Nominate, approve, train, arrange and station one cadre through the services; return the dispatch."""
    return DispatchFactory(stationed=True, cadre=cadre, village=village, on=on)


def carry_to_stationed(dispatch: Dispatch, *, on: datetime.date) -> Dispatch:
    """Take a nominated dispatch through approval, training and arrangements to stationed on `on`."""
    return advance(dispatch, to="stationed", on=on)


@pytest.fixture
def team(world):
    """Two cadres stationed in 菜园镇 (town_a), one in 宜沟镇 (town_b), and two more villages in town_a."""
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"])
    w["d_plain"] = stationed(w["plain_a"], w["village_a2"])
    w["d_b"] = stationed(w["cadre_b"], w["village_b"])
    w["village_a3"] = VillageFactory(township=w["town_a"], name="南关村")
    w["village_a4"] = VillageFactory(township=w["town_a"], name="北关村")
    return w


# --- Page access (R-O4) ---------------------------------------------------------------------------


def test_r_m4_township_sees_its_stationed_cadres_with_village_unit_date_and_mentor(client, team):
    services.mentor_assign(dispatch=team["d_a"], mentor=team["mentor_a"], by=team["people"]["town_a"])
    client.force_login(team["people"]["town_a"])
    response = client.get(TEAM)
    assert response.status_code == 200
    page = response.content.decode()
    assert [d.pk for d in response.context["stationed"]] == [team["d_a"].pk, team["d_plain"].pk]
    for text in ("李卫东", "赵普通", "东官庄村", "西官庄村", "县农业农村局", "2026-03-05"):
        assert text in page
    assert "王秀英" not in page  # stationed in the other township
    assert response.context["can_manage"] is True
    row = next(d for d in response.context["stationed"] if d.pk == team["d_a"].pk)
    assert row.mentor_form.initial["mentor"] == team["mentor_a"].pk


@pytest.mark.parametrize("role", ["org", "auditor"])
def test_r_o4_org_dept_and_auditor_view_any_township_read_only(client, team, role):
    client.force_login(team["people"][role])
    response = client.get(TEAM, {"township": team["town_b"].pk})
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert "王秀英" in response.content.decode()
    assert 'name="action"' not in response.content.decode()
    response = client.post(f"{TEAM}?township={team['town_b'].pk}", {"action": "leader", "dispatch": team["d_b"].pk})
    assert response.status_code == 403
    assert not TeamLeader.objects.exists()


@pytest.mark.parametrize("role", ["head_a", "deputy_a", "cadre_a", "outsider"])
def test_r_o4_team_page_refused_outside_the_township_tier(client, team, role):
    client.force_login(team["people"][role])
    assert client.get(TEAM).status_code == 403


def test_r_o4_township_cannot_open_or_change_another_townships_team(client, team):
    client.force_login(team["people"]["town_b"])
    assert client.get(TEAM, {"township": team["town_a"].pk}).status_code == 403
    response = client.post(f"{TEAM}?township={team['town_a'].pk}", {"action": "leader", "dispatch": team["d_a"].pk})
    assert response.status_code == 403
    assert not TeamLeader.objects.exists()


def test_team_page_requires_login(client, team):
    response = client.get(TEAM)
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- Team leader (R-M4) ---------------------------------------------------------------------------


def test_r_m4_township_names_a_team_leader_among_its_stationed_cadres(client, team):
    client.force_login(team["people"]["town_a"])
    response = client.post(f"{TEAM}?township={team['town_a'].pk}", {"action": "leader", "dispatch": team["d_a"].pk})
    assert response.status_code == 302
    assert TeamLeader.objects.get(township=team["town_a"]).dispatch_id == team["d_a"].pk
    assert "领队" in client.get(TEAM).content.decode()


def test_r_m4_only_one_team_leader_per_township_naming_another_replaces_it_audited(client, team):
    town_a = team["people"]["town_a"]
    client.force_login(town_a)
    client.post(TEAM, {"action": "leader", "dispatch": team["d_a"].pk})
    client.post(TEAM, {"action": "leader", "dispatch": team["d_plain"].pk})
    assert TeamLeader.objects.filter(township=team["town_a"]).count() == 1
    assert TeamLeader.objects.get(township=team["town_a"]).dispatch_id == team["d_plain"].pk
    event = AuditEvent.objects.filter(action="team.leader").order_by("-seq").first()
    assert (event.from_state, event.to_state, event.actor_id) == ("李卫东", "赵普通", town_a.pk)


def test_r_m4_team_leader_stationed_in_another_township_refused(client, team):
    with pytest.raises(ValidationError, match="领队须是驻本乡镇的在村干部"):
        services.team_leader_name(township=team["town_a"], dispatch=team["d_b"], by=team["people"]["town_a"])
    # Through the page the choice is not even offered; the form is shown again and nothing is written.
    client.force_login(team["people"]["town_a"])
    response = client.post(TEAM, {"action": "leader", "dispatch": team["d_b"].pk})
    assert response.status_code == 200
    assert response.context["leader_form"].errors
    assert not TeamLeader.objects.exists()


def test_r_m4_team_leader_must_be_stationed_not_merely_nominated(team, year):
    Pairing.objects.create(unit=team["unit_a"], village=team["village_a3"], year=year)
    newcomer = CadreFactory(unit=team["unit_a"], user=UserFactory(username="newcomer", name="钱新"))
    nominated = services.dispatch_nominate(
        cadre=newcomer, village=team["village_a3"], by=team["people"]["head_a"], year=year
    )
    with pytest.raises(ValidationError, match="领队须是驻本乡镇的在村干部"):
        services.team_leader_name(township=team["town_a"], dispatch=nominated, by=team["people"]["town_a"])
    assert not TeamLeader.objects.exists()


def test_r_o4_team_leader_service_refuses_other_township(team):
    with pytest.raises(PermissionDenied):
        services.team_leader_name(township=team["town_a"], dispatch=team["d_a"], by=team["people"]["town_b"])
    assert AuditEvent.objects.filter(action="team.leader.refused").exists()


# --- Mentors (R-M4) -------------------------------------------------------------------------------


def test_r_m4_township_assigns_a_mentor_among_its_leaders(client, team):
    client.force_login(team["people"]["town_a"])
    response = client.post(TEAM, {"action": "mentor", "dispatch": team["d_a"].pk, "mentor": team["mentor_a"].pk})
    assert response.status_code == 302
    assert Dispatch.objects.get(pk=team["d_a"].pk).mentor == team["mentor_a"]
    assert AuditEvent.objects.filter(action="team.mentor", to_state=str(team["mentor_a"])).exists()
    # One leader mentors several cadres.
    client.post(TEAM, {"action": "mentor", "dispatch": team["d_plain"].pk, "mentor": team["mentor_a"].pk})
    assert set(team["mentor_a"].mentees.values_list("pk", flat=True)) == {team["d_a"].pk, team["d_plain"].pk}


def test_r_m4_mentor_choices_are_the_townships_leaders_only(client, team):
    client.force_login(team["people"]["town_a"])
    response = client.get(TEAM)
    row = response.context["stationed"][0]
    choices = set(row.mentor_form.fields["mentor"].queryset)
    assert choices == {team["people"]["town_a"], team["mentor_a"]}


def test_r_m4_mentor_who_is_not_a_leader_of_that_township_refused(client, team):
    p = team["people"]
    with pytest.raises(ValidationError, match="传帮带联系领导须是本乡镇的领导"):
        services.mentor_assign(dispatch=team["d_a"], mentor=p["town_b"], by=p["town_a"])
    with pytest.raises(ValidationError):
        services.mentor_assign(dispatch=team["d_a"], mentor=p["head_a"], by=p["town_a"])
    client.force_login(p["town_a"])
    response = client.post(TEAM, {"action": "mentor", "dispatch": team["d_a"].pk, "mentor": p["town_b"].pk})
    assert response.status_code == 200
    row = next(d for d in response.context["stationed"] if d.pk == team["d_a"].pk)
    assert row.mentor_form.errors
    assert Dispatch.objects.get(pk=team["d_a"].pk).mentor is None


def test_r_m4_ended_township_post_is_no_longer_a_mentor_choice(team):
    from workflows.services import post_end

    post = Post.objects.active().get(user=team["mentor_a"], role=Role.TOWNSHIP_COMMITTEE)
    post_end(post=post, by=team["people"]["org"])
    with pytest.raises(ValidationError):
        services.mentor_assign(dispatch=team["d_a"], mentor=team["mentor_a"], by=team["people"]["town_a"])


def test_r_o4_township_cannot_assign_mentor_to_a_cadre_of_another_township(client, team):
    client.force_login(team["people"]["town_a"])
    response = client.post(TEAM, {"action": "mentor", "dispatch": team["d_b"].pk, "mentor": team["mentor_a"].pk})
    assert response.status_code == 403
    assert Dispatch.objects.get(pk=team["d_b"].pk).mentor is None


# --- Work groups (R-M4) ---------------------------------------------------------------------------


def _group_post(client, villages, name="第一小组", url=None):
    return client.post(
        url or reverse("dispatch:work_group_create"), {"name": name, "villages": [v.pk for v in villages]}
    )


def test_r_m4_township_forms_a_work_group_of_two_or_three_villages(client, team, year):
    client.force_login(team["people"]["town_a"])
    response = _group_post(client, [team["village_a"], team["village_a2"]])
    assert response.status_code == 302
    assert response["Location"] == f"{TEAM}?township={team['town_a'].pk}"
    group = WorkGroup.objects.get(township=team["town_a"], year=year)
    assert set(group.villages.all()) == {team["village_a"], team["village_a2"]}
    page = client.get(TEAM).content.decode()
    assert "第一小组" in page and "东官庄村(李卫东)" in page
    assert AuditEvent.objects.filter(action="team.group").exists()


@pytest.mark.parametrize("count", [1, 4])
def test_r_m4_work_group_of_one_or_four_villages_refused(client, team, count):
    villages = [team["village_a"], team["village_a2"], team["village_a3"], team["village_a4"]][:count]
    client.force_login(team["people"]["town_a"])
    response = _group_post(client, villages)
    assert response.status_code == 200
    assert "每个工作小组由 2 至 3 个相邻村组成" in response.content.decode()
    assert not WorkGroup.objects.exists()


def test_r_m4_work_group_size_is_a_setting(team, year, settings):
    settings.POLICY = {**settings.POLICY, "WORK_GROUP_MAX_VILLAGES": 4}
    villages = [team["village_a"], team["village_a2"], team["village_a3"], team["village_a4"]]
    group = services.work_group_save(
        township=team["town_a"], year=year, name="大组", villages=villages, by=team["people"]["town_a"]
    )
    assert group.villages.count() == 4


def test_r_m4_work_group_across_townships_refused(client, team, year):
    with pytest.raises(ValidationError, match="工作小组的村须都在本乡镇"):
        services.work_group_save(
            township=team["town_a"],
            year=year,
            name="跨镇组",
            villages=[team["village_a"], team["village_b"]],
            by=team["people"]["town_a"],
        )
    client.force_login(team["people"]["town_a"])
    response = _group_post(client, [team["village_a"], team["village_b"]])
    assert response.status_code == 200
    assert not WorkGroup.objects.exists()


def test_r_m4_village_already_in_another_group_refused(client, team, year):
    client.force_login(team["people"]["town_a"])
    _group_post(client, [team["village_a"], team["village_a2"]])
    response = _group_post(client, [team["village_a2"], team["village_a3"]], name="第二小组")
    assert response.status_code == 200
    assert "有的村已在本年度另一个工作小组中" in response.content.decode()
    assert WorkGroup.objects.count() == 1
    # The form tells which group a village is already in.
    form = client.get(reverse("dispatch:work_group_create")).context["form"]
    labels = [label for _value, label in form.fields["villages"].choices]
    assert labels == ["东官庄村(已在「第一小组」)", "西官庄村(已在「第一小组」)", "南关村", "北关村"]


def test_r_m4_township_edits_its_work_group(client, team, year):
    client.force_login(team["people"]["town_a"])
    _group_post(client, [team["village_a"], team["village_a2"]])
    group = WorkGroup.objects.get()
    url = reverse("dispatch:work_group_edit", args=[group.pk])
    response = client.get(url)
    assert response.status_code == 200
    # Plain checkboxes (viewflow's frontend has no checkbox multi-select component), the group's own ticked.
    page = response.content.decode()
    assert page.count('type="checkbox" name="villages"') == 4
    assert page.count("checked") == 2
    assert set(response.context["form"].initial["villages"]) == {team["village_a"].pk, team["village_a2"].pk}
    response = _group_post(client, [team["village_a"], team["village_a2"], team["village_a3"]], name="东片组", url=url)
    assert response.status_code == 302
    group = WorkGroup.objects.get()
    assert group.name == "东片组" and group.villages.count() == 3
    # Editing down to one village is refused and leaves the group as it was.
    response = _group_post(client, [team["village_a"]], name="东片组", url=url)
    assert response.status_code == 200
    assert WorkGroup.objects.get().villages.count() == 3


def test_r_o4_work_group_pages_refused_outside_the_township(client, team, year):
    group = services.work_group_save(
        township=team["town_a"],
        year=year,
        name="第一小组",
        villages=[team["village_a"], team["village_a2"]],
        by=team["people"]["town_a"],
    )
    url = reverse("dispatch:work_group_edit", args=[group.pk])
    for role in ("town_b", "org", "auditor", "head_a"):
        client.force_login(team["people"][role])
        assert client.get(url).status_code == 403
        assert _group_post(client, [team["village_a3"], team["village_a4"]], url=url).status_code == 403
    client.force_login(team["people"]["org"])
    assert client.get(reverse("dispatch:work_group_create")).status_code == 403
    client.force_login(team["people"]["town_b"])
    assert client.get(reverse("dispatch:work_group_create"), {"township": team["town_a"].pk}).status_code == 403
    assert set(WorkGroup.objects.get().villages.all()) == {team["village_a"], team["village_a2"]}


def test_stationed_helper_gives_a_stationed_dispatch(team):
    assert Dispatch.objects.get(pk=team["d_a"].pk).state == DispatchState.STATIONED
