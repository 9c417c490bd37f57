"""The stationed-management pages' rows as tables for xlsx and CSV, each built from the rows its page read (R-O4)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from leave.models import Inspection, LeaveRequest
from leave.selectors import attendance as selectors
from leave.selectors.oversight import VisitRow, VisitWindow, WindowStatus
from workflows.exports import Column, Table
from workflows.text import join_list


def compliance(report: selectors.CountyCompliance, totals: dict) -> list[Table]:
    """Per township with totals, then the cadres absent at both ends, at risk by month and by year (R-M1, R-M3)."""
    keys = ("cadres", "present", "target", "met", "at_risk", "missed", "absences", "unrecorded", "confirmed")
    townships = Table(
        _("各乡镇本月情况"),
        [
            Column(_("乡镇"), 14),
            Column(_("驻村干部"), 8, "int"),
            Column(_("在村天数"), 8, "int"),
            Column(_("目标"), 8, "int"),
            Column(_("已达标"), 8, "int"),
            Column(_("有风险"), 8, "int"),
            Column(_("未达标"), 8, "int"),
            Column(_("缺勤(天)"), 8, "int"),
            Column(_("未填报(工作日)"), 10, "int"),
            Column(_("已确认"), 8, "int"),
        ],
    )
    for t in report.townships:
        townships.add(t.township.name, *(getattr(t, key) for key in keys))
    townships.totals = [_("合计"), *(totals[key] for key in keys)]

    absences = Table(
        _("两头不见人"),
        [
            Column(_("干部"), 10),
            Column(_("乡镇"), 12),
            Column(_("驻点村"), 12),
            Column(_("派出单位"), 22),
            Column(_("本月缺勤日期"), 30),
            Column(_("本月"), 6, "int"),
            Column(_("本驻村年度"), 10, "int"),
        ],
    )
    for c in report.with_absences:
        d = c.dispatch
        absences.add(
            d.cadre.name,
            d.village.township.name,
            d.village.name,
            d.unit.name,
            join_list(f"{day:%m-%d}" for day in c.absences),
            len(c.absences),
            c.year.absent,
        )

    month = Table(
        _("本月在村天数有风险或未达标"),
        [
            Column(_("干部"), 10),
            Column(_("乡镇"), 12),
            Column(_("在村"), 6, "int"),
            Column(_("目标"), 6, "int"),
            Column(_("尚可"), 6, "int"),
            Column(_("状态"), 8),
        ],
    )
    for c in report.at_risk_month:
        month.add(
            c.dispatch.cadre.name,
            c.dispatch.village.township.name,
            c.month.present,
            c.month.target,
            None if c.month.over else c.month.possible,
            c.month.standing_label,
        )

    year = Table(
        _("本驻村年度在村天数有风险或未达标"),
        [
            Column(_("干部"), 10),
            Column(_("乡镇"), 12),
            Column(_("开始日期"), 12, "date"),
            Column(_("结束日期"), 12, "date"),
            Column(_("在村"), 6, "int"),
            Column(_("目标"), 6, "int"),
            Column(_("尚可"), 6, "int"),
            Column(_("状态"), 8),
        ],
    )
    for c in report.at_risk_year:
        year.add(
            c.dispatch.cadre.name,
            c.dispatch.village.township.name,
            c.year.first,
            c.year.last,
            c.year.present,
            c.year.target,
            None if c.year.over else c.year.possible,
            c.year.standing_label,
        )
    return [townships, absences, month, year]


def _cell(cell: selectors.Cell, today) -> str:
    """The grid's cell: the status's one-character code, · for a past day not filled in, — outside the term."""
    if not cell.in_term:
        return "—"
    if cell.status:
        return cell.code
    return "·" if cell.day.date <= today else ""


def month_grid(grid: selectors.MonthGrid) -> Table:
    """One row per cadre, one column per day with the status's short label, totals against targets (R-M1, R-M2a)."""
    table = Table(
        _("考勤确认"),
        [
            Column(_("干部"), 10),
            Column(_("驻点村"), 12),
            *(Column(str(day.date.day), 4) for day in grid.days),
            Column(_("本月在村"), 8, "int"),
            Column(_("未填报"), 8, "int"),
            Column(_("本月目标"), 8, "int"),
            Column(_("本月状态"), 8),
            Column(_("驻村年度在村"), 10, "int"),
            Column(_("驻村年度目标"), 10, "int"),
            Column(_("驻村年度状态"), 10),
            Column(_("考勤"), 8),
        ],
    )
    for r in grid.rows:
        table.add(
            r.dispatch.cadre.name,
            r.dispatch.village.name,
            *(_cell(cell, grid.today) for cell in r.cells),
            r.month.present,
            r.month.unrecorded,
            r.month.target,
            r.month.standing_label,
            r.year.present,
            r.year.target,
            r.year.standing_label,
            r.state_short,
        )
    if grid.rows:
        table.totals = [
            _("合计"),
            "",
            *([""] * len(grid.days)),
            sum(r.month.present for r in grid.rows),
            sum(r.month.unrecorded for r in grid.rows),
            sum(r.month.target for r in grid.rows),
            "",
            sum(r.year.present for r in grid.rows),
            sum(r.year.target for r in grid.rows),
            "",
            "",
        ]
    legend = [f"{code} {status.label}" for status, code in selectors.STATUS_CODES.items()]
    table.note = ";".join([*legend, f"· {_('未填报')}", f"— {_('不在驻村期')}"])
    return table


