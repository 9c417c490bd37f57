"""Run one scheduled job by name, or list them: the embedded setup's way to run them from cron (issue 13)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from workflows import jobs
from workflows.dates import date_argument


class Command(BaseCommand):
    help = "运行一项定时任务(每项任务同一天重复运行不会重复生效);--list 列出全部任务。"

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="任务名称")
        parser.add_argument("--date", type=date_argument, default=None, help="日期 YYYY-MM-DD,默认今天。")
        parser.add_argument("--list", action="store_true", help="列出全部定时任务及其运行时间。")

    def handle(self, *args, name: str | None = None, date: datetime.date | None = None, **options):
        registered = jobs.jobs()
        if options["list"] or not name:
            for job in registered.values():
                when = (
                    _("每 %(n)s 分钟") % {"n": job.every_minutes}
                    if job.every_minutes
                    else _("每天 %(hh)02d:%(mm)02d") % {"hh": job.hour, "mm": job.minute}
                )
                self.stdout.write(f"{job.name}\t{when}\t{job.title}")
            return
        if name not in registered:
            raise CommandError(
                _("没有名为 %(name)s 的定时任务;可用的有:%(names)s")
                % {"name": name, "names": "、".join(registered) or "—"}
            )
        self.stdout.write(self.style.SUCCESS(jobs.run_job(name, on=date)))
