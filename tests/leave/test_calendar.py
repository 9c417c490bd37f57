"""The official calendar around real 2026 holidays, the 2027 fallback, and the org dept's corrections (R-M2a, R-M1)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from leave.calendar import days_between, month_days, workdays_between
from leave.models import CalendarCorrection
from leave.selectors import attendance as selectors
from leave.services import attendance
from workflows.models import AuditEvent

D = datetime.date


def _day(county, day):
    return days_between(day, day, county.pk)[0]


def test_r_m2a_spring_festival_2026_is_nine_days_off_with_two_saturdays_worked(county):
    """R-M2a: 2026-02-15 … 02-23 off; Saturdays 02-14 and 02-28 are adjusted working days (调休上班)."""
    for day in (D(2026, 2, 15), D(2026, 2, 16), D(2026, 2, 20), D(2026, 2, 23)):
        assert not _day(county, day).is_workday
        assert _day(county, day).name == "Spring Festival"
    for day in (D(2026, 2, 14), D(2026, 2, 28)):
        assert day.weekday() == 5
        assert _day(county, day).is_workday
        assert selectors.day_kind(_day(county, day)) == "adjusted"
    assert len(workdays_between(D(2026, 2, 1), D(2026, 2, 28), county.pk)) == 16


def test_r_m2a_national_day_2026_with_its_sunday_and_saturday_worked(county):
    """R-M2a: 10-01 … 10-07 off; Sunday 09-20 and Saturday 10-10 are working days."""
    assert [d.date.day for d in month_days(D(2026, 10, 1), county.pk) if not d.is_workday][:7] == [1, 2, 3, 4, 5, 6, 7]
    assert _day(county, D(2026, 9, 20)).is_workday and D(2026, 9, 20).weekday() == 6
    assert _day(county, D(2026, 10, 10)).is_workday and D(2026, 10, 10).weekday() == 5
    assert len(workdays_between(D(2026, 10, 1), D(2026, 10, 31), county.pk)) == 18
    assert selectors.day_kind(_day(county, D(2026, 10, 5))) == "holiday"
    assert selectors.day_kind(_day(county, D(2026, 10, 17))) == "rest"


def test_r_m1_a_2026_calendar_year_has_248_working_days(county):
    """R-M1: fewer than 250, which is why rest days spent in the village count toward the year."""
    assert len(workdays_between(D(2026, 1, 1), D(2026, 12, 31), county.pk)) == 248


def test_holiday_names_are_shown_in_chinese(county):
    with translation.override("zh-hans"):
        assert selectors.day_name(_day(county, D(2026, 2, 17))) == "春节"
        assert selectors.day_name(_day(county, D(2026, 10, 1))) == "国庆节"
        assert selectors.day_name(_day(county, D(2026, 4, 5))) == "清明节"


def test_r_m2a_2027_falls_back_to_weekends_until_the_schedule_is_published(county):
    """R-M2a: no official 2027 data yet: Monday 2027-02-08 (in the real Spring Festival) counts as a working day."""
    monday, saturday = _day(county, D(2027, 2, 8)), _day(county, D(2027, 2, 6))
    assert monday.is_workday and not monday.official
    assert not saturday.is_workday and not saturday.official
    assert selectors.unpublished_years(month_days(D(2027, 2, 1), county.pk)) == [2027]
    assert selectors.unpublished_years(month_days(D(2026, 12, 1), county.pk)) == []


def test_r_m2a_org_dept_corrects_a_2027_day_for_the_county_audited(county, two_tiers):
    org = two_tiers["people"]["org"]
    correction = attendance.calendar_correct(
        county=county, day=D(2027, 2, 8), is_workday=False, note="2027年春节放假", by=org
    )
    day = _day(county, D(2027, 2, 8))
    assert (day.is_workday, day.official, day.name) == (False, True, "2027年春节放假")
    assert selectors.day_kind(day) == "holiday"
    assert len(workdays_between(D(2027, 2, 1), D(2027, 2, 28), county.pk)) == 19
    event = AuditEvent.objects.get(action="attendance.calendar_correct")
    assert (event.from_state, event.to_state, event.reason) == ("workday", "rest", "2027年春节放假")
    assert event.object_id == str(correction.pk) and event.county_id == county.pk
    # Correcting the same day again replaces the correction: one row per county and day.
    attendance.calendar_correct(county=county, day=D(2027, 2, 8), is_workday=True, note="改为上班", by=org)
    assert CalendarCorrection.objects.get(county=county, date=D(2027, 2, 8)).is_workday is True


def test_r_m2a_a_correction_can_make_an_official_holiday_a_working_day(county, two_tiers):
    attendance.calendar_correct(
        county=county, day=D(2026, 10, 8), is_workday=True, note="防汛值班,全县上班", by=two_tiers["people"]["org"]
    )
    assert _day(county, D(2026, 10, 8)).is_workday
    assert len(workdays_between(D(2026, 10, 1), D(2026, 10, 31), county.pk)) == 18  # 10-08 was already a workday
    attendance.calendar_correct(
        county=county, day=D(2026, 10, 7), is_workday=True, note="县里统一安排上班", by=two_tiers["people"]["org"]
    )
    assert len(workdays_between(D(2026, 10, 1), D(2026, 10, 31), county.pk)) == 19


def test_calendar_correction_needs_a_note(county, two_tiers):
    with pytest.raises(ValidationError, match="说明"):
        attendance.calendar_correct(
            county=county, day=D(2027, 1, 1), is_workday=False, note="  ", by=two_tiers["people"]["org"]
        )
    assert not CalendarCorrection.objects.exists()


@pytest.mark.parametrize("role", ["auditor", "town_a", "head_a", "cadre_a"])
def test_r_o4_only_the_org_dept_corrects_the_calendar(county, two_tiers, role):
    with pytest.raises(PermissionDenied):
        attendance.calendar_correct(
            county=county, day=D(2027, 1, 1), is_workday=False, note="元旦", by=two_tiers["people"][role]
        )
    assert not CalendarCorrection.objects.exists()
    assert AuditEvent.objects.filter(action="attendance.calendar_correct.refused").count() == 1


def test_a_correction_in_another_county_does_not_apply(county, two_tiers):
    from tests.factories import CountyFactory

    other = CountyFactory(code="410522", name="安阳县")
    CalendarCorrection.objects.create(county=other, date=D(2027, 2, 8), is_workday=False, note="外县")
    assert _day(county, D(2027, 2, 8)).is_workday
