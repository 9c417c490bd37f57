"""Concurrent appends never fork the audit chain (R-X1); real row locking needs PostgreSQL."""

import threading

import pytest
from django.db import connection, connections

from workflows.audit import audit_record, audit_verify
from workflows.models import AuditEvent

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real PostgreSQL connections")


def test_r_x1_two_writers_at_once_keep_one_unbroken_chain(transactional_db):
    start = threading.Barrier(4)
    errors = []

    def writer(n):
        try:
            start.wait()
            for i in range(15):
                audit_record(action="test.concurrent", actor=None, reason=f"writer {n} event {i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.filter(action="test.concurrent").count() == 60
    report = audit_verify()
    assert report.ok, report.problem
