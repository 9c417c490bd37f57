"""Small pieces of text that depend on the reader's language."""

from collections.abc import Iterable

from django.utils.translation import gettext as _


def join_list(items: Iterable) -> str:
    """Join a list the way the reader's language does (、 in Chinese, a comma in English)."""
    return _("、").join(str(item) for item in items)


def with_tags(text: str, tags: str) -> str:
    """Append tags to a label: 李卫东【后备】 in Chinese, 李卫东 [reserve] in English."""
    return _("%(text)s【%(tags)s】") % {"text": text, "tags": tags} if tags else text
