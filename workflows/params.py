"""Read dates, months, years and numbers from query strings and forms, within bounds, with a clear message."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django import forms
from django.conf import settings
from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class BadInput(BadRequest):
    """A parameter the page cannot use; answered with a 400 page that says which and why."""


def year_bounds() -> tuple[int, int]:
    return settings.INPUT_YEAR_MIN, settings.INPUT_YEAR_MAX


def _out_of_range_year(year: int) -> bool:
    low, high = year_bounds()
    return not low <= year <= high


def _years_message() -> str:
    low, high = year_bounds()
    return _("年份应在 %(low)s 至 %(high)s 之间。") % {"low": low, "high": high}


def _raw(params: Mapping[str, str], name: str) -> str:
    return (params.get(name) or "").strip()


def read_int(
    params: Mapping[str, str],
    name: str,
    *,
    default: int | None = None,
    min_value: int | None = None,
    max_value: int | None = None,
) -> int | None:
    """A whole number, or `default` when the parameter is absent or empty."""
    raw = _raw(params, name)
    if not raw:
        return default
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 20:
        raise BadInput(_("参数「%(name)s」应为整数,收到「%(value)s」。") % {"name": name, "value": raw[:40]})
    value = int(raw)
    if (min_value is not None and value < min_value) or (max_value is not None and value > max_value):
        raise BadInput(
            _("参数「%(name)s」应在 %(low)s 至 %(high)s 之间,收到 %(value)s。")
            % {
                "name": name,
                "low": min_value if min_value is not None else "-∞",
                "high": max_value if max_value is not None else "∞",
                "value": value,
            }
        )
    return value


def read_year(params: Mapping[str, str], name: str = "year", *, default: int | None = None) -> int | None:
    low, high = year_bounds()
    raw = _raw(params, name)
    if raw and raw.isdigit() and len(raw) <= 20 and _out_of_range_year(int(raw)):
        raise BadInput(_years_message())
    return read_int(params, name, default=default, min_value=low, max_value=high)


def month_from_text(text: str) -> datetime.date:
    """`YYYY-MM` to the month's first day, within the input years."""
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
        raise BadInput(_("月份应写作「年-月」,如 2026-03,收到「%(value)s」。") % {"value": text[:40]})
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        raise BadInput(_("月份应在 1 至 12 之间,收到「%(value)s」。") % {"value": text[:40]})
    if _out_of_range_year(year):
        raise BadInput(_years_message())
    return datetime.date(year, month, 1)


def read_month(
    params: Mapping[str, str], name: str = "month", *, default: datetime.date | None = None
) -> datetime.date | None:
    """The first day of the month named `YYYY-MM`, or `default`'s month when absent."""
    raw = _raw(params, name)
    if not raw:
        return default.replace(day=1) if default is not None else None
    return month_from_text(raw)


def date_from_text(text: str) -> datetime.date:
    """An ISO date (`YYYY-MM-DD`) within the input years."""
    try:
        day = datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(_("日期应写作「年-月-日」,如 2026-03-01,收到「%(value)s」。") % {"value": text[:40]}) from None
    if _out_of_range_year(day.year):
        raise BadInput(_years_message())
    return day


def read_date(params: Mapping[str, str], name: str, *, default: datetime.date | None = None) -> datetime.date | None:
    raw = _raw(params, name)
    return date_from_text(raw) if raw else default


class BoundedDateField(forms.DateField):
    """A date field that refuses years outside INPUT_YEAR_MIN–INPUT_YEAR_MAX (9999-12-31 is no one's date)."""

    default_error_messages = {"invalid": gettext_lazy("请输入有效的日期,如 2026-03-01。")}

    def validate(self, value):
        super().validate(value)
        if value is not None and _out_of_range_year(value.year):
            raise ValidationError(_years_message(), code="out_of_range")
