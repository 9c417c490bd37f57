"""The Celery app: the registered daily jobs on a real queue, Redis as the broker (issue 13)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workflows"])


@app.on_after_finalize.connect
def _schedule_jobs(sender, **kwargs):
    """Put every registered job on beat's schedule, at its time of day (or every so many minutes)."""
    from django.conf import settings

    from workflows.jobs import jobs
    from workflows.tasks import run_scheduled_job

    for job in jobs().values():
        if settings.JOBS_EVERY_SECONDS:
            schedule = settings.JOBS_EVERY_SECONDS
        elif job.every_minutes:
            schedule = job.every_minutes * 60
        else:
            schedule = crontab(hour=job.hour, minute=job.minute)
        sender.add_periodic_task(schedule, run_scheduled_job.s(job.name), name=job.name)
