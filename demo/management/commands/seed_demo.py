"""Build the demo county (汤阴县) and print one login per role; running it again adds nothing."""

import unicodedata

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from demo.appraisal import appraisal_demo_counts
from demo.base import DEMO_LOGINS
from demo.build import demo_county_build
from demo.county import demo_county_counts
from workflows.models import VillageCategory


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True)).rstrip()


class Command(BaseCommand):
    help = "Build a demo county with townships, villages, units, cadres and one login per role."

    def handle(self, *args, **options):
        today = timezone.localdate()
        result = demo_county_build(today=today)
        created = sum(result.created.values())
        self.stdout.write(
            self.style.SUCCESS(
                _("演示县已就绪:%(county)s(%(code)s),本次新建 %(n)s 条记录。")
                % {"county": result.county.name, "code": result.county.code, "n": created}
            )
        )
        self.stdout.write("")

        header = [_("用户名"), _("密码"), _("角色"), _("所属")]
        rows = [[login["username"], login["password"], _(login["role"]), login["where"]] for login in DEMO_LOGINS]
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
        self.stdout.write(_row(header, widths))
        self.stdout.write(_row(["-" * w for w in widths], widths))
        for row in rows:
            self.stdout.write(_row(row, widths))
        self.stdout.write("")

        counts = demo_county_counts(result.county, year=today.year)
        lines = [
            (_("乡镇(街道)"), counts["townships"]),
            (_("行政村"), counts["villages"]),
            *(("  " + str(category.label), counts[f"villages_{category.value}"]) for category in VillageCategory),
            ("  " + _("重点村(须全覆盖)"), counts["villages_target"]),
            (_("县直单位"), counts["units"]),
            (_("干部"), counts["cadres"]),
            ("  " + _("后备干部"), counts["reserve"]),
            ("  " + _("重点培养"), counts["key_cultivation"]),
            (_("%(year)s 年单位结对村") % {"year": today.year}, counts["pairings"]),
            ("  " + _("尚未结对的重点村"), counts["uncovered_targets"]),
            *appraisal_demo_counts(result.county),
            (_("在任职务"), counts["posts"]),
            (_("审计记录"), counts["audit_events"]),
        ]
        label_width = max(_width(label) for label, _count in lines)
        self.stdout.write(_("现有数据:"))
        for label, count in lines:
            self.stdout.write(f"  {label}{' ' * (label_width - _width(label))}  {count:>5}")
