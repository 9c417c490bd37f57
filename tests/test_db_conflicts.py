"""Writing requests take the audit chain's lock first and retry a database conflict; a user never sees a 500."""

import threading

import pytest
from django.db import OperationalError, connection, connections
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from tests.factories import CountyFactory, UserFactory
from workflows.audit import audit_record, audit_verify
from workflows.models import AuditEvent, County

#: Pages that lock a row and audit in opposite orders, the inversion that deadlocked before the middleware.
_meet = threading.Barrier(2)


def _wait_for_the_other():
    try:
        _meet.wait(timeout=1.5)
    except threading.BrokenBarrierError:
        pass  # the other request waits for the chain's lock behind this one: the order holds


def row_then_audit(request, pk):
    county = County.objects.select_for_update().get(pk=pk)
    _wait_for_the_other()
    audit_record(action="test.row_then_audit", actor=request.user, obj=county)
    return HttpResponse("ok")


def audit_then_row(request, pk):
    audit_record(action="test.audit_then_row", actor=request.user)
    _wait_for_the_other()
    county = County.objects.select_for_update().get(pk=pk)
    county.name = county.name + "·"
    county.save(update_fields=["name"])
    return HttpResponse("ok")


class _Conflict(Exception):
    sqlstate = "40P01"


_calls = {"n": 0, "fail": 0}


def conflicting(request):
    """Write an event, then fail with a deadlock the first `fail` times it runs."""
    _calls["n"] += 1
    audit_record(action="test.conflicting", actor=request.user, data={"call": _calls["n"]})
    if _calls["n"] <= _calls["fail"]:
        raise OperationalError("deadlock detected") from _Conflict()
    return HttpResponse("written")


urlpatterns = [
    path("conflict/row-then-audit/<int:pk>/", row_then_audit),
    path("conflict/audit-then-row/<int:pk>/", audit_then_row),
    path("conflict/conflicting/", conflicting),
    path("", include("project.urls")),
]


@pytest.fixture
def conflicting_view():
    _calls.update(n=0, fail=0)
    return _calls


@pytest.mark.urls("tests.test_db_conflicts")
def test_a_write_that_meets_a_deadlock_is_run_again_and_succeeds(db, settings, conflicting_view):
    settings.DB_CONFLICT_ATTEMPTS, settings.DB_CONFLICT_PAUSE_SECONDS = 3, 0
    conflicting_view["fail"] = 2
    client = Client()
    client.force_login(UserFactory())
    response = client.post("/conflict/conflicting/")
    assert response.status_code == 200
    assert conflicting_view["n"] == 3
    # The failed attempts were rolled back: one event, written by the attempt that succeeded.
    assert list(AuditEvent.objects.filter(action="test.conflicting").values_list("data", flat=True)) == [{"call": 3}]


@pytest.mark.urls("tests.test_db_conflicts")
def test_a_write_that_keeps_meeting_deadlocks_answers_busy_503_and_writes_nothing(db, settings, conflicting_view):
    settings.DB_CONFLICT_ATTEMPTS, settings.DB_CONFLICT_PAUSE_SECONDS = 2, 0
    conflicting_view["fail"] = 99
    client = Client()
    client.force_login(UserFactory())
    response = client.post("/conflict/conflicting/")
    assert response.status_code == 503
    assert "系统繁忙,请稍后重试" in response.content.decode()
    assert response["Retry-After"]
    assert conflicting_view["n"] == 2
    assert not AuditEvent.objects.filter(action="test.conflicting").exists()


@pytest.mark.urls("tests.test_db_conflicts")
def test_a_reading_page_that_meets_a_deadlock_answers_busy_503(db, conflicting_view):
    conflicting_view["fail"] = 99
    client = Client()
    client.force_login(UserFactory())
    response = client.get("/conflict/conflicting/")
    assert response.status_code == 503


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real PostgreSQL connections and row locks")
@pytest.mark.urls("tests.test_db_conflicts")
def test_requests_locking_a_row_and_the_audit_chain_in_opposite_orders_both_succeed(transactional_db, settings):
    """Before, one locked the row then waited for the chain while the other held the chain and waited for the row."""
    settings.DB_CONFLICT_ATTEMPTS = 1  # no retry to hide behind: the lock order alone must prevent the deadlock
    county = CountyFactory()
    user = UserFactory()
    client_a, client_b = Client(), Client()
    client_a.force_login(user)
    client_b.force_login(user)
    results, errors = {}, []

    def post(name, client, url):
        try:
            results[name] = client.post(url).status_code
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    for _round in range(3):
        _meet.reset()
        threads = [
            threading.Thread(target=post, args=("a", client_a, f"/conflict/row-then-audit/{county.pk}/")),
            threading.Thread(target=post, args=("b", client_b, f"/conflict/audit-then-row/{county.pk}/")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert results == {"a": 200, "b": 200}
    assert AuditEvent.objects.filter(action__startswith="test.").count() == 6
    assert County.objects.get(pk=county.pk).name.endswith("···")
    assert audit_verify().ok
