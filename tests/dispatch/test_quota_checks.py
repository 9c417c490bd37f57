"""The deadline check asks first, a past deadline needs confirming, and a sanction can be revoked (R-S5, R-X1)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dispatch import selectors, services
from dispatch.models import DispatchState, Quota, QuotaSanction
from tests.dispatch.test_quota_coverage_training import DEADLINE, YEAR, advance
from tests.factories import CountyFactory, UnitFactory, UserFactory, appoint
from workflows.models import AuditEvent, Role

CHECKED_ON = datetime.date(2026, 7, 1)


def _quota(world, unit, cadres, deadline=DEADLINE):
    return services.quota_set(
        unit=world[unit],
        year=YEAR,
        cadres=cadres,
        deadline=deadline,
        by=world["people"]["org"],
        confirm_past_deadline=deadline < timezone.localdate(),
    )


@pytest.fixture
def sanction(world):
    _quota(world, "unit_b", 1)
    [sanction] = services.quota_enforce(on=CHECKED_ON, by=world["people"]["org"], county=world["county"])
    return sanction


# --- A deadline in the past (R-S5) -----------------------------------------------------------------


def test_r_s5_a_deadline_already_past_is_refused_without_confirmation_and_nothing_is_written(world):
    with pytest.raises(ValidationError) as info:
        services.quota_set(unit=world["unit_a"], year=YEAR, cadres=1, deadline=DEADLINE, by=world["people"]["org"])
    assert info.value.error_list[0].code == "deadline_past"
    assert "截止日期 2026-06-30 已经过去" in info.value.messages[0]
    assert not Quota.objects.exists() and not AuditEvent.objects.filter(action="quota.set").exists()


def test_r_s5_r_x1_a_confirmed_past_deadline_is_saved_and_the_confirmation_audited(world):
    quota = _quota(world, "unit_a", 1)
    assert Quota.objects.get(pk=quota.pk).deadline == DEADLINE
    assert AuditEvent.objects.get(action="quota.set").data == {"past_deadline_confirmed": True}


def test_r_s5_todays_date_and_later_need_no_confirmation(world):
    today = timezone.localdate()
    quota = services.quota_set(unit=world["unit_a"], year=YEAR, cadres=1, deadline=today, by=world["people"]["org"])
    assert quota.deadline == today and AuditEvent.objects.get(action="quota.set").data in (None, {})


# --- What the check will do, shown before it is done (R-S5) ----------------------------------------


def test_r_s5_the_check_preview_lists_the_units_short_of_their_quota_with_the_sanction_period(world):
    advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    _quota(world, "unit_a", 1)
    _quota(world, "unit_b", 2)
    checks = selectors.quota_checks(list(selectors.quotas_due(on=CHECKED_ON, county=world["county"])))
    assert [(c.quota.unit.name, c.sent, c.short) for c in checks] == [("县农业农村局", 1, False), ("县教育局", 0, True)]
    short = checks[1]
    assert (short.starts_on, short.ends_on) == (datetime.date(2026, 7, 1), datetime.date(2029, 6, 30))
    assert not QuotaSanction.objects.exists() and not Quota.objects.filter(enforced_at__isnull=False).exists()


def test_r_s5_the_check_records_exactly_what_the_preview_showed(world):
    _quota(world, "unit_b", 2)
    [check] = selectors.quota_checks(list(selectors.quotas_due(on=CHECKED_ON, county=world["county"])))
    [sanction] = services.quota_enforce(
        on=CHECKED_ON, by=world["people"]["org"], county=world["county"], confirmed=[check.quota.pk]
    )
    assert (sanction.unit, sanction.sent, sanction.starts_on, sanction.ends_on) == (
        world["unit_b"],
        check.sent,
        check.starts_on,
        check.ends_on,
    )


def test_r_s5_a_confirmed_list_that_no_longer_matches_is_refused_and_nothing_recorded(world):
    first = _quota(world, "unit_a", 1)
    _quota(world, "unit_b", 1)
    with pytest.raises(ValidationError) as info:
        services.quota_enforce(on=CHECKED_ON, by=world["people"]["org"], county=world["county"], confirmed=[first.pk])
    assert info.value.error_list[0].code == "stale"
    assert not QuotaSanction.objects.exists() and not Quota.objects.filter(enforced_at__isnull=False).exists()


# --- Revoking a sanction (R-S5, R-X1, R-O4) ---------------------------------------------------------


def test_r_s5_r_x1_org_dept_revokes_a_sanction_with_a_reason_and_it_is_audited(world, sanction):
    org = world["people"]["org"]
    services.quota_sanction_revoke(sanction=sanction, by=org, reason="  核查时漏计一名已批准干部  ")
    stored = QuotaSanction.objects.get(pk=sanction.pk)
    assert stored.is_revoked and stored.revoked_by == org and stored.revoke_reason == "核查时漏计一名已批准干部"
    event = AuditEvent.objects.get(action="quota.sanction_revoke")
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        org,
        "sanctioned",
        "revoked",
        "核查时漏计一名已批准干部",
    )
    assert event.object_id == str(sanction.pk)


def test_r_s5_a_revoked_sanction_no_longer_bars_the_unit_from_the_awards(world, sanction):
    day = datetime.date(2027, 1, 1)
    assert selectors.unit_is_award_eligible(world["unit_b"], on=day)[0] is False
    services.quota_sanction_revoke(sanction=sanction, by=world["people"]["org"], reason="任务已按期完成,登记滞后")
    assert selectors.unit_is_award_eligible(world["unit_b"], on=day) == (True, None)
    assert not selectors.sanctions_in_force(on=day).exists()


def test_r_s5_revoking_needs_a_reason_and_changes_nothing_without_one(world, sanction):
    with pytest.raises(ValidationError, match="请填写撤销处理的理由"):
        services.quota_sanction_revoke(sanction=sanction, by=world["people"]["org"], reason="   ")
    assert not QuotaSanction.objects.get(pk=sanction.pk).is_revoked
    assert not AuditEvent.objects.filter(action="quota.sanction_revoke").exists()


def test_r_s5_a_sanction_is_revoked_only_once(world, sanction):
    services.quota_sanction_revoke(sanction=sanction, by=world["people"]["org"], reason="核查有误")
    with pytest.raises(ValidationError, match="已由他人撤销"):
        services.quota_sanction_revoke(sanction=sanction, by=world["people"]["org"], reason="再次撤销")
    with pytest.raises(ValidationError, match="该处理已于"):
        services.quota_sanction_revoke(
            sanction=QuotaSanction.objects.get(pk=sanction.pk), by=world["people"]["org"], reason="再次撤销"
        )
    assert AuditEvent.objects.filter(action="quota.sanction_revoke").count() == 1


@pytest.mark.parametrize("who", ["auditor", "head_b", "town_a", "cadre_b", "outsider"])
def test_r_o4_only_the_org_dept_revokes_a_sanction(world, sanction, who):
    with pytest.raises(PermissionDenied):
        services.quota_sanction_revoke(sanction=sanction, by=world["people"][who], reason="理由")
    assert not QuotaSanction.objects.get(pk=sanction.pk).is_revoked


def test_r_o4_another_countys_org_dept_cannot_revoke(world, sanction):
    other_org = UserFactory(username="org_other")
    appoint(other_org, Role.ORG_DEPT, CountyFactory(code="410526", name="滑县"))
    with pytest.raises(PermissionDenied):
        services.quota_sanction_revoke(sanction=sanction, by=other_org, reason="理由")
    assert not QuotaSanction.objects.get(pk=sanction.pk).is_revoked


# --- The revoke page, from the quota page (R-S5, R-O4) ----------------------------------------------


def test_r_s5_the_quota_page_links_the_sanction_to_its_revoke_page_for_the_org_dept_only(client, world, sanction):
    url = reverse("dispatch:sanction_revoke", args=[sanction.pk])
    client.force_login(world["people"]["org"])
    assert url in client.get(reverse("dispatch:pairings") + f"?year={YEAR}").content.decode()
    client.force_login(world["people"]["auditor"])
    assert url not in client.get(reverse("dispatch:pairings") + f"?year={YEAR}").content.decode()


def test_r_s5_org_dept_revokes_on_the_page_and_the_quota_page_shows_it_revoked_with_the_reason(client, world, sanction):
    client.force_login(world["people"]["org"])
    url = reverse("dispatch:sanction_revoke", args=[sanction.pk])
    page = client.get(url).content.decode()
    assert "县教育局" in page and "2026-07-01 — 2029-06-30" in page
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and not QuotaSanction.objects.get(pk=sanction.pk).is_revoked
    response = client.post(url, {"reason": "核查时漏计一名已批准干部"}, follow=True)
    text = response.content.decode()
    assert "已撤销 县教育局 2026 年度未完成选派任务的处理" in text
    assert 'data-testid="revoked"' in text and "核查时漏计一名已批准干部" in text
    assert QuotaSanction.objects.get(pk=sanction.pk).is_revoked


@pytest.mark.parametrize("who", ["auditor", "head_b", "town_a", "cadre_b", "outsider"])
def test_r_o4_the_revoke_page_refuses_everyone_but_the_org_dept(client, world, sanction, who):
    client.force_login(world["people"][who])
    url = reverse("dispatch:sanction_revoke", args=[sanction.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "理由"}).status_code == 403
    assert not QuotaSanction.objects.get(pk=sanction.pk).is_revoked


def test_r_o4_anonymous_visitors_are_sent_to_sign_in_from_the_revoke_page(client, sanction):
    response = client.get(reverse("dispatch:sanction_revoke", args=[sanction.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_r_o4_another_countys_unit_sanction_is_out_of_the_org_depts_tier(client, world):
    other = CountyFactory(code="410526", name="滑县")
    other_org = UserFactory(username="org_other")
    appoint(other_org, Role.ORG_DEPT, other)
    quota = services.quota_set(
        unit=UnitFactory(county=other, name="滑县教育局"),
        year=YEAR,
        cadres=1,
        deadline=DEADLINE,
        by=other_org,
        confirm_past_deadline=True,
    )
    [sanction] = services.quota_enforce(on=CHECKED_ON, by=other_org, county=other)
    assert sanction.quota == quota
    client.force_login(world["people"]["org"])
    assert client.post(reverse("dispatch:sanction_revoke", args=[sanction.pk]), {"reason": "理由"}).status_code == 403
    assert not QuotaSanction.objects.get(pk=sanction.pk).is_revoked
