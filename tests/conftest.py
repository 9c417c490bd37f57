"""Fixtures shared by the whole suite."""

import datetime
import os
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import translation

from dispatch.models import Pairing
from tests.factories import (
    CadreFactory,
    CountyFactory,
    TownshipFactory,
    UnitFactory,
    UserFactory,
    VillageFactory,
    appoint,
)
from workflows import triggers
from workflows.models import Role


def pytest_collection_modifyitems(config, items):
    """PDF tests need a CJK font (Debian's fonts-noto-cjk); without one they are skipped, unless CI requires them."""
    from appraisal.pdf import PdfFontMissing, chinese_font

    try:
        chinese_font()
        return
    except PdfFontMissing:
        pass
    if os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError("REQUIRE_BROWSER is set but no CJK font was found (apt-get install fonts-noto-cjk)")
    skip = pytest.mark.skip(reason="No CJK font for PDFs (apt-get install fonts-noto-cjk)")
    for item in items:
        if "cjk_font" in item.keywords:
            item.add_marker(skip)


#: The suite's "now": every test starts on this clock, whatever the machine's date, and it runs on from
#: there. A test that needs another day moves to it (time-machine's ``time_machine.move_to``); no test
#: reads the real date, so the suite passes on any day of any year (CI runs it again under faketime).
SUITE_NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="session", autouse=True)
def _suite_clock_for_shared_fixtures():
    """Module- and session-scoped fixtures (a demo county built once, say) are built on the suite's clock too."""
    with time_machine.travel(SUITE_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _suite_clock():
    """Start every test at SUITE_NOW; the clock ticks on so that timeouts and rate windows still work."""
    with time_machine.travel(SUITE_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """A request that asked for English leaves English active in the thread; the next test starts in Chinese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def transactional_db(transactional_db):
    """Empty the append-only audit table before Django flushes the database (R-X1 triggers)."""
    yield transactional_db
    triggers.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {triggers.TABLE}")
    triggers.install(connection)


@pytest.fixture
def county(db):
    return CountyFactory(code="410523", name="汤阴县")


@pytest.fixture
def two_tiers(county):
    """Two units, two townships with a village each, and one person in every role."""
    unit_a = UnitFactory(county=county, name="县农业农村局")
    unit_b = UnitFactory(county=county, name="县教育局")
    town_a = TownshipFactory(county=county, name="菜园镇")
    town_b = TownshipFactory(county=county, name="宜沟镇")
    village_a = VillageFactory(township=town_a, name="东官庄村")
    village_b = VillageFactory(township=town_b, name="西街村")
    people = {
        "org": UserFactory(username="org", name="组织部王科长"),
        "auditor": UserFactory(username="auditor", name="审计李明"),
        "head_a": UserFactory(username="head_a", name="农业局张局长"),
        "deputy_a": UserFactory(username="deputy_a", name="农业局刘副局长"),
        "head_b": UserFactory(username="head_b", name="教育局赵局长"),
        "town_a": UserFactory(username="town_a", name="菜园镇党委陈书记"),
        "town_b": UserFactory(username="town_b", name="宜沟镇党委孙书记"),
        "outsider": UserFactory(username="outsider", name="无职务人员"),
    }
    appoint(people["org"], Role.ORG_DEPT, county)
    appoint(people["auditor"], Role.AUDITOR, county)
    appoint(people["head_a"], Role.UNIT_HEAD, unit_a)
    appoint(people["deputy_a"], Role.UNIT_DEPUTY, unit_a)
    appoint(people["head_b"], Role.UNIT_HEAD, unit_b)
    appoint(people["town_a"], Role.TOWNSHIP_COMMITTEE, town_a)
    appoint(people["town_b"], Role.TOWNSHIP_COMMITTEE, town_b)
    cadre_a = CadreFactory(unit=unit_a, user=UserFactory(username="cadre_a", name="李卫东"), is_reserve=True)
    cadre_b = CadreFactory(unit=unit_b, user=UserFactory(username="cadre_b", name="王秀英"))
    people["cadre_a"], people["cadre_b"] = cadre_a.user, cadre_b.user
    return {
        "county": county,
        "unit_a": unit_a,
        "unit_b": unit_b,
        "town_a": town_a,
        "town_b": town_b,
        "village_a": village_a,
        "village_b": village_b,
        "cadre_a": cadre_a,
        "cadre_b": cadre_b,
        "people": people,
    }


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
