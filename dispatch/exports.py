"""The dispatch pages' rows as tables for xlsx and CSV: each function takes the rows its page already read (R-O4)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils.translation import gettext as _

from dispatch.models import Dispatch, QuotaSanction, TeamLeader, WorkGroup
from workflows.exports import Column, Table
from workflows.text import join_list


def _span(first: datetime.date | None, last: datetime.date | None) -> str:
    return f"{first:%Y-%m-%d} — {last:%Y-%m-%d}" if first and last else ""


def dispatch_list(dispatches: Iterable[Dispatch]) -> Table:
    """The dispatch list: one row per dispatch, its reserve, key-cultivation and 宁可不派 marks in a column (R-S3)."""
    table = Table(
        _("选派干部"),
        [
            Column(_("年度"), 6, "int"),
            Column(_("干部"), 10),
            Column(_("标注"), 16),
            Column(_("派出单位"), 22),
            Column(_("乡镇"), 12),
            Column(_("驻点村"), 12),
            Column(_("状态"), 14),
            Column(_("到村日期"), 12, "date"),
        ],
    )
    for d in dispatches:
        marks = [
            _("后备") if d.cadre.is_reserve else "",
            _("重点培养") if d.cadre.is_key_cultivation else "",
            _("宁可不派") if d.exclusion else "",
        ]
        table.add(
            d.year,
            d.cadre.name,
            join_list(m for m in marks if m),
            str(d.unit),
            str(d.village.township),
            str(d.village),
            d.get_state_display(),
            d.stationed_on,
        )
    return table


def _categories(tags: list[dict]) -> str:
    return join_list(tag["label"] for tag in tags)


def coverage(rows: list[dict], totals: dict, uncovered: list, possible: list) -> list[Table]:
    """Coverage per township with its totals, then the uncovered target and wherever-possible villages (R-S6)."""
    keys = ("targets", "targets_covered", "uncovered", "possible", "possible_covered")
    summary = Table(
        _("重点村覆盖情况"),
        [
            Column(_("乡镇(街道)"), 16),
            Column(_("须全覆盖的重点村"), 10, "int"),
            Column(_("已覆盖"), 8, "int"),
            Column(_("未覆盖"), 8, "int"),
            Column(_("老区村、少数民族村"), 10, "int"),
            Column(_("已覆盖"), 8, "int"),
        ],
    )
    for row in rows:
        summary.add(row["township__name"], *(row[key] for key in keys))
    if rows:
        summary.totals = [_("合计"), *(totals[key] for key in keys)]
    tables = [summary]
    for title, villages in ((_("尚未覆盖的重点村"), uncovered), (_("应派尽派、尚未覆盖的村"), possible)):
        table = Table(
            title,
            [
                Column(_("乡镇(街道)"), 16),
                Column(_("村"), 14),
                Column(_("类别"), 30),
                Column(_("结对"), 10),
                Column(_("选派进展"), 14),
            ],
        )
        for v in villages:
            table.add(
                v.township.name,
                v.name,
                _categories(v.tags),
                _("已结对") if v.paired else _("未结对"),
                _("已推荐,在途") if v.on_the_way else _("尚无人选"),
            )
        tables.append(table)
    return tables


def _quota_status(row: dict) -> tuple[str, datetime.date | None, datetime.date | None]:
    """The page's 到期核查与处理 cell: the words, and the sanction's period when there is one (R-S5)."""
    if row["sanction"]:
        sanction = row["sanction"]
        return (_("%(y)s 年度未完成,处理期内") % {"y": sanction.quota.year}, sanction.starts_on, sanction.ends_on)
    if row["year_sanction"]:
        return _("未完成任务"), row["year_sanction"].starts_on, row["year_sanction"].ends_on
    quota = row["quota"]
    if quota and quota.enforced_at:
        return _("已核查,完成任务"), None, None
    if row["overdue"]:
        return _("已过截止日期,待核查"), None, None
    if quota:
        return _("未到截止日期"), None, None
    return "", None, None


def pairings(rows: list[dict]) -> Table:
    """Per unit: paired villages, quota, deadline, sent and pending, and the deadline check's outcome (R-S5)."""
    table = Table(
        _("结对与选派任务"),
        [
            Column(_("单位"), 22),
            Column(_("结对村"), 40),
            Column(_("选派名额"), 8, "int"),
            Column(_("截止日期"), 12, "date"),
            Column(_("已选派"), 8, "int"),
            Column(_("待审批"), 8, "int"),
            Column(_("到期核查与处理"), 24),
            Column(_("起始日期"), 12, "date"),
            Column(_("终止日期"), 12, "date"),
        ],
    )
    for row in rows:
        villages = join_list(
            f"{p.village.township.name} · {p.village.name}" + (f"({_categories(p.categories)})" if p.categories else "")
            for p in row["pairings"]
        )
        quota = row["quota"]
        table.add(
            row["unit"].name,
            villages or _("未结对"),
            quota.cadres if quota else None,
            quota.deadline if quota else None,
            quota.sent if quota else None,
            quota.pending if quota else None,
            *_quota_status(row),
        )
    return table


def sanctions(sanctions_in_force: Iterable[QuotaSanction], on: datetime.date) -> Table:
    """The units in a sanction period on a day: not to be considered for the two awards (R-S5)."""
    table = Table(
        _("处理期内的单位(截至 %(day)s)") % {"day": on.isoformat()},
        [
            Column(_("单位"), 22),
            Column(_("未完成年度"), 10, "int"),
            Column(_("名额"), 8, "int"),
            Column(_("实派"), 8, "int"),
            Column(_("起始日期"), 12, "date"),
            Column(_("终止日期"), 12, "date"),
        ],
    )
    for s in sanctions_in_force:
        table.add(s.unit.name, s.quota.year, s.quota.cadres, s.sent, s.starts_on, s.ends_on)
    return table


def team(stationed: list[Dispatch], leader: TeamLeader | None, groups: list[WorkGroup]) -> list[Table]:
    """A township's stationed cadres with leader and mentors, then its work groups with their villages (R-M4)."""
    cadres = Table(
        _("驻村干部"),
        [
            Column(_("干部"), 10),
            Column(_("标注"), 10),
            Column(_("驻点村"), 12),
            Column(_("派出单位"), 22),
            Column(_("到村日期"), 12, "date"),
            Column(_("期满日期"), 12, "date"),
            Column(_("传帮带联系领导"), 14),
        ],
    )
    names: dict[int, list[str]] = {}
    for d in stationed:
        names.setdefault(d.village_id, []).append(d.cadre.name)
        marks = [_("领队") if leader and leader.dispatch_id == d.pk else "", _("后备") if d.cadre.is_reserve else ""]
        cadres.add(
            d.cadre.name,
            join_list(m for m in marks if m),
            d.village.name,
            d.unit.name,
            d.stationed_on,
            d.term_ends_on,
            (d.mentor.name or d.mentor.username) if d.mentor else "",
        )
    work_groups = Table(_("驻村蹲点工作小组"), [Column(_("小组"), 14), Column(_("村及驻村干部"), 60)])
    for group in groups:
        work_groups.add(
            group.name,
            ";".join(
                f"{v.name}({join_list(names[v.pk])})" if names.get(v.pk) else f"{v.name}({_('暂无驻村干部')})"
                for v in group.villages.all()
            ),
        )
    return [cadres, work_groups]