def leave_list(open_leaves: Iterable[LeaveRequest], recent_leaves: Iterable[LeaveRequest]) -> Table:
    """A township's leave: the open requests, then the recently finished ones (R-M2)."""
    table = Table(
        _("请假管理"),
        [
            Column(_("干部"), 10),
            Column(_("驻点村"), 12),
            Column(_("开始日期"), 12, "date"),
            Column(_("结束日期"), 12, "date"),
            Column(_("工作日"), 8, "int"),
            Column(_("报组织部"), 8),
            Column(_("事由"), 30),
            Column(_("状态"), 14),
            Column(_("返岗"), 12, "date"),
            Column(_("逾期未归"), 8, "int"),
        ],
    )
    for leave in [*open_leaves, *recent_leaves]:
        table.add(
            leave.dispatch.cadre.name,
            leave.dispatch.village.name,
            leave.starts_on,
            leave.ends_on,
            leave.days,
            _("报组织部") if leave.needs_org_dept() else "",
            leave.reason,
            leave.get_state_display(),
            leave.returned_on,
            leave.late_days or None,
        )
    return table


def visits_overview(flagged: list[tuple[VisitRow, VisitWindow]], units: list[dict]) -> list[Table]:
    """The stationed cadres whose leaders' visit is missing or due, then the same counted by unit (R-M5)."""
    detail = Table(
        _("明细"),
        [
            Column(_("派出单位"), 22),
            Column(_("干部"), 10),
            Column(_("乡镇"), 12),
            Column(_("驻点村"), 12),
            Column(_("调研领导"), 12),
            Column(_("起始日期"), 12, "date"),
            Column(_("终止日期"), 12, "date"),
            Column(_("状态"), 8),
            Column(_("逾期(天)"), 8, "int"),
            Column(_("距截止(天)"), 10, "int"),
        ],
    )
    for row, window in flagged:
        d = row.dispatch
        missing = window.status == WindowStatus.MISSING
        detail.add(
            d.unit.name,
            d.cadre.name,
            d.village.township.name,
            d.village.name,
            window.role_label,
            window.starts_on,
            window.ends_on,
            window.status_label,
            window.days_overdue if missing else None,
            None if missing else window.days_left,
        )
    by_unit = Table(
        _("按单位"), [Column(_("派出单位"), 22), Column(_("已逾期"), 8, "int"), Column(_("待调研"), 8, "int")]
    )
    for entry in units:
        by_unit.add(entry["unit"].name, entry["missing"], entry["due"])
    return [detail, by_unit]


def inspections(rows: Iterable[Inspection]) -> Table:
    """The county's inspections, newest first, with how many cadres were found present and absent (R-M6)."""
    table = Table(
        _("明查暗访"),
        [
            Column(_("检查日期"), 12, "date"),
            Column(_("方式"), 10),
            Column(_("情况记录"), 40),
            Column(_("在岗"), 6, "int"),
            Column(_("不在岗"), 8, "int"),
            Column(_("登记人"), 14),
        ],
    )
    for i in rows:
        table.add(i.inspected_on, i.get_kind_display(), i.notes, i.n_present, i.n_absent, str(i.recorded_by or ""))
    return table
