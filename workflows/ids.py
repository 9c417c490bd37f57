"""Resident ID numbers (GB 11643): the check character and the checks of a number typed in, written once."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.utils.translation import gettext as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(body: str) -> str:
    """Return the GB 11643 check character for the first 17 digits of a resident ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def normalise_id_number(value: str) -> str:
    """An ID number as typed, without spaces, full-width digits made plain and a final x upper-cased."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).upper()


def id_number_problem(number: str) -> str | None:
    """What is wrong with a normalised resident ID number, in words for the person who typed it; None if nothing."""
    if len(number) == 15 and number.isdigit():
        return _("15 位旧身份证号,请改填 18 位新号")
    if len(number) != 18:
        return _("身份证号应为 18 位,现为 %(n)s 位") % {"n": len(number)}
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return _("身份证号前 17 位须为数字,末位须为数字或 X")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900:
        return _("身份证号第 7–14 位的出生日期无效")
    if number[17] != id_check_digit(number[:17]):
        return _("身份证号校验位错误(应为 %(check)s)") % {"check": id_check_digit(number[:17])}
    return None
