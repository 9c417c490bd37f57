"""The tier lists run a fixed number of queries, however many rows the tier holds (R-O4 at scale)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CadreFactory, VillageFactory, VillageIncomeFactory


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/org/village/", "/org/cadre/", "/org/unit/", "/org/township/"])
def test_r_o4_list_pages_run_the_same_queries_for_few_and_many_rows(client, two_tiers, url):
    client.force_login(two_tiers["people"]["org"])
    small = _queries(client, url)
    for i in range(20):
        village = VillageFactory(township=two_tiers["town_a"])
        VillageIncomeFactory(village=village)
        CadreFactory(unit=two_tiers["unit_a"], is_reserve=i % 3 == 0)
    assert _queries(client, url) == small
    assert small <= 15
