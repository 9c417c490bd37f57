"""Accounts: activation and reset codes, activating, deactivating, who may do it (R-O4, R-X1)."""

import datetime
import threading

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import RequestFactory

from tests.factories import CadreFactory, CountyFactory, UnitFactory, UserFactory, appoint
from workflows import accounts
from workflows.models import ActivationCode, AuditEvent, Role, User

NEW_PASSWORD = "Cunbu-Mima-2026"


@pytest.fixture
def fresh(two_tiers):
    """An unactivated cadre of unit_a (no usable password), as the county import leaves one."""
    user = UserFactory(username="new_cadre", name="周新来")
    user.set_unusable_password()
    user.save()
    CadreFactory(unit=two_tiers["unit_a"], user=user, name="周新来")
    return user


def _org(two_tiers):
    return two_tiers["people"]["org"]


def _issue(user, by, purpose=ActivationCode.Purpose.ACTIVATE):
    return accounts.activation_code_issue(user=user, by=by, purpose=purpose)


def test_code_is_grouped_from_the_unambiguous_alphabet_and_stored_only_as_digest_r_x1(two_tiers, fresh):
    code = _issue(fresh, _org(two_tiers))
    plain = code.replace("-", "")
    assert len(plain) == 12 and set(plain) <= set(accounts.ALPHABET)
    record = ActivationCode.objects.get(user=fresh)
    assert record.digest == accounts.digest(code) and plain not in record.digest
    assert record.expires_at == record.issued_at + datetime.timedelta(days=accounts.code_days())
    for event in AuditEvent.objects.filter(action="account.code_issue"):
        dumped = str(event.data) + event.reason + event.object_repr
        assert plain not in dumped and code not in dumped


def test_issuing_is_audited_under_the_accounts_unit_without_the_code_r_x1(two_tiers, fresh):
    _issue(fresh, _org(two_tiers))
    event = AuditEvent.objects.get(action="account.code_issue")
    assert event.actor == _org(two_tiers)
    assert event.unit_id == two_tiers["unit_a"].pk and event.county_id == two_tiers["county"].pk
    assert event.data["user"] == "new_cadre" and event.data["purpose"] == "activate"


def test_activation_sets_the_password_and_uses_the_code_once_r_x1(two_tiers, fresh):
    code = _issue(fresh, _org(two_tiers))
    accounts.account_activate(username="new_cadre", code=code.lower(), new_password=NEW_PASSWORD)
    user = User.objects.get(pk=fresh.pk)
    assert user.check_password(NEW_PASSWORD) and not user.must_change_password
    assert ActivationCode.objects.get(user=user).used_at is not None
    assert AuditEvent.objects.filter(action="account.activate", actor=user).count() == 1
    with pytest.raises(accounts.ActivationRefused):
        accounts.account_activate(username="new_cadre", code=code, new_password="Another-Pass-77")
    assert User.objects.get(pk=fresh.pk).check_password(NEW_PASSWORD)


def test_activation_by_id_number_of_the_cadre_record(two_tiers, fresh):
    code = _issue(fresh, _org(two_tiers))
    accounts.account_activate(username=fresh.cadre.id_number, code=code, new_password=NEW_PASSWORD)
    assert User.objects.get(pk=fresh.pk).check_password(NEW_PASSWORD)


def test_a_new_code_voids_the_old_one_r_x1(two_tiers, fresh):
    old = _issue(fresh, _org(two_tiers))
    new = _issue(fresh, _org(two_tiers))
    assert ActivationCode.objects.filter(user=fresh, voided_at__isnull=False).count() == 1
    with pytest.raises(accounts.ActivationRefused):
        accounts.account_activate(username="new_cadre", code=old, new_password=NEW_PASSWORD)
    accounts.account_activate(username="new_cadre", code=new, new_password=NEW_PASSWORD)


def test_an_expired_code_is_refused_r_x1(two_tiers, fresh):
    code = _issue(fresh, _org(two_tiers))
    with time_machine.travel(datetime.timedelta(days=accounts.code_days(), minutes=1)):
        with pytest.raises(accounts.ActivationRefused):
            accounts.account_activate(username="new_cadre", code=code, new_password=NEW_PASSWORD)
    assert not User.objects.get(pk=fresh.pk).has_usable_password()


def test_a_code_is_refused_for_another_account_with_the_same_message(two_tiers, fresh):
    code = _issue(fresh, _org(two_tiers))
    messages = set()
    for username, typed in (("cadre_b", code), ("new_cadre", "ABCD-EFGH-JKLM"), ("nobody", code)):
        with pytest.raises(accounts.ActivationRefused) as refused:
            accounts.account_activate(username=username, code=typed, new_password=NEW_PASSWORD)
        messages.add(str(refused.value))
    assert len(messages) == 1
    assert ActivationCode.objects.get(user=fresh).used_at is None


