"""Fixtures for the dispatch process: a paired village, a quota, cadres ready to nominate."""

import datetime

import pytest

from dispatch.models import Pairing
from tests.factories import CadreFactory, UserFactory, VillageFactory, appoint
from workflows.models import Role

YEAR = 2026


@pytest.fixture
def year():
    return YEAR


@pytest.fixture
def world(two_tiers):
    """two_tiers plus pairings: unit_a with village_a and a second village in town_a; unit_b with village_b."""
    w = dict(two_tiers)
    w["village_a2"] = VillageFactory(township=w["town_a"], name="西官庄村")
    Pairing.objects.create(unit=w["unit_a"], village=w["village_a"], year=YEAR)
    Pairing.objects.create(unit=w["unit_a"], village=w["village_a2"], year=YEAR)
    Pairing.objects.create(unit=w["unit_b"], village=w["village_b"], year=YEAR)
    w["plain_a"] = CadreFactory(unit=w["unit_a"], user=UserFactory(username="plain_a", name="赵普通"))
    w["mentor_a"] = UserFactory(username="town_a_deputy", name="菜园镇周副书记")
    appoint(w["mentor_a"], Role.TOWNSHIP_COMMITTEE, w["town_a"])
    return w


@pytest.fixture
def today():
    return datetime.date(YEAR, 3, 2)
