"""Celery tasks: a scheduled job run by the worker is the same function cron runs (issue 13)."""

from __future__ import annotations

import datetime

from celery import shared_task

from workflows.jobs import run_job


@shared_task(name="workflows.run_scheduled_job")
def run_scheduled_job(name: str, on: str | None = None) -> str:
    """Run the job ``name`` for the day ``on`` (ISO date; today by default)."""
    return run_job(name, on=datetime.date.fromisoformat(on) if on else None)
