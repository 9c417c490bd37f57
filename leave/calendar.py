"""Working days and holidays: the official calendar (chinese-calendar), corrected by the org dept (R-M2a)."""

from __future__ import annotations

import calendar as _calendar
import datetime
from dataclasses import dataclass

import chinese_calendar

from leave.models import CalendarCorrection


@dataclass(frozen=True)
class Day:
    date: datetime.date
    is_workday: bool
    name: str = ""  # the holiday's name, or the correction's note
    official: bool = True  # False when the year's official schedule is not yet published


def _official(day: datetime.date) -> tuple[bool, str, bool]:
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return not on_holiday, name or "", True
    except NotImplementedError:
        # The State Council publishes next year's schedule late in the year; until the library has it,
        # weekends are rest days and the org dept corrects the rest.
        return day.weekday() < 5, "", False


def days_between(start: datetime.date, end: datetime.date, county_id: int) -> list[Day]:
    """Every day from start to end inclusive, with the county's corrections applied (one query)."""
    if end < start:
        return []
    corrections = {c.date: c for c in CalendarCorrection.objects.filter(county_id=county_id, date__range=(start, end))}
    result = []
    day = start
    while day <= end:
        if day in corrections:
            result.append(Day(day, corrections[day].is_workday, corrections[day].note, True))
        else:
            workday, name, official = _official(day)
            result.append(Day(day, workday, name, official))
        day += datetime.timedelta(days=1)
    return result


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    return first, first.replace(day=_calendar.monthrange(first.year, first.month)[1])


def month_days(month: datetime.date, county_id: int) -> list[Day]:
    return days_between(*month_bounds(month), county_id)


def workdays_between(start: datetime.date, end: datetime.date, county_id: int) -> list[datetime.date]:
    return [d.date for d in days_between(start, end, county_id) if d.is_workday]
