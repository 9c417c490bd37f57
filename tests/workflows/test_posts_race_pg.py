"""Two org dept members appoint a unit head at once: the partial unique constraint lets one win (R-O2, R-O4).

Real row locking and a unique index checked across transactions need PostgreSQL: skipped elsewhere.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from tests.factories import CountyFactory, UnitFactory, UserFactory, appoint, valid_id_number
from workflows.models import AuditEvent, Post, Role, User
from workflows.services import post_appoint

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real PostgreSQL connections")


@pytest.fixture
def unit_without_head(transactional_db):
    county = CountyFactory()
    unit = UnitFactory(county=county)
    org_a = appoint(UserFactory(name="组织部甲"), Role.ORG_DEPT, county).user
    org_b = appoint(UserFactory(name="组织部乙"), Role.ORG_DEPT, county).user
    return {"county": county, "unit": unit, "org": [org_a, org_b]}


def _run_both(target, args_list):
    start = threading.Barrier(len(args_list))
    results, errors = {}, []

    def run(key, *args):
        try:
            start.wait(timeout=5)
            results[key] = target(key, *args)
        except Exception as exc:  # noqa: BLE001 - collected and checked below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=args) for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_r_o2_two_services_appointing_two_heads_at_once_one_wins(unit_without_head):
    """Each in its own transaction on its own connection; the loser's insert waits on the index, then fails."""
    unit, (org_a, org_b) = unit_without_head["unit"], unit_without_head["org"]
    people = [UserFactory(name="候选甲"), UserFactory(name="候选乙")]
    barrier = threading.Barrier(2)

    def appoint_after_both_started(key, person, by):
        from django.db import transaction

        with transaction.atomic():
            # Both transactions are open before either inserts: neither can see the other's row first.
            Post.objects.filter(unit=unit).count()
            barrier.wait(timeout=5)
            return post_appoint(user=person, role=Role.UNIT_HEAD, tier=unit, by=by)

    results, errors = _run_both(appoint_after_both_started, [("a", people[0], org_a), ("b", people[1], org_b)])
    assert len(results) == 1, (results, errors)
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert "已有在任的单位主要领导" in errors[0].messages[0]
    assert Post.objects.active().filter(unit=unit, role=Role.UNIT_HEAD).count() == 1
    assert AuditEvent.objects.filter(action="post.appoint", unit=unit).count() == 1


def test_r_o2_two_pages_appointing_two_new_heads_at_once_one_wins(unit_without_head):
    """Through the pages: one is appointed, the other sees the refusal on the form and nothing of theirs is written."""
    county, unit = unit_without_head["county"], unit_without_head["unit"]
    url = f"{reverse('manage:post_appoint')}?county={county.pk}"
    clients = []
    for user in unit_without_head["org"]:
        client = Client()
        client.force_login(user)
        clients.append(client)

    def post(key, client, n):
        data = {
            "role": Role.UNIT_HEAD,
            "unit": unit.pk,
            "new_name": f"新任{n}",
            "new_id_number": valid_id_number(900 + n),
        }
        return client.post(url, data)

    results, errors = _run_both(post, [("a", clients[0], 1), ("b", clients[1], 2)])
    assert errors == []
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 302]
    refused = next(r for r in results.values() if r.status_code == 200)
    assert "已有在任的单位主要领导" in refused.content.decode()
    assert Post.objects.active().filter(unit=unit, role=Role.UNIT_HEAD).count() == 1
    assert User.objects.filter(name__startswith="新任").count() == 1
