"""The accounts pages of 管理, the public activation page and the forced password change (R-O4, R-X1)."""

import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import CadreFactory, CountyFactory, UnitFactory, UserFactory, appoint
from workflows import accounts
from workflows.models import ActivationCode, AuditEvent, Role, User
from workflows.views.accounts import ADDRESS_ALLOWANCE_TIMES

NEW_PASSWORD = "Cunbu-Mima-2026"
CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fresh(two_tiers):
    user = UserFactory(username="new_cadre", name="周新来")
    user.set_unusable_password()
    user.save()
    CadreFactory(unit=two_tiers["unit_a"], user=user, name="周新来")
    return user


@pytest.fixture
def org_client(client, two_tiers):
    client.force_login(two_tiers["people"]["org"])
    return client


def _issue_through_page(client, user, purpose="activate"):
    return client.post(
        reverse("manage:account_code", args=[user.pk]), {"purpose": purpose, "replaces": "0"}, follow=False
    )


def test_org_dept_sees_the_countys_accounts_with_their_status_r_o4(org_client, fresh):
    response = org_client.get(reverse("manage:accounts"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="account-new_cadre"' in html and "未激活" in html and "已激活" in html
    assert 'data-testid="account-outsider"' not in html
    filtered = org_client.get(reverse("manage:accounts"), {"status": "unactivated"}).content.decode()
    assert 'data-testid="account-new_cadre"' in filtered and 'data-testid="account-cadre_a"' not in filtered


def test_search_finds_an_account_by_id_number(org_client, fresh):
    html = org_client.get(reverse("manage:accounts"), {"q": fresh.cadre.id_number}).content.decode()
    assert 'data-testid="account-new_cadre"' in html and 'data-testid="account-cadre_a"' not in html


@pytest.mark.parametrize("who", ["head_a", "town_a", "auditor", "cadre_a"])
def test_the_accounts_page_is_refused_outside_the_org_dept_r_o4(client, two_tiers, fresh, who):
    client.force_login(two_tiers["people"][who])
    assert client.get(reverse("manage:accounts")).status_code == 403
    assert _issue_through_page(client, fresh).status_code == 403
    assert not ActivationCode.objects.exists()


def test_another_countys_org_dept_gets_403_on_this_countys_account_r_o4(client, two_tiers, fresh):
    stranger = UserFactory(username="other_org", name="外县组织部")
    appoint(stranger, Role.ORG_DEPT, CountyFactory(code="410999", name="外县"))
    client.force_login(stranger)
    assert 'data-testid="account-new_cadre"' not in client.get(reverse("manage:accounts")).content.decode()
    assert _issue_through_page(client, fresh).status_code == 403
    deactivate = client.post(reverse("manage:account_deactivate", args=[fresh.pk]), {"reason": "越权"})
    assert deactivate.status_code == 403
    assert not ActivationCode.objects.exists() and User.objects.get(pk=fresh.pk).is_active
    assert AuditEvent.objects.filter(action="account.refused", actor=stranger).exists()


def test_the_code_is_shown_once_and_never_again_r_x1(org_client, fresh):
    response = _issue_through_page(org_client, fresh)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = CODE.search(response.content.decode())
    assert shown is not None
    code = shown.group(0)
    assert ActivationCode.objects.get(user=fresh).digest == accounts.digest(code)
    # Not in the list, not on a GET of the issuing address, not when the form is sent again.
    assert code not in org_client.get(reverse("manage:accounts")).content.decode()
    again = org_client.get(reverse("manage:account_code", args=[fresh.pk]), follow=True)
    assert code not in again.content.decode()
    resent = _issue_through_page(org_client, fresh)
    assert resent.status_code == 302 and ActivationCode.objects.filter(user=fresh).count() == 1
    follow = org_client.get(resent["Location"]).content.decode()
    assert "不再显示" in follow and not CODE.search(follow.split('data-testid="accounts"')[0])
    assert all(code not in str(e.data) for e in AuditEvent.objects.all())


def test_deactivate_and_reactivate_through_the_pages_r_x1(org_client, two_tiers):
    cadre = two_tiers["people"]["cadre_a"]
    url = reverse("manage:account_deactivate", args=[cadre.pk])
    assert org_client.get(url).status_code == 200
    empty = org_client.post(url, {"reason": ""})
    assert empty.status_code == 400 and User.objects.get(pk=cadre.pk).is_active
    assert org_client.post(url, {"reason": "已调离"}).status_code == 302
    assert not User.objects.get(pk=cadre.pk).is_active
    assert org_client.post(reverse("manage:account_reactivate", args=[cadre.pk])).status_code == 302
    assert User.objects.get(pk=cadre.pk).is_active


def test_deactivated_account_cannot_sign_in_through_the_login_page(client, two_tiers):
    accounts.account_deactivate(user=two_tiers["people"]["cadre_a"], by=two_tiers["people"]["org"], reason="已调离本县")
    response = client.post(reverse("login"), {"username": "cadre_a", "password": "pass-for-tests-1"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.cjk_font
def test_the_pdf_sheet_has_one_slip_per_unactivated_account_of_the_unit_r_x1(org_client, two_tiers, fresh):
    for n in range(11):
        user = UserFactory(username=f"batch_{n}", name=f"批量{n}")
        user.set_unusable_password()
        user.save()
        CadreFactory(unit=two_tiers["unit_a"], user=user)
    response = org_client.post(reverse("manage:account_sheet"), {"scope": f"unit:{two_tiers['unit_a'].pk}"})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf" and "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(response.content)).pages
    texts = [page.extract_text().replace("\x00", "") for page in pages]
    assert len(pages) == 2
    codes = [c for text in texts for c in CODE.findall(text)]
    assert len(codes) == 12 and ActivationCode.objects.filter(used_at=None, voided_at=None).count() == 12
    assert "new_cadre" in "".join(texts) and "/accounts/activate/" in "".join(texts)
    assert AuditEvent.objects.filter(action="account.codes_issue").count() == 1


def test_sheet_for_a_scope_with_nobody_to_activate_says_so(org_client, two_tiers):
    response = org_client.post(
        reverse("manage:account_sheet"), {"scope": f"unit:{two_tiers['unit_b'].pk}"}, follow=True
    )
    assert "没有未激活的账号" in response.content.decode()


def test_sheet_for_another_countys_unit_is_refused(org_client, two_tiers):
    other = CountyFactory(code="410999", name="外县")
    unit = UnitFactory(county=other)
    response = org_client.post(reverse("manage:account_sheet"), {"scope": f"unit:{unit.pk}"}, follow=True)
    assert response.status_code == 200 and "请选择签发范围" in response.content.decode()
    assert not ActivationCode.objects.exists()


def test_login_page_links_to_the_activation_page(client, db):
    html = client.get(reverse("login")).content.decode()
    assert reverse("activate") in html and "使用激活码" in html


def test_activation_page_sets_the_password_and_signs_in_r_x1(client, two_tiers, fresh):
    code = accounts.activation_code_issue(user=fresh, by=two_tiers["people"]["org"], purpose="activate")
    assert client.get(reverse("activate")).status_code == 200
    response = client.post(
        reverse("activate"),
        {"username": "new_cadre", "code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == fresh.pk
    assert User.objects.get(pk=fresh.pk).check_password(NEW_PASSWORD)


def test_activation_page_refuses_a_weak_password_in_chinese_and_keeps_the_code(client, two_tiers, fresh):
    code = accounts.activation_code_issue(user=fresh, by=two_tiers["people"]["org"], purpose="activate")
    response = client.post(
        reverse("activate"), {"username": "new_cadre", "code": code, "new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "密码太短" in html and "密码只包含数字" in html
    assert not User.objects.get(pk=fresh.pk).has_usable_password()
    assert ActivationCode.objects.get(user=fresh).used_at is None


def test_activation_page_gives_one_answer_for_every_wrong_code(client, two_tiers, fresh):
    code = accounts.activation_code_issue(user=fresh, by=two_tiers["people"]["org"], purpose="activate")
    answers = set()
    for username, typed in (("new_cadre", "AAAA-BBBB-CCCC"), ("cadre_a", code), ("nobody", code)):
        response = client.post(
            reverse("activate"),
            {"username": username, "code": typed, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert response.status_code == 403
        answers.add(re.search(r'data-testid="message"[^>]*>([^<]*)<', response.content.decode()).group(1))
    assert len(answers) == 1


def _try(client, username, code):
    return client.post(
        reverse("activate"),
        {"username": username, "code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_wrong_codes_slow_that_account_from_that_address_and_not_a_colleague(client, two_tiers, fresh, settings):
    """One person's typos at a shared office address do not turn away the next person (R-X1)."""
    settings.ACTIVATION_WRONG_ATTEMPTS_FREE = 3
    code = accounts.activation_code_issue(user=fresh, by=two_tiers["people"]["org"], purpose="activate")
    for _ in range(3):
        assert _try(client, "cadre_a", "AAAA-BBBB-CCCC").status_code == 403
    assert _try(client, "cadre_a", "AAAA-BBBB-CCCC").status_code == 429
    assert _try(client, "new_cadre", code).status_code == 302
    assert ActivationCode.objects.get(user=fresh).used_at is not None


def test_an_address_trying_many_accounts_is_turned_away_in_the_end(client, two_tiers, fresh, settings):
    settings.ACTIVATION_WRONG_ATTEMPTS_FREE = 2
    code = accounts.activation_code_issue(user=fresh, by=two_tiers["people"]["org"], purpose="activate")
    for n in range(2 * ADDRESS_ALLOWANCE_TIMES):
        assert _try(client, f"guess{n}", "AAAA-BBBB-CCCC").status_code == 403
    assert _try(client, "new_cadre", code).status_code == 429
    assert ActivationCode.objects.get(user=fresh).used_at is None


def test_must_change_password_sends_every_page_to_the_password_change(client, two_tiers):
    user = two_tiers["people"]["cadre_a"]
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    client.force_login(user)
    target = reverse("password_change")
    for page in ("/", reverse("manage:accounts"), "/admin/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == target, page
    assert client.get(target).status_code == 200
    assert client.get("/static/css/site.css").status_code in (200, 404)
    response = client.post(target, {"old_password": "pass-for-tests-1", "new_password1": "12", "new_password2": "12"})
    assert response.status_code == 200 and "密码太短" in response.content.decode()
    response = client.post(
        target,
        {"old_password": "pass-for-tests-1", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=user.pk).must_change_password
    assert client.get("/", follow=True).status_code == 200
    assert AuditEvent.objects.filter(action="account.password_change", actor=user).exists()


def test_must_change_password_lets_the_user_sign_out(client, two_tiers):
    user = two_tiers["people"]["cadre_a"]
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_a_password_set_in_the_admin_must_be_changed_at_next_sign_in(admin_client, two_tiers):
    cadre = two_tiers["people"]["cadre_a"]
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[cadre.pk]),
        {"password1": "Admin-Set-Pass-26", "password2": "Admin-Set-Pass-26", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    user = User.objects.get(pk=cadre.pk)
    assert user.check_password("Admin-Set-Pass-26") and user.must_change_password


def test_the_accounts_list_costs_the_same_queries_for_many_accounts(org_client, two_tiers):
    with CaptureQueriesContext(connection) as few:
        org_client.get(reverse("manage:accounts"))
    for n in range(15):
        CadreFactory(unit=two_tiers["unit_b"], user=UserFactory(username=f"many_{n}"))
    with CaptureQueriesContext(connection) as many:
        assert org_client.get(reverse("manage:accounts")).status_code == 200
    assert len(many) == len(few)
