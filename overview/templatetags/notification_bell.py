"""The bell in every page's toolbar: the unread count, for those the to-do area opens to."""

from django import template

from overview.views.tasks import admits
from workflows.notifications import unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int | None:
    """The user's unread count, or None where the bell is not shown (no post and no cadre record)."""
    if not (user and user.is_authenticated) or not admits(user):
        return None
    return unread_count(user)
