"""Out-of-range or malformed dates, months, years and numbers answer a clear message, never a 500."""

import datetime
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError

from tests.test_pages_smoke import _plain_urls
from workflows.params import (
    BadInput,
    BoundedDateField,
    read_date,
    read_int,
    read_month,
    read_year,
)

#: The query parameters list and report pages read: periods, and ids or numbers. A bad period is sent with no id, so
#: that a refused id (403, 404) does not hide what the page does with the period.
PERIODS = ("month", "year", "date_from", "date_to", "on", "term_ends_from", "term_ends_to")
NUMBERS = ("county", "unit", "township", "dispatch", "village", "page", "actor")

BAD_REQUESTS = [
    *({name: value for name in PERIODS} for value in ("0001-01", "9999-12-31", "9999", "2026-13", "2026-00-10", "abc")),
    *({name: value for name in NUMBERS} for value in ("99999999999999999999999", "-1", "abc")),
]


@pytest.mark.parametrize("role", ["org", "town_a", "cadre_a"])
def test_every_page_answers_bad_parameters_without_a_server_error(client, two_tiers, role):
    client.force_login(two_tiers["people"][role])
    urls = sorted(set(_plain_urls()))
    assert len(urls) > 10
    failures = {}
    for url in urls:
        for params in BAD_REQUESTS:
            response = client.get(f"{url}?{urlencode(params)}")
            if response.status_code >= 500:
                failures.setdefault(url, []).append(params)
    assert failures == {}


def test_attendance_grid_says_which_month_is_out_of_range(client, two_tiers):
    client.force_login(two_tiers["people"]["town_a"])
    response = client.get("/leave/attendance/grid/?month=0001-01")
    assert response.status_code == 400
    assert "年份应在 2000 至 2100 之间" in response.content.decode()


def test_audit_trail_refuses_a_date_in_year_9999_on_its_filter_form(client, two_tiers):
    client.force_login(two_tiers["people"]["org"])
    response = client.get("/audit/?date_to=9999-12-31")
    assert response.status_code in (200, 400)
    assert "年份应在 2000 至 2100 之间" in response.content.decode()


def test_read_month_reads_a_month_and_refuses_others():
    assert read_month({"month": "2026-03"}) == datetime.date(2026, 3, 1)
    assert read_month({}, default=datetime.date(2026, 11, 26)) == datetime.date(2026, 11, 1)
    for bad in ("0001-01", "9999-12", "2026-13", "2026-0", "2026", "abc", "2026-03-01", "２０２６-03"):
        with pytest.raises(BadInput):
            read_month({"month": bad})


def test_read_date_reads_an_iso_date_within_the_input_years():
    assert read_date({"on": "2026-03-01"}, "on") == datetime.date(2026, 3, 1)
    assert read_date({"on": ""}, "on", default=datetime.date(2026, 1, 1)) == datetime.date(2026, 1, 1)
    for bad in ("9999-12-31", "0001-01-01", "1999-12-31", "2026-02-30", "tomorrow"):
        with pytest.raises(BadInput):
            read_date({"on": bad}, "on")


def test_read_year_and_read_int_keep_to_their_bounds(settings):
    settings.INPUT_YEAR_MIN, settings.INPUT_YEAR_MAX = 2000, 2100
    assert read_year({"year": "2026"}) == 2026
    assert read_year({}, default=2025) == 2025
    for bad in ("1999", "2101", "0001", "9999", "abc", "20.5"):
        with pytest.raises(BadInput):
            read_year({"year": bad})
    assert read_int({"n": "-3"}, "n", min_value=-5) == -3
    with pytest.raises(BadInput):
        read_int({"n": "11"}, "n", max_value=10)
    assert read_int({"n": ""}, "n", default=7) == 7
    for bad in ("0", "99999999999999999999999", "1e3", "١٢", "12a"):
        with pytest.raises(BadInput):
            read_int({"n": bad}, "n", min_value=1, max_value=100)


def test_bounded_date_field_refuses_years_outside_the_input_years():
    field = BoundedDateField()
    assert field.clean("2026-03-01") == datetime.date(2026, 3, 1)
    for bad in ("9999-12-31", "0001-01-01", "2026-02-30"):
        with pytest.raises(ValidationError):
            field.clean(bad)
