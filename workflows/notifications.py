"""Notifications: created only after the transaction that caused them commits (issue 13)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from workflows.models import Notification, User

#: Channels beyond the app (e-mail, group robots) register here; each gets the saved notifications
#: and the tier object (unit, township, county) the event belongs to, if any.
_channels: list[Callable[[list[Notification], Model | None], None]] = []


def register_channel(deliver: Callable[[list[Notification], Model | None], None]) -> None:
    """Add a delivery channel, called after the notifications are saved."""
    if deliver not in _channels:
        _channels.append(deliver)


def notify(recipients: Iterable[User], **message: Any) -> None:
    """Notify each active recipient once the current transaction commits; nothing if it rolls back.

    ``message`` is what `send_now` takes: kind, title and optionally url, body, key and tier.
    """
    people = list({u.pk: u for u in recipients if u is not None}.values())
    transaction.on_commit(lambda: send_now(people, **message))


def send_now(
    recipients: Iterable[User],
    *,
    kind: str,
    title: str,
    url: str = "",
    body: str = "",
    key: str = "",
    tier: Model | None = None,
) -> list[Notification]:
    """Save the notifications at once and hand them to the channels; for code already past the commit."""
    saved = create_now(recipients, kind=kind, title=title, url=url, body=body, key=key)
    for deliver in _channels:
        deliver(saved, tier)
    return saved


def create_now(
    recipients: Iterable[User], *, kind: str, title: str, url: str = "", body: str = "", key: str = ""
) -> list[Notification]:
    """Save the notifications at once; a recipient who already has ``key`` is skipped."""
    saved = []
    for user in recipients:
        if not user.is_active:
            continue
        if key and Notification.objects.filter(recipient=user, key=key).exists():
            continue
        try:
            with transaction.atomic():
                saved.append(
                    Notification.objects.create(
                        recipient=user, kind=kind, title=str(title)[:200], url=url, body=str(body), key=key
                    )
                )
        except IntegrityError:  # a concurrent sweep saved the same key first
            continue
    return saved


def unread_count(user: User) -> int:
    """How many notifications the person has not read."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
