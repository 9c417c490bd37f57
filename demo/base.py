"""What every part of the demo builds on: the seed, the logins, who acts, each step run at its own time."""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_noop
from viewflow.workflow.status import STATUS

from leave.calendar import Day, days_between
from workflows.flows import open_task, running_task
from workflows.models import County, Post, Role, Township, Unit, User

# The same seed gives the same county on every machine and every run (idempotence relies on it).
SEED = 410523
DEMO_PASSWORD = "Demo@2026"
COUNTY_CODE = "410523"
COUNTY_NAME = "汤阴县"

#: The logins the command prints: one per role, all with the same demo password.
DEMO_LOGINS: list[dict[str, str]] = [
    {"username": "zuzhibu", "password": DEMO_PASSWORD, "role": gettext_noop("县委组织部"), "where": COUNTY_NAME},
    {"username": "danwei1", "password": DEMO_PASSWORD, "role": gettext_noop("单位主要领导"), "where": "县农业农村局"},
    {"username": "danwei2", "password": DEMO_PASSWORD, "role": gettext_noop("单位主要领导"), "where": "县教育局"},
    {"username": "fenguan1", "password": DEMO_PASSWORD, "role": gettext_noop("单位分管领导"), "where": "县农业农村局"},
    {"username": "xiangzhen1", "password": DEMO_PASSWORD, "role": gettext_noop("乡镇党委"), "where": "菜园镇"},
    {"username": "ganbu1", "password": DEMO_PASSWORD, "role": gettext_noop("干部(后备干部)"), "where": "县农业农村局"},
    {"username": "ganbu2", "password": DEMO_PASSWORD, "role": gettext_noop("干部(已完成驻村)"), "where": "县教育局"},
    {"username": "shenji", "password": DEMO_PASSWORD, "role": gettext_noop("审计员"), "where": COUNTY_NAME},
]

# Who plays the demo's main parts: ganbu1 of this unit serves in the township where its stories happen.
DEMO_CADRE_UNIT = ("ganbu1", "县农业农村局")
#: A cadre whose term ended last year, appraised excellent (demo/appraisal.py): one this year's round leaves free.
DEMO_DONE_CADRE_UNIT = ("ganbu2", "县教育局")
DEMO_TOWNSHIP = "410523101"


@contextmanager
def demo_at(day: datetime.date, hour: int = 10, minute: int = 0) -> Iterator[None]:
    """Run a step as if at that local time on that day, so its rows and audit events carry that time.

    A moment still ahead (a step planned for later today) runs now: the demo never writes the future.
    """
    moment = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    if moment >= timezone.now():
        yield
        return
    with time_machine.travel(moment, tick=True):
        yield


def execute_task(flow_class, node_name: str, artifact: Model, *, user: User, perform: Callable[[], Any]) -> Any:
    """Do one human task the way its page does: take it, start it, call the service, complete it."""
    task = open_task(flow_class, node_name, artifact)
    if task is None:
        raise LookupError(f"{flow_class.__name__}.{node_name} is not waiting for {artifact}")
    node = getattr(flow_class.instance, node_name)
    if not (node.can_execute(user, task) or node.can_assign(user, task)):
        raise PermissionDenied(f"{user} may not do {flow_class.__name__}.{node_name}")
    with flow_class.lock(task.process_id), transaction.atomic():
        task = flow_class.task_class._default_manager.select_related("process").get(pk=task.pk)
        if task.status == STATUS.NEW:
            node.activation_class(task).assign(user)
        activation = node.activation_class(task)
        activation.start(None)
        with running_task(task.pk):
            result = perform()
        activation.execute()
    return result


