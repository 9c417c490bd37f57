"""Recurring duties for the home page's to-do list: work read from the records, not stored tasks.

An app registers a provider in its `AppConfig.ready()` (`register_duties`); the home page asks every provider
for the user's duties (`duties_for`). Each provider answers within the user's own tiers (R-O4) and links each
duty to a page the user may open, so this layer never imports the apps that know the work.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workflows.models import User


@dataclass(frozen=True)
class Duty:
    """One recurring piece of work: what is to be done, about what, how much, and the page that does it."""

    kind: str
    title: str
    subject: str
    detail: str
    url: str


DutyProvider = Callable[[User, datetime.date], Iterable[Duty]]

_providers: list[DutyProvider] = []


def register_duties(provider: DutyProvider) -> None:
    """Add a provider of duties; registering the same one again changes nothing."""
    if provider not in _providers:
        _providers.append(provider)


def duties_for(user: User, *, today: datetime.date) -> list[Duty]:
    """Every registered provider's duties for the user as of today, in the order the apps registered them."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    return [duty for provider in _providers for duty in provider(user, today)]
