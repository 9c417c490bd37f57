"""Sign-in lockout per account and address, lifted by the org dept; sessions that end when idle (R-X1, R-O4)."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import CountyFactory, UserFactory, appoint
from workflows.models import AuditEvent, Role

pytestmark = pytest.mark.django_db
PASSWORD = "pass-for-tests-1"


def _sign_in(client, username, password, address):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client, username, address, times):
    return [_sign_in(client, username, "wrong-password", address).status_code for _ in range(times)]


def test_r_x1_repeated_failures_lock_the_account_from_that_address_only(client, two_tiers, settings):
    user = two_tiers["people"]["town_a"]
    statuses = _fail(client, user.username, "10.0.0.1", settings.AXES_FAILURE_LIMIT)
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    locked = _sign_in(client, user.username, PASSWORD, "10.0.0.1")
    assert locked.status_code == 429
    assert "登录已暂停" in locked.content.decode()
    # The same account from another address signs in: an attacker elsewhere cannot lock a named user out.
    other = _sign_in(client, user.username, PASSWORD, "10.0.0.2")
    assert other.status_code == 302


def test_r_x1_failures_for_one_account_do_not_lock_another_from_the_same_address(client, two_tiers, settings):
    _fail(client, "town_a", "10.0.0.1", settings.AXES_FAILURE_LIMIT)
    assert _sign_in(client, "town_b", PASSWORD, "10.0.0.1").status_code == 302


def test_r_x1_the_lockout_ends_after_the_cooloff(client, two_tiers, settings):
    _fail(client, "town_a", "10.0.0.1", settings.AXES_FAILURE_LIMIT)
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1)):
        assert _sign_in(client, "town_a", PASSWORD, "10.0.0.1").status_code == 302


def test_r_o4_org_dept_sees_its_countys_lockout_and_lifts_it_audited(client, two_tiers, settings):
    _fail(client, "town_a", "10.0.0.1", settings.AXES_FAILURE_LIMIT)
    org = two_tiers["people"]["org"]
    client.force_login(org)
    page = client.get(reverse("manage:lockouts"))
    assert page.status_code == 200
    assert 'data-username="town_a"' in page.content.decode()
    response = client.post(reverse("manage:lockouts"), {"username": "town_a", "ip_address": "10.0.0.1"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="town_a").exists()
    event = AuditEvent.objects.get(action="account.unlock")
    assert event.actor == org and event.data["user"] == "town_a"
    client.logout()
    assert _sign_in(client, "town_a", PASSWORD, "10.0.0.1").status_code == 302


def test_r_o4_another_countys_org_dept_neither_sees_nor_lifts_a_lockout(client, two_tiers, settings):
    _fail(client, "town_a", "10.0.0.1", settings.AXES_FAILURE_LIMIT)
    stranger = UserFactory(username="org_elsewhere")
    appoint(stranger, Role.ORG_DEPT, CountyFactory(code="410522", name="安阳县"))
    client.force_login(stranger)
    assert 'data-username="town_a"' not in client.get(reverse("manage:lockouts")).content.decode()
    response = client.post(reverse("manage:lockouts"), {"username": "town_a", "ip_address": "10.0.0.1"})
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(username="town_a").exists()


def test_r_o4_a_unit_head_cannot_open_the_lockouts(client, two_tiers):
    client.force_login(two_tiers["people"]["head_a"])
    assert client.get(reverse("manage:lockouts")).status_code == 403


def test_r_x1_a_session_ends_after_the_idle_minutes_and_activity_keeps_it(client, two_tiers, settings):
    assert settings.SESSION_IDLE_MINUTES == 30 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client.force_login(two_tiers["people"]["org"])
    home = reverse("home:index")
    now = timezone.now()
    for minutes in (20, 40, 60):  # each visit within 30 minutes of the last keeps the session alive
        with time_machine.travel(now + datetime.timedelta(minutes=minutes)):
            assert client.get(home).status_code == 200, minutes
    with time_machine.travel(now + datetime.timedelta(minutes=60 + 31)):
        response = client.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_r_x1_the_session_cookie_ends_with_the_browser(client, two_tiers):
    response = _sign_in(client, "org", PASSWORD, "10.0.0.1")
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"]