@pytest.mark.parametrize("weak", ["12345678", "password", "zhou", "new_cadre1"])
def test_a_weak_password_is_refused_in_chinese_and_nothing_changes_r_x1(two_tiers, fresh, weak):
    code = _issue(fresh, _org(two_tiers))
    with pytest.raises(ValidationError) as error:
        accounts.account_activate(username="new_cadre", code=code, new_password=weak)
    text = " ".join(error.value.messages)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    assert not User.objects.get(pk=fresh.pk).has_usable_password()
    assert ActivationCode.objects.get(user=fresh).used_at is None
    assert not AuditEvent.objects.filter(action="account.activate").exists()


def test_reset_code_keeps_the_old_password_until_used_r_x1(two_tiers):
    cadre = two_tiers["people"]["cadre_a"]
    code = _issue(cadre, _org(two_tiers), ActivationCode.Purpose.RESET)
    assert User.objects.get(pk=cadre.pk).check_password("pass-for-tests-1")
    accounts.account_activate(username="cadre_a", code=code, new_password=NEW_PASSWORD)
    user = User.objects.get(pk=cadre.pk)
    assert user.check_password(NEW_PASSWORD) and not user.check_password("pass-for-tests-1")


def test_activation_code_for_an_activated_account_asks_for_a_reset_code(two_tiers):
    with pytest.raises(ValidationError, match="重置码"):
        _issue(two_tiers["people"]["cadre_a"], _org(two_tiers))


def test_activation_clears_a_forced_password_change(two_tiers, fresh):
    User.objects.filter(pk=fresh.pk).update(must_change_password=True)
    code = _issue(User.objects.get(pk=fresh.pk), _org(two_tiers))
    user = accounts.account_activate(username="new_cadre", code=code, new_password=NEW_PASSWORD)
    assert not User.objects.get(pk=user.pk).must_change_password


def test_deactivated_account_cannot_sign_in_and_its_code_is_voided_r_x1(two_tiers, fresh):
    cadre = two_tiers["people"]["cadre_a"]
    code = _issue(cadre, _org(two_tiers), ActivationCode.Purpose.RESET)
    accounts.account_deactivate(user=cadre, by=_org(two_tiers), reason="已调离本县")
    assert (
        authenticate(RequestFactory().post("/accounts/login/"), username="cadre_a", password="pass-for-tests-1") is None
    )
    assert ActivationCode.objects.get(user=cadre).voided_at is not None
    with pytest.raises(accounts.ActivationRefused):
        accounts.account_activate(username="cadre_a", code=code, new_password=NEW_PASSWORD)
    event = AuditEvent.objects.get(action="account.deactivate")
    assert event.reason == "已调离本县" and event.to_state == "inactive" and event.actor == _org(two_tiers)
    with pytest.raises(ValidationError):
        _issue(User.objects.get(pk=cadre.pk), _org(two_tiers), ActivationCode.Purpose.RESET)

    accounts.account_reactivate(user=User.objects.get(pk=cadre.pk), by=_org(two_tiers))
    assert (
        authenticate(RequestFactory().post("/accounts/login/"), username="cadre_a", password="pass-for-tests-1")
        is not None
    )
    assert AuditEvent.objects.filter(action="account.reactivate").count() == 1


def test_deactivation_needs_a_reason_and_not_ones_own_account(two_tiers):
    with pytest.raises(ValidationError):
        accounts.account_deactivate(user=two_tiers["people"]["cadre_a"], by=_org(two_tiers), reason="  ")
    with pytest.raises(ValidationError):
        accounts.account_deactivate(user=_org(two_tiers), by=_org(two_tiers), reason="测试")
    assert User.objects.get(username="cadre_a").is_active


@pytest.mark.parametrize("who", ["head_a", "town_a", "auditor", "cadre_b", "outsider"])
def test_only_the_org_dept_issues_codes_r_o4(two_tiers, fresh, who):
    by = two_tiers["people"][who]
    with pytest.raises(PermissionDenied):
        _issue(fresh, by)
    with pytest.raises(PermissionDenied):
        accounts.account_deactivate(user=fresh, by=by, reason="越权")
    assert not ActivationCode.objects.exists()
    assert AuditEvent.objects.filter(action="account.refused", actor=by).exists()


def test_another_countys_org_dept_cannot_touch_the_account_r_o4(two_tiers, fresh):
    other = CountyFactory(code="410999", name="外县")
    stranger = UserFactory(username="other_org", name="外县组织部")
    appoint(stranger, Role.ORG_DEPT, other)
    with pytest.raises(PermissionDenied):
        _issue(fresh, stranger)
    with pytest.raises(PermissionDenied):
        accounts.activation_codes_issue(tier=two_tiers["unit_a"], by=stranger)
    assert not ActivationCode.objects.exists()
    assert [u.username for u in accounts.accounts_for(stranger)] == ["other_org"]


def test_the_org_dept_cannot_reset_a_superuser_or_staff_account_r_o4(two_tiers):
    admin = UserFactory(username="admin_in_county", is_staff=True)
    appoint(admin, Role.AUDITOR, two_tiers["county"])
    with pytest.raises(PermissionDenied):
        _issue(admin, _org(two_tiers), ActivationCode.Purpose.RESET)


