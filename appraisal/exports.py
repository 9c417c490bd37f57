"""The appraisal queues' rows as tables for xlsx and CSV, each built from the rows its page read (R-A2, R-O4)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from appraisal.models import Appraisal, AppraisalState
from workflows.exports import Column, Table


def _state(a: Appraisal, *, county: bool) -> str:
    """The queue's state cell: the final grade once finalised; for the org dept 待审定 and why a cadre was taken out."""
    if a.state == AppraisalState.FINALISED:
        return f"{_('已审定')}:{a.get_final_grade_display()}"
    if county and a.state == AppraisalState.PROPOSED:
        return _("待审定")
    if county and a.state == AppraisalState.CANCELLED and a.cancel_reason:
        return f"{a.get_state_display()}:{a.cancel_reason}"
    return a.get_state_display()


def _score(value, own: bool = True):
    """A score as the queue shows it: 待评 before it is entered; only 已评 when it is another tier's (R-O4)."""
    if value is None:
        return _("待评")
    return value if own else _("已评")


def finalisation_queue(rows: Iterable[Appraisal]) -> Table:
    """The org dept's queue: each cadre's scores, vote, absences, combined score and grades side by side (R-A2)."""
    table = Table(
        _("干部名单与审定"),
        [
            Column(_("干部"), 10),
            Column(_("派出单位"), 22),
            Column(_("干部类别"), 14),
            Column(_("驻点村"), 12),
            Column(_("乡镇"), 12),
            Column(_("乡镇评分"), 8, "int"),
            Column(_("单位评分"), 8, "int"),
            Column(_("群众评议得分"), 10, "decimal"),
            Column(_("评议票数"), 8, "int"),
            Column(_("无故缺勤(天)"), 10, "int"),
            Column(_("综合得分"), 8, "decimal"),
            Column(_("按分数"), 10),
            Column(_("拟定等次"), 10),
            Column(_("说明"), 30),
            Column(_("状态"), 16),
        ],
    )
    for a in rows:
        d = a.dispatch
        graded = a.combined_score is not None
        table.add(
            d.cadre.name,
            d.unit.name,
            a.get_category_display(),
            d.village.name,
            d.village.township.name,
            _score(a.township_score),
            _score(a.unit_score),
            a.villagers_score if graded else None,
            a.votes_total if graded else None,
            a.absences if graded else None,
            a.combined_score,
            a.get_computed_grade_display() if graded else "",
            a.get_proposed_grade_display() if graded else "",
            a.proposal_note if graded else "",
            _state(a, county=True),
        )
    return table


def score_queue(rows: Iterable[Appraisal]) -> Table:
    """A township's or unit's queue: a score's value only for the tier that entered it (R-A1, R-O4)."""
    table = Table(
        _("干部评分"),
        [
            Column(_("干部"), 10),
            Column(_("派出单位"), 22),
            Column(_("乡镇"), 12),
            Column(_("驻点村"), 12),
            Column(_("到村日期"), 12, "date"),
            Column(_("期满日期"), 12, "date"),
            Column(_("乡镇评分"), 8, "int"),
            Column(_("单位评分"), 8, "int"),
            Column(_("状态"), 16),
        ],
    )
    for a in rows:
        d = a.dispatch
        table.add(
            d.cadre.name,
            d.unit.name,
            d.village.township.name,
            d.village.name,
            d.stationed_on,
            d.term_ends_on,
            _score(a.township_score, a.own_township),
            _score(a.unit_score, a.own_unit),
            _state(a, county=False),
        )
    return table
