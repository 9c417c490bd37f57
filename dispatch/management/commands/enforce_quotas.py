"""Enforce passed quota deadlines in every county: record a sanction for each unit that missed its quota (R-S5)."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import services
from workflows.dates import date_argument
from workflows.policy import policy


class Command(BaseCommand):
    help = "到期核查:对截止日期已过、尚未核查的选派任务,记录未完成单位的处理(R-S5)。每项任务只核查一次。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=date_argument, default=None, help="核查日期 YYYY-MM-DD,截止日期早于该日的任务到期;默认今天。"
        )

    def handle(self, *args, date: datetime.date | None = None, **options):
        on = date or timezone.localdate()
        sanctions = services.quota_enforce(on=on, by=None, county=None)
        self.stdout.write(_("到期核查日期:%(day)s") % {"day": on.isoformat()})
        for s in sanctions:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "%(county)s %(unit)s:%(year)s 年度选派名额 %(quota)s 名,实派 %(sent)s 名;"
                        "%(start)s 至 %(end)s 不得参评县级以上党建先进单位和文明单位。"
                    )
                    % {
                        "county": s.unit.county.name,
                        "unit": s.unit.name,
                        "year": s.quota.year,
                        "quota": s.quota.cadres,
                        "sent": s.sent,
                        "start": s.starts_on.isoformat(),
                        "end": s.ends_on.isoformat(),
                    }
                )
            )
        if sanctions:
            self.stdout.write(
                _("共 %(n)s 个单位未完成选派任务,已记录处理(%(years)s 年)。")
                % {"n": len(sanctions), "years": policy("QUOTA_SANCTION_YEARS")}
            )
        else:
            self.stdout.write(self.style.SUCCESS(_("没有需要新增处理的单位。")))
