"""One demo county for the whole package: its checks only read it; rolled back when the package ends.

Each build costs most of a minute (more on PostgreSQL), so the three modules share one. The tests that need an
empty database (the command run twice, the build early in the year) run first, before the shared one exists.
"""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from demo.build import demo_county_build

_HERE = __file__.rpartition("/")[0]


@pytest.fixture(scope="package")
def built_demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        started = timezone.now()
        yield demo_county_build(), started
        transaction.set_rollback(True)


@pytest.fixture
def demo(built_demo, db):
    return built_demo[0]


@pytest.fixture
def demo_started(built_demo, db) -> datetime.datetime:
    """When the shared demo's build began."""
    return built_demo[1]


def pytest_collection_modifyitems(config, items):
    """Within this package, the tests that do not read the shared demo go first (they need an empty database)."""
    slots = [i for i, item in enumerate(items) if str(item.path).startswith(_HERE)]
    ordered = sorted((items[i] for i in slots), key=lambda item: "built_demo" in item.fixturenames)
    for slot, item in zip(slots, ordered, strict=True):
        items[slot] = item
