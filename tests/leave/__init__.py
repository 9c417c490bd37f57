"""Attendance test helpers: stationed cadres, a frozen today, and day rows written through the ledger."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from dispatch.models import Dispatch, Pairing
from leave.ledger import ledger_write
from leave.models import DaySource, DayStatus
from tests.dispatch.test_team import stationed
from tests.factories import CadreFactory, UserFactory, VillageFactory

STATIONED_ON = datetime.date(2026, 3, 5)


def freeze(monkeypatch, day: datetime.date) -> None:
    """Make `timezone.localdate()` answer `day` for the services and pages under test."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)


def days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


def record(
    dispatch: Dispatch,
    start: datetime.date,
    end: datetime.date,
    status: str,
    *,
    source: str = DaySource.CADRE,
    allow_locked: bool = False,
) -> None:
    """Write one status over a range of days through the ledger, as the other processes do (in a transaction)."""
    with transaction.atomic():
        ledger_write(
            dispatch=dispatch,
            statuses=dict.fromkeys(days(start, end), status),
            source=source,
            by=None,
            allow_locked=allow_locked,
        )


def approved_leave(dispatch: Dispatch, start: datetime.date, end: datetime.date) -> None:
    """What approved leave writes into the calendar (R-M2)."""
    record(dispatch, start, end, DayStatus.LEAVE, source=DaySource.LEAVE)


def more_stationed(world: dict, township, count: int, *, on: datetime.date = STATIONED_ON) -> list[Dispatch]:
    """Station `count` more cadres of unit_a, each in a new village of the township."""
    result = []
    for n in range(count):
        village = VillageFactory(township=township, name=f"{township.name}新村{n + 1}")
        Pairing.objects.create(unit=world["unit_a"], village=village, year=on.year)
        cadre = CadreFactory(
            unit=world["unit_a"], user=UserFactory(username=f"extra_{township.pk}_{n}", name=f"干部{n + 1:02d}")
        )
        result.append(stationed(cadre, village, on=on))
    return result


def attendance_world(world: dict) -> dict:
    """world plus three stationed cadres from 2026-03-05: two in 菜园镇 (town_a), one in 宜沟镇 (town_b)."""
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"], on=STATIONED_ON)
    w["d_plain"] = stationed(w["plain_a"], w["village_a2"], on=STATIONED_ON)
    w["d_b"] = stationed(w["cadre_b"], w["village_b"], on=STATIONED_ON)
    return w
