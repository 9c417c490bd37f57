"""Mark approved leave whose first day has come as being taken (R-M2); for the daily scheduler."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from leave.services import leave as leaves
from workflows.dates import date_argument


class Command(BaseCommand):
    help = "开始休假:已批准、开始日期已到的请假转为“休假中”(R-M2)。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date_argument, default=None, help="日期 YYYY-MM-DD,默认今天。")

    def handle(self, *args, date: datetime.date | None = None, **options):
        on = date or timezone.localdate()
        begun = leaves.leave_begin_due(on=on)
        for leave in begun:
            self.stdout.write(
                _("%(name)s:%(start)s 至 %(end)s 开始休假。")
                % {
                    "name": leave.dispatch.cadre.name,
                    "start": leave.starts_on.isoformat(),
                    "end": leave.ends_on.isoformat(),
                }
            )
        self.stdout.write(self.style.SUCCESS(_("共 %(n)s 条请假开始休假。") % {"n": len(begun)}))
