"""Self-application (自觉报名): the cadre applies, the unit nominates or declines with a reason (R-S2, R-S3, R-O4)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dispatch import services
from dispatch.flows import DispatchFlow, RecallFlow
from dispatch.models import Application, ApplicationState, Dispatch, DispatchState, Source
from tests.dispatch.test_team import stationed
from tests.factories import CadreFactory, UserFactory
from workflows.flows import open_tasks_for
from workflows.models import AuditEvent

APPLY = reverse("dispatch:apply")
APPLICATIONS = reverse("dispatch:applications")


def _decide_url(application):
    return reverse("dispatch:application_decide", args=[application.pk])


def _apply(cadre, year, statement="熟悉农业技术,愿意驻村", village=None):
    return services.application_submit(
        cadre=cadre, year=year, statement=statement, by=cadre.user, preferred_village=village
    )


# --- The cadre's page -----------------------------------------------------------------------------


def test_r_s2_cadre_applies_through_the_page_and_sees_the_application(client, world, year):
    client.force_login(world["people"]["cadre_a"])
    response = client.get(APPLY)
    assert response.status_code == 200
    choices = set(response.context["form"].fields["preferred_village"].queryset)
    assert choices == {world["village_a"], world["village_a2"]}  # the unit's paired villages this year
    response = client.post(APPLY, {"statement": "熟悉农业技术,愿意驻村", "preferred_village": world["village_a2"].pk})
    assert response.status_code == 302
    assert response["Location"] == APPLY
    application = Application.objects.get(cadre=world["cadre_a"])
    assert (application.state, application.year, application.preferred_village) == (
        ApplicationState.SUBMITTED,
        year,
        world["village_a2"],
    )
    assert AuditEvent.objects.filter(action="application.submit", actor=world["people"]["cadre_a"]).exists()
    page = client.get(APPLY).content.decode()
    assert "已报名,待单位决定" in page and "西官庄村" in page
    assert 'data-testid="already-applied"' in page


def test_r_s2_preferred_village_is_optional(client, world):
    client.force_login(world["people"]["cadre_a"])
    assert client.post(APPLY, {"statement": "服从安排"}).status_code == 302
    assert Application.objects.get(cadre=world["cadre_a"]).preferred_village is None


def test_r_s2_statement_is_required(client, world):
    client.force_login(world["people"]["cadre_a"])
    response = client.post(APPLY, {"statement": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Application.objects.exists()


def test_r_s2_preferred_village_must_be_paired_with_the_cadres_unit(client, world, year):
    with pytest.raises(ValidationError, match="意向村须是本单位的结对村"):
        _apply(world["cadre_a"], year, village=world["village_b"])
    client.force_login(world["people"]["cadre_a"])
    response = client.post(APPLY, {"statement": "想去西街村", "preferred_village": world["village_b"].pk})
    assert response.status_code == 200
    assert not Application.objects.exists()


def test_r_s2_duplicate_open_application_refused(client, world, year):
    client.force_login(world["people"]["cadre_a"])
    client.post(APPLY, {"statement": "第一次报名"})
    response = client.post(APPLY, {"statement": "再报一次"})
    assert response.status_code == 200
    assert "您本年度已有待单位决定的报名。" in response.content.decode()
    assert Application.objects.filter(cadre=world["cadre_a"]).count() == 1


def test_r_s2_cadre_already_in_an_active_dispatch_cannot_apply(client, world, year):
    stationed(world["cadre_a"], world["village_a"])
    client.force_login(world["people"]["cadre_a"])
    page = client.get(APPLY).content.decode()
    assert 'data-testid="already-dispatched"' in page
    response = client.post(APPLY, {"statement": "还想报名"})
    assert response.status_code == 200
    assert "您已在选派中,不需要再报名。" in response.content.decode()
    assert not Application.objects.exists()


def test_r_s2_a_merely_nominated_cadre_cannot_apply_either(world, year):
    services.dispatch_nominate(
        cadre=world["cadre_a"], village=world["village_a"], by=world["people"]["head_a"], year=year
    )
    with pytest.raises(ValidationError, match="您已在选派中"):
        _apply(world["cadre_a"], year)


@pytest.mark.parametrize("role", ["head_a", "town_a", "org", "auditor", "outsider"])
def test_r_o4_apply_page_is_for_cadres_only(client, world, role):
    client.force_login(world["people"][role])
    assert client.get(APPLY).status_code == 403
    assert client.post(APPLY, {"statement": "代人报名"}).status_code == 403
    assert not Application.objects.exists()


def test_apply_page_requires_login(client, world):
    assert client.get(APPLY).status_code == 302


def test_r_o4_cadre_sees_only_their_own_applications(client, world, year):
    _apply(world["cadre_b"], year, statement="王秀英的报名")
    client.force_login(world["people"]["cadre_a"])
    response = client.get(APPLY)
    assert response.context["applications"] == []
    assert "王秀英的报名" not in response.content.decode()


# --- The unit's page ------------------------------------------------------------------------------


@pytest.fixture
def applicants(world, year):
    """Three applications of unit_a, the plain cadre first in time, and one of unit_b."""
    key = CadreFactory(unit=world["unit_a"], user=UserFactory(username="key_a", name="孙重点"), is_key_cultivation=True)
    return {
        "plain": _apply(world["plain_a"], year, statement="赵普通报名"),
        "key": _apply(key, year, statement="孙重点报名"),
        "reserve": _apply(world["cadre_a"], year, statement="李卫东报名", village=world["village_a2"]),
        "other_unit": _apply(world["cadre_b"], year, statement="王秀英报名"),
    }


@pytest.mark.parametrize("role", ["head_a", "deputy_a"])
def test_r_s3_unit_sees_open_applications_reserve_and_key_cultivation_first(client, world, applicants, role):
    client.force_login(world["people"][role])
    response = client.get(APPLICATIONS)
    assert response.status_code == 200
    shown = [row["application"].pk for row in response.context["rows"]]
    assert shown == [applicants["reserve"].pk, applicants["key"].pk, applicants["plain"].pk]
    assert "王秀英报名" not in response.content.decode()


def test_r_s2_nominate_form_defaults_to_the_preferred_village(client, world, applicants):
    client.force_login(world["people"]["head_a"])
    rows = {row["application"].pk: row for row in client.get(APPLICATIONS).context["rows"]}
    assert rows[applicants["reserve"].pk]["nominate_form"].initial["village"] == world["village_a2"].pk
    assert rows[applicants["plain"].pk]["nominate_form"].initial["village"] is None


def test_r_s2_unit_nominates_an_applicant_the_dispatch_comes_from_self_application(client, world, applicants):
    application = applicants["reserve"]
    client.force_login(world["people"]["deputy_a"])
    response = client.post(
        _decide_url(application), {"action": "nominate", "village": world["village_a2"].pk, "note": "本人自愿,熟悉农业"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{APPLICATIONS}?unit={world['unit_a'].pk}"
    application = Application.objects.get(pk=application.pk)
    dispatch = Dispatch.objects.get(cadre=world["cadre_a"])
    assert application.state == ApplicationState.NOMINATED
    assert application.dispatch == dispatch
    assert (dispatch.source, dispatch.state, dispatch.village) == (
        Source.SELF,
        DispatchState.NOMINATED,
        world["village_a2"],
    )
    # The nomination goes to the unit head for approval like any other (R-S1).
    tasks = open_tasks_for(world["people"]["head_a"], [DispatchFlow, RecallFlow])
    assert [t.process.artifact for t in tasks] == [dispatch]
    # The cadre sees the outcome; the unit's list no longer shows the application.
    client.force_login(world["people"]["cadre_a"])
    page = client.get(APPLY).content.decode()
    assert "单位已推荐" in page and "推荐驻 西官庄村" in page
    client.force_login(world["people"]["head_a"])
    assert application.pk not in [r["application"].pk for r in client.get(APPLICATIONS).context["rows"]]


def test_r_s2_nomination_refused_when_the_village_is_taken_application_stays_open(client, world, applicants):
    stationed(
        CadreFactory(unit=world["unit_a"], user=UserFactory(username="early_a", name="周先到")), world["village_a2"]
    )
    client.force_login(world["people"]["head_a"])
    response = client.post(
        _decide_url(applicants["reserve"]), {"action": "nominate", "village": world["village_a2"].pk}
    )
    assert response.status_code == 200
    assert "西官庄村 本年度已有选派干部" in response.content.decode()
    assert Application.objects.get(pk=applicants["reserve"].pk).state == ApplicationState.SUBMITTED
    assert not Dispatch.objects.filter(cadre=world["cadre_a"]).exists()


def test_r_s2_unit_declines_with_a_reason_the_cadre_can_read(client, world, applicants, year):
    application = applicants["plain"]
    client.force_login(world["people"]["head_a"])
    response = client.post(_decide_url(application), {"action": "decline", "reason": "  "})
    assert response.status_code == 200
    assert "请填写未推荐的理由。" in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED

    response = client.post(_decide_url(application), {"action": "decline", "reason": "本年度承担重点项目,暂不能离岗"})
    assert response.status_code == 302
    application = Application.objects.get(pk=application.pk)
    assert application.state == ApplicationState.DECLINED
    assert application.decline_reason == "本年度承担重点项目,暂不能离岗"
    assert not Dispatch.objects.filter(cadre=world["plain_a"]).exists()
    event = AuditEvent.objects.get(action="application.decline")
    assert (event.actor, event.reason) == (world["people"]["head_a"], "本年度承担重点项目,暂不能离岗")

    client.force_login(world["plain_a"].user)
    page = client.get(APPLY).content.decode()
    assert "单位未推荐" in page and "本年度承担重点项目,暂不能离岗" in page
    # A declined application is closed: the cadre may apply again.
    assert client.post(APPLY, {"statement": "项目结束后再次报名"}).status_code == 302


def test_r_s2_decided_application_cannot_be_decided_again(client, world, applicants):
    client.force_login(world["people"]["head_a"])
    client.post(_decide_url(applicants["plain"]), {"action": "decline", "reason": "暂不推荐"})
    response = client.post(_decide_url(applicants["plain"]), {"action": "nominate", "village": world["village_a"].pk})
    assert response.status_code == 200
    assert "已经处理过" in response.content.decode()
    assert not Dispatch.objects.filter(cadre=world["plain_a"]).exists()


def test_r_o4_unit_cannot_handle_an_applicant_of_another_unit(client, world, applicants):
    application = applicants["other_unit"]
    for role in ("head_a", "deputy_a"):
        client.force_login(world["people"][role])
        assert (
            client.post(_decide_url(application), {"action": "nominate", "village": world["village_b"].pk}).status_code
            == 403
        )
        assert client.post(_decide_url(application), {"action": "decline", "reason": "不是本单位"}).status_code == 403
        assert client.get(APPLICATIONS, {"unit": world["unit_b"].pk}).status_code == 403
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED
    assert not Dispatch.objects.filter(cadre=world["cadre_b"]).exists()


def test_r_o4_decline_service_refuses_another_unit(world, applicants):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.application_decline(application=applicants["other_unit"], by=world["people"]["head_a"], reason="越权")
    assert AuditEvent.objects.filter(action="application.decline.refused").exists()


@pytest.mark.parametrize("role", ["town_a", "org", "auditor", "cadre_a", "outsider"])
def test_r_o4_applications_page_refused_outside_the_unit_tier(client, world, applicants, role):
    client.force_login(world["people"][role])
    assert client.get(APPLICATIONS).status_code == 403
    assert client.post(_decide_url(applicants["plain"]), {"action": "decline", "reason": "越权"}).status_code == 403
    assert Application.objects.get(pk=applicants["plain"].pk).state == ApplicationState.SUBMITTED
