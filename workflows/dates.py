"""Calendar arithmetic every process uses: months ahead, with the day held to the month's end."""

from __future__ import annotations

import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (or earlier), or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def date_argument(text: str) -> datetime.date:
    """A management command's YYYY-MM-DD argument (argparse ``type=``), refused in Chinese when malformed."""
    import argparse

    from django.utils.translation import gettext as _

    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_("日期格式应为 YYYY-MM-DD:%(text)s") % {"text": text}) from exc
