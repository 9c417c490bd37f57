"""The audit trail is append-only in the database and its hash chain exposes tampering (R-X1)."""

import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from workflows import triggers
from workflows.audit import audit_record, audit_verify
from workflows.models import AuditEvent
from workflows.policy import audit_policy_changes


@pytest.fixture
def chain(two_tiers):
    """A trail of a dozen events (the fixture's appointments) plus three more."""
    for i in range(3):
        audit_record(
            action="test.event",
            actor=two_tiers["people"]["org"],
            obj=two_tiers["unit_a"],
            reason=f"第{i}次",
            from_state="a",
            to_state="b",
            data={"i": i},
        )
    return list(AuditEvent.objects.order_by("seq"))


def _behind_the_back(sql, params=()):
    """Run SQL with the triggers lifted, as someone with direct database access would."""
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


def test_r_x1_database_rejects_update_of_an_audit_event(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE workflows_auditevent SET reason = 'changed' WHERE seq = 2")
    assert AuditEvent.objects.get(seq=2).reason == chain[1].reason


def test_r_x1_database_rejects_delete_of_an_audit_event(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM workflows_auditevent WHERE seq = 2")
    assert AuditEvent.objects.filter(seq=2).exists()


def test_r_x1_orm_update_and_delete_are_rejected_too(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(reason="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()


def test_r_x1_clean_chain_verifies(chain, capsys):
    report = audit_verify()
    assert report.ok and report.checked == len(chain) and report.head_seq == chain[-1].seq
    call_command("audit_verify")
    assert "审计链完整" in capsys.readouterr().out


def test_r_x1_verify_names_an_altered_event(chain):
    target = chain[-2]
    _behind_the_back("UPDATE workflows_auditevent SET reason = %s WHERE id = %s", ["改过的理由", target.pk])
    report = audit_verify()
    assert not report.ok and report.broken_seq == target.seq and report.broken_id == target.pk
    with pytest.raises(CommandError, match=f"#{target.seq}"):
        call_command("audit_verify")


def test_r_x1_verify_names_a_removed_event(chain):
    removed, after = chain[4], chain[5]
    _behind_the_back("DELETE FROM workflows_auditevent WHERE id = %s", [removed.pk])
    report = audit_verify()
    assert not report.ok and report.broken_seq == removed.seq and report.broken_id == after.pk
    assert f"#{removed.seq}" in report.problem and "删除" in report.problem


def test_r_x1_verify_names_an_event_inserted_behind_the_applications_back(chain):
    last = chain[-1]
    forged = AuditEvent(
        seq=last.seq + 1,
        at=last.at,
        actor_name="伪造者",
        action="post.appoint",
        reason="",
        prev_hash=last.hash,
        data={},
        hash=hashlib.sha256(b"forged").hexdigest(),
    )
    forged.save(force_insert=True)
    report = audit_verify()
    assert not report.ok and report.broken_id == forged.pk and "伪造" in report.problem


def test_r_x1_verify_names_an_event_whose_hash_was_recomputed_without_the_key(chain):
    """Rewriting a row and its hash with plain SHA-256 does not verify: the chain is keyed."""
    target = chain[3]
    _behind_the_back(
        "UPDATE workflows_auditevent SET reason = %s, hash = %s WHERE id = %s",
        ["掩盖", hashlib.sha256(b"x").hexdigest(), target.pk],
    )
    assert audit_verify().broken_id == target.pk


def test_r_x1_event_records_actor_object_states_reason_and_tier(chain, two_tiers):
    event = chain[-1]
    assert event.actor == two_tiers["people"]["org"] and event.actor_name == "组织部王科长"
    assert event.object_id == str(two_tiers["unit_a"].pk) and event.object_repr == "县农业农村局"
    assert (event.from_state, event.to_state, event.reason) == ("a", "b", "第2次")
    assert event.unit == two_tiers["unit_a"] and event.at.tzinfo is not None


def test_r_x1_request_address_is_recorded_when_there_is_a_request(client, two_tiers):
    from workflows.audit import request_ip

    token = request_ip.set("10.1.2.3")
    try:
        event = audit_record(action="test.ip", actor=None)
    finally:
        request_ip.reset(token)
    assert AuditEvent.objects.get(pk=event.pk).ip == "10.1.2.3"


def test_r_x1_policy_change_is_audited_once(db, settings):
    audit_policy_changes()
    before = AuditEvent.objects.filter(action="policy.change").count()
    audit_policy_changes()
    assert AuditEvent.objects.filter(action="policy.change").count() == before
    with override_settings(POLICY={**settings.POLICY, "LEAVE_TOWNSHIP_MAX_DAYS": 5}):
        audit_policy_changes()
    event = AuditEvent.objects.filter(action="policy.change").order_by("-seq").first()
    assert event.data["changed"] == {"LEAVE_TOWNSHIP_MAX_DAYS": {"from": 3, "to": 5}}
