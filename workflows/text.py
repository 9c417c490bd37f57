"""Small pieces of text that depend on the reader's language."""

from collections.abc import Iterable

from django.utils.translation import gettext as _


def join_list(items: Iterable) -> str:
    """Join a list the way the reader's language does (、 in Chinese, a comma in English)."""
    return _("、").join(str(item) for item in items)


def with_tags(text: str, tags: str) -> str:
    """Append tags to a label: 李卫东【后备】 in Chinese, 李卫东 [reserve] in English."""
    return _("%(text)s【%(tags)s】") % {"text": text, "tags": tags} if tags else text


def yes_no(value: bool) -> str:
    """是 or 否: how a yes/no value reads on a page or in a file, never True or False."""
    return _("是") if value else _("否")


def mask_id_number(number: str) -> str:
    """An ID number with only its region (first 6) and last 4 characters shown: 410523********1234."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """A phone number with only its first 3 and last 4 digits shown: 138****5678."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
