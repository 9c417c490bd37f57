"""Each daily job runs by name from the command line, and a second run for the same day changes nothing."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dispatch import services as dispatch_services
from dispatch.models import QuotaSanction
from leave.models import LeaveRequest, LeaveState
from leave.services import leave as leaves
from tests.dispatch.test_team import stationed
from workflows import jobs
from workflows.models import AuditEvent, JobRun

D = datetime.date


@pytest.fixture
def approved_leave(world):
    """cadre_a stationed in 东官庄村 and granted leave on 14 and 15 April 2026."""
    p = world["people"]
    leave = leaves.leave_request(
        dispatch=stationed(world["cadre_a"], world["village_a"]),
        starts_on=D(2026, 4, 14),
        ends_on=D(2026, 4, 15),
        reason="家中老人住院",
        by=p["cadre_a"],
    )
    return leaves.leave_decide(leave=leave, by=p["town_a"], approve=True)


def test_every_job_is_listed_with_its_time(db):
    out = StringIO()
    call_command("run_job", "--list", stdout=out)
    text = out.getvalue()
    assert "leave_begin_due\t每天 00:10" in text
    assert "enforce_quotas\t每天 01:00" in text


def test_an_unknown_job_is_refused_in_chinese(db):
    with pytest.raises(CommandError, match="没有名为 nothing 的定时任务"):
        call_command("run_job", "nothing", stdout=StringIO())


def test_r_m2_the_leave_begin_job_run_twice_begins_each_leave_once(approved_leave):
    leave = approved_leave
    assert leave.state == LeaveState.APPROVED
    first, second = StringIO(), StringIO()
    call_command("run_job", "leave_begin_due", "--date", "2026-04-14", stdout=first)
    call_command("run_job", "leave_begin_due", "--date", "2026-04-14", stdout=second)
    assert "共 1 条" in first.getvalue() and "共 0 条" in second.getvalue()
    assert LeaveRequest.objects.get(pk=leave.pk).state == LeaveState.ON_LEAVE
    assert AuditEvent.objects.filter(action="leave.begin").count() == 1
    runs = JobRun.objects.filter(name="leave_begin_due").order_by("pk")
    assert [(r.on, r.summary, r.error) for r in runs] == [
        (D(2026, 4, 14), "共 1 条请假开始休假。", ""),
        (D(2026, 4, 14), "共 0 条请假开始休假。", ""),
    ]
    assert all(r.finished_at for r in runs)


def test_a_failing_job_is_recorded_with_its_error(db):
    def broken(*, on):
        raise RuntimeError("数据库不可用")

    jobs.register_job("test_broken", broken, hour=3)
    try:
        with pytest.raises(RuntimeError):
            call_command("run_job", "test_broken", "--date", "2026-04-14", stdout=StringIO())
    finally:
        jobs._jobs.pop("test_broken")
    run = JobRun.objects.get(name="test_broken")
    assert run.error == "RuntimeError: 数据库不可用" and run.finished_at and not run.summary


def test_the_celery_task_runs_the_same_job(approved_leave):
    from workflows.tasks import run_scheduled_job

    assert run_scheduled_job.apply(args=["leave_begin_due", "2026-04-14"]).get() == "共 1 条请假开始休假。"
    assert LeaveRequest.objects.get(pk=approved_leave.pk).state == LeaveState.ON_LEAVE


def test_beat_schedules_every_registered_job_at_its_time():
    from celery.schedules import crontab

    from project.celery import app

    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert schedule["leave_begin_due"]["task"] == "workflows.run_scheduled_job"
    assert schedule["leave_begin_due"]["schedule"] == crontab(hour=0, minute=10)
    assert schedule["enforce_quotas"]["args"] == ("enforce_quotas",)


def test_r_s5_the_quota_job_run_twice_records_each_sanction_once(world):
    dispatch_services.quota_set(
        unit=world["unit_b"],
        year=2026,
        cadres=1,
        deadline=D(2026, 6, 30),
        confirm_past_deadline=True,
        by=world["people"]["org"],
    )
    first, second = StringIO(), StringIO()
    call_command("run_job", "enforce_quotas", "--date", "2026-07-01", stdout=first)
    call_command("run_job", "enforce_quotas", "--date", "2026-07-01", stdout=second)
    assert "共 1 个单位" in first.getvalue() and "没有需要新增处理的单位" in second.getvalue()
    assert QuotaSanction.objects.count() == 1
    assert AuditEvent.objects.filter(action="quota.sanction").count() == 1
