"""Scheduled jobs: plain functions, each also a management command and a Celery task (issue 13).

A job takes the day it runs for (``on``) and returns a short summary; running it twice for the
same day changes nothing the second time. The apps register their jobs in ``AppConfig.ready()``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., str]
    #: Hour and minute of the daily run (Asia/Shanghai), for the beat schedule.
    hour: int
    minute: int = 0
    title: str = ""
    #: Set for a job that runs all day long every so many minutes (deliveries to retry); hour is then ignored.
    every_minutes: int | None = None


_jobs: dict[str, Job] = {}


def register_job(
    name: str,
    func: Callable[..., str],
    *,
    hour: int = 0,
    minute: int = 0,
    title: str = "",
    every_minutes: int | None = None,
) -> None:
    """Register a daily job (or one every ``every_minutes``) under ``name``."""
    _jobs[name] = Job(name=name, func=func, hour=hour, minute=minute, title=title, every_minutes=every_minutes)


def jobs() -> dict[str, Job]:
    """Every registered job by name."""
    return dict(sorted(_jobs.items()))


def run_job(name: str, on: datetime.date | None = None) -> str:
    """Run one job for the day ``on`` (today by default), record the run and return its summary."""
    from workflows.models import JobRun

    job = _jobs[name]
    day = on or timezone.localdate()
    run = JobRun.objects.create(name=name, on=day)
    try:
        summary = job.func(on=day)
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}")
        raise
    JobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), summary=summary)
    return summary