@dataclass
class Round:
    """Who acts in the demo round, and the dates and batches the round uses."""

    county: County
    year: int
    today: datetime.date
    org: User
    heads: dict[int, User]
    deputies: dict[int, User]
    committees: dict[int, User]
    batches: dict[str, Any] = field(default_factory=dict)
    created: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ["quotas", "training_batches", "dispatches", "recalls", "teams", "applications"], 0
        )
    )

    @property
    def spring(self) -> datetime.date:
        """When the spring round's arrangements were made; on an early day of the year, earlier still."""
        return min(datetime.date(self.year, 3, 2), self.today)

    def stationed_on(self, township: Township) -> datetime.date:
        offset = int(township.code[-1]) % 3
        return min(self.spring + datetime.timedelta(days=2 + offset), self.today)


def _holders(role: Role, tier: str, prefer: set[str]) -> dict[int, User]:
    """The active holder of a role on each tier object, the demo login where there is one."""
    result: dict[int, User] = {}
    for post in Post.objects.active().filter(role=role).select_related("user").order_by("pk"):
        key = getattr(post, f"{tier}_id")
        if key not in result or post.user.username in prefer:
            result[key] = post.user
    return result


def round_context(county: County, today: datetime.date) -> Round:
    logins = {login["username"] for login in DEMO_LOGINS}
    return Round(
        county=county,
        year=today.year,
        today=today,
        org=_holders(Role.ORG_DEPT, "county", logins)[county.pk],
        heads=_holders(Role.UNIT_HEAD, "unit", logins),
        deputies=_holders(Role.UNIT_DEPUTY, "unit", logins),
        committees=_holders(Role.TOWNSHIP_COMMITTEE, "township", logins),
    )


#: One day, the step the demo's dates move by.
DAY = datetime.timedelta(days=1)


@dataclass
class Build:
    """One part of the demo being built: its county and day, who acts, its random draws, what it added, its steps.

    The leave part plans its steps first (`at`, `chain`) and runs them in the order of their times; the
    appraisal part runs each step as it goes and keeps the county's units at hand.
    """

    county: County
    today: datetime.date
    ctx: Round
    rng: random.Random
    created: dict[str, int]
    units: dict[int, Unit] = field(default_factory=dict)
    steps: list[tuple[datetime.datetime, int, Callable[[], object]]] = field(default_factory=list)
    calendar: dict[datetime.date, Day] = field(default_factory=dict)

    def at(self, day: datetime.date, hour: int, step: Callable[[], object]) -> datetime.datetime:
        """Plan a step for that day and hour; steps run in the order of their times."""
        moment = datetime.datetime.combine(day, datetime.time(hour))
        self.steps.append((moment, len(self.steps), step))
        return moment

    def chain(self) -> Callable[[datetime.date, int, Callable[[], object]], None]:
        """Plan the steps of one story: each after the one before, even when two fall on the same day."""
        last: list[datetime.datetime] = []

        def at(day: datetime.date, hour: int, step: Callable[[], object]) -> None:
            moment = datetime.datetime.combine(day, datetime.time(hour))
            if last and moment <= last[0]:
                moment = last[0] + datetime.timedelta(minutes=1)
            last[:] = [moment]
            self.steps.append((moment, len(self.steps), step))

        return at

    def count(self, key: str, n: int = 1) -> None:
        self.created[key] = self.created.get(key, 0) + n

    def workdays_from(self, start: datetime.date, n: int) -> list[datetime.date]:
        """The first n working days on or after start."""
        found: list[datetime.date] = []
        day = start
        while len(found) < n:
            if self.calendar_day(day).is_workday:
                found.append(day)
            day += DAY
        return found

    def last_workday_before(self, day: datetime.date) -> datetime.date:
        day -= DAY
        while not self.calendar_day(day).is_workday:
            day -= DAY
        return day

    def calendar_day(self, day: datetime.date) -> Day:
        if day not in self.calendar:
            year = datetime.date(day.year, 1, 1)
            self.calendar.update(
                {d.date: d for d in days_between(year, datetime.date(day.year, 12, 31), self.county.pk)}
            )
        return self.calendar[day]