def test_accounts_for_lists_cadres_and_post_holders_with_status_r_o4(two_tiers, fresh):
    accounts.account_deactivate(user=two_tiers["people"]["cadre_b"], by=_org(two_tiers), reason="退休")
    _issue(fresh, _org(two_tiers))
    rows = {u.username: u for u in accounts.accounts_for(_org(two_tiers))}
    assert {"org", "auditor", "head_a", "deputy_a", "head_b", "town_a", "town_b", "cadre_a", "new_cadre"} <= set(rows)
    assert "outsider" not in rows
    assert rows["new_cadre"].status == "unactivated" and rows["new_cadre"].code_expires is not None
    assert rows["cadre_a"].status == "active" and rows["cadre_b"].status == "inactive"
    assert [p.role for p in rows["head_a"].active_posts] == [Role.UNIT_HEAD]
    unactivated = accounts.accounts_for(_org(two_tiers), status="unactivated")
    assert [u.username for u in unactivated] == ["new_cadre"]
    by_unit = {u.username for u in accounts.accounts_for(_org(two_tiers), unit=two_tiers["unit_a"])}
    assert by_unit == {"head_a", "deputy_a", "cadre_a", "new_cadre"}
    found = accounts.accounts_for(_org(two_tiers), search=fresh.cadre.id_number)
    assert [u.username for u in found] == ["new_cadre"]


def test_batch_issue_covers_every_unactivated_account_of_the_unit_in_one_event_r_x1(two_tiers, fresh):
    second = UserFactory(username="new_cadre2", name="吴二")
    second.set_unusable_password()
    second.save()
    CadreFactory(unit=two_tiers["unit_a"], user=second)
    elsewhere = UserFactory(username="new_cadre3")
    elsewhere.set_unusable_password()
    elsewhere.save()
    CadreFactory(unit=UnitFactory(county=two_tiers["county"]), user=elsewhere)
    old = _issue(fresh, _org(two_tiers))

    issued = accounts.activation_codes_issue(tier=two_tiers["unit_a"], by=_org(two_tiers), reissue=True)

    assert {one.user.username for one in issued} == {"new_cadre", "new_cadre2"}
    assert AuditEvent.objects.filter(action="account.codes_issue").count() == 1
    event = AuditEvent.objects.get(action="account.codes_issue")
    assert event.data["count"] == 2 and event.data["voided"] == 1 and event.unit_id == two_tiers["unit_a"].pk
    assert all(one.code not in str(event.data) for one in issued)
    with pytest.raises(accounts.ActivationRefused):
        accounts.account_activate(username="new_cadre", code=old, new_password=NEW_PASSWORD)
    mine = next(one for one in issued if one.user.username == "new_cadre")
    accounts.account_activate(username="new_cadre", code=mine.code, new_password=NEW_PASSWORD)


def test_a_sheet_leaves_out_accounts_whose_code_is_still_open_unless_reissued_r_x1(two_tiers, fresh):
    handed_out = _issue(fresh, _org(two_tiers))
    with pytest.raises(ValidationError, match="都已有未过期的激活码"):
        accounts.activation_codes_issue(tier=two_tiers["unit_a"], by=_org(two_tiers))
    # The slip handed out earlier still works.
    accounts.account_activate(username="new_cadre", code=handed_out, new_password=NEW_PASSWORD)


def test_batch_issue_with_nobody_to_activate_is_refused(two_tiers):
    with pytest.raises(ValidationError):
        accounts.activation_codes_issue(tier=two_tiers["unit_b"], by=_org(two_tiers))


def test_issuing_again_from_a_stale_form_issues_nothing(two_tiers, fresh):
    _issue(fresh, _org(two_tiers))
    with pytest.raises(ValidationError, match="不再显示"):
        accounts.activation_code_issue(user=fresh, by=_org(two_tiers), purpose="activate", replaces=0)
    assert ActivationCode.objects.filter(user=fresh).count() == 1


def test_two_submissions_of_one_code_only_one_succeeds_r_x1(two_tiers, fresh):
    """The code row is locked (select_for_update) and re-read: the second use meets it used."""
    code = _issue(fresh, _org(two_tiers))
    results = []
    for password in (NEW_PASSWORD, "Second-Pass-2026"):
        try:
            accounts.account_activate(username="new_cadre", code=code, new_password=password)
            results.append("ok")
        except accounts.ActivationRefused:
            results.append("refused")
    assert results == ["ok", "refused"]
    assert User.objects.get(pk=fresh.pk).check_password(NEW_PASSWORD)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real PostgreSQL connections and row locks")
def test_two_simultaneous_submissions_of_one_code_exactly_one_succeeds_r_x1(transactional_db, two_tiers, fresh):
    """Both read the code at once; the row lock makes the second wait and then find it used."""
    code = _issue(fresh, _org(two_tiers))
    start = threading.Barrier(2)
    results: list[str] = []

    def submit(password):
        try:
            start.wait(timeout=10)
            accounts.account_activate(username="new_cadre", code=code, new_password=password)
            results.append("ok")
        except accounts.ActivationRefused:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(p,)) for p in (NEW_PASSWORD, "Second-Pass-2026")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "refused"]
    assert ActivationCode.objects.get(user=fresh).used_at is not None
    assert AuditEvent.objects.filter(action="account.activate").count() == 1
