"""The township's monthly attendance report as a county office files it: one row per cadre, totals at the foot (R-M1).

The figures are the township's month grid (`selectors.township_month_grid`), the very numbers the township
confirms on its page: this module lays them out, it counts nothing of its own.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from leave.calendar import month_bounds
from leave.models import DayStatus, MonthState
from leave.selectors import attendance as selectors
from workflows.exports import Column, Table
from workflows.models import Township
from workflows.policy import policy

#: Relative widths of the columns on paper (A4 landscape); the sheet uses the columns' own widths.
PDF_WIDTHS = (6, 11, 26, 15, 12, 8, 9, 8, 8, 9, 12, 13)


def attendance_columns() -> list[Column]:
    return [
        Column(_("序号"), 6, "int"),
        Column(_("姓名"), 10),
        Column(_("派出单位"), 24),
        Column(_("驻点村"), 14),
        Column(_("应在村天数(月目标)"), 12, "int"),
        Column(_("在村"), 8, "int"),
        Column(_("因公报备"), 10, "int"),
        Column(_("请假"), 8, "int"),
        Column(_("缺勤"), 8, "int"),
        Column(_("未填报"), 8, "int"),
        Column(_("是否达标"), 10),
        Column(_("乡镇确认状态"), 12),
    ]


def monthly_attendance_report(township: Township, month: datetime.date, *, today: datetime.date | None = None) -> Table:
    """One row per cadre stationed in the township in the month, with the month's days and target (R-M1, R-M3)."""
    grid = selectors.township_month_grid(township, month, today=today)
    table = Table(
        title=_("%(township)s驻村干部%(year)s年%(month)s月在村情况统计表")
        % {"township": township.name, "year": grid.month.year, "month": grid.month.month},
        columns=attendance_columns(),
    )
    sums = dict.fromkeys(("target", "in_village", "official", "leave", "absent", "unrecorded"), 0)
    met = confirmed = 0
    for number, row in enumerate(grid.rows, start=1):
        progress, dispatch = row.month, row.dispatch
        # The grid's cells are the month's day rows; present = 在村 + 因公报备, shown apart as the form asks.
        statuses = [cell.status for cell in row.cells]
        figures = {
            "target": progress.target,
            "in_village": statuses.count(DayStatus.IN_VILLAGE),
            "official": statuses.count(DayStatus.OFFICIAL_BUSINESS),
            "leave": progress.leave,
            "absent": progress.absent,
            "unrecorded": progress.unrecorded,
        }
        for key, value in figures.items():
            sums[key] += value
        met += progress.standing == selectors.Standing.MET
        confirmed += row.state == MonthState.CONFIRMED
        table.add(
            number,
            dispatch.cadre.name,
            dispatch.unit.name,
            dispatch.village.name,
            *figures.values(),
            progress.standing_label,
            row.state_short,
        )
    cadres = len(grid.rows)
    table.totals = [
        _("合计"),
        _("%(n)s 人") % {"n": cadres},
        "",
        "",
        *sums.values(),
        _("已达标 %(n)s 人") % {"n": met},
        _("已确认 %(n)s / %(total)s") % {"n": confirmed, "total": cadres},
    ]
    table.note = _(
        "说明:在村、因公报备均计入在村天数;月目标为每月 %(days)s 天(节假日除外),"
        "当月驻村期内工作日不足的以工作日数为准;未填报为截至 %(today)s 尚无记录的工作日,不计在村天数。"
        "是否达标:已达标;可达标(今天以后的工作日仍可达到);有风险(今天以后的日子全部在村也达不到);"
        "未达标(月已结束仍未达到)。"
    ) % {"days": policy("MIN_DAYS_IN_VILLAGE_PER_MONTH"), "today": grid.today.isoformat()}
    return table


def attendance_subtitle(township: Township, month: datetime.date) -> str:
    """The line under the title: county, township and the month's first and last day."""
    first, last = month_bounds(month)
    return _("%(county)s · %(township)s · 统计期间:%(first)s至%(last)s") % {
        "county": township.county.name,
        "township": township.name,
        "first": first.isoformat(),
        "last": last.isoformat(),
    }
