"""A round's year-end appraisal report as a county office files it: one row per cadre, totals at the foot (R-A2).

The figures are the appraisal's own fields, as the finalisation queue shows them: this module lays them out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from appraisal.models import GRADE_ORDER, Appraisal, AppraisalRound, AppraisalState, Grade
from appraisal.selectors import APPRAISAL_RELATED
from workflows.exports import Column, Table

#: Relative widths of the columns on paper (A4 landscape); the sheet uses the columns' own widths.
PDF_WIDTHS = (9, 15, 24, 16, 18, 24, 12, 12, 14, 23, 12, 12, 21, 21, 40)
CENT = Decimal("0.01")
VOTE_FIELDS = ("votes_excellent", "votes_competent", "votes_basically_competent", "votes_incompetent")


def round_columns() -> list[Column]:
    return [
        Column(_("序号"), 6, "int"),
        Column(_("姓名"), 10),
        Column(_("派出单位"), 22),
        Column(_("乡镇"), 12),
        Column(_("驻点村"), 12),
        Column(_("驻村起止"), 24),
        Column(_("乡镇评分"), 10, "decimal"),
        Column(_("单位评分"), 10, "decimal"),
        Column(_("群众评议得分"), 12, "decimal"),
        Column(_("票数(优/称/基/不)"), 16),
        Column(_("无故缺勤(天)"), 10, "int"),
        Column(_("综合得分"), 10, "decimal"),
        Column(_("拟定等次"), 10),
        Column(_("审定等次"), 10),
        Column(_("备注(理由)"), 36),
    ]


def _average(values: Iterable[int | Decimal | None]) -> Decimal | None:
    present = [Decimal(v) for v in values if v is not None]
    return (sum(present) / len(present)).quantize(CENT) if present else None


def _grade_counts(grades: Iterable[str]) -> str:
    counts = Counter(g for g in grades if g)
    return " ".join(f"{Grade(g).label}{counts[g]}" for g in GRADE_ORDER)


def _remarks(appraisal: Appraisal) -> str:
    """The state of a row not yet finalised, why its village gave no votes, the note on its proposal, and the reason
    for a changed grade."""
    parts = []
    if appraisal.state != AppraisalState.FINALISED:
        parts.append(appraisal.get_state_display())
    if appraisal.no_votes_reason:
        parts.append(_("无村民评议票,原因:%(reason)s") % {"reason": appraisal.no_votes_reason})
    if appraisal.proposal_note:
        parts.append(appraisal.proposal_note)
    if appraisal.final_reason:
        parts.append(_("改变等次的理由:%(reason)s") % {"reason": appraisal.final_reason})
    return "".join(part if part.endswith("。") else f"{part}。" for part in (str(p).strip() for p in parts))


def round_appraisals(round_: AppraisalRound, appraisals: QuerySet[Appraisal] | None = None) -> QuerySet[Appraisal]:
    """The round's appraisals in force (cancelled ones left out), township by township, village by village."""
    appraisals = Appraisal.objects.all() if appraisals is None else appraisals
    return (
        appraisals.filter(round=round_)
        .exclude(state=AppraisalState.CANCELLED)
        .select_related(*APPRAISAL_RELATED)
        .order_by("dispatch__village__township__code", "dispatch__village__code", "dispatch__cadre__name", "pk")
    )


def round_report(round_: AppraisalRound, appraisals: QuerySet[Appraisal] | None = None) -> Table:
    """One row per appraisal of the round (of `appraisals`, the caller's tier, when given), totals at the foot."""
    rows = list(round_appraisals(round_, appraisals))
    table = Table(title=_("%(round)s结果汇总表") % {"round": round_.title}, columns=round_columns())
    for number, a in enumerate(rows, start=1):
        dispatch = a.dispatch
        ends_on = dispatch.ended_on or dispatch.term_ends_on
        period = _("%(start)s至%(end)s") % {
            "start": dispatch.stationed_on.isoformat(),
            "end": ends_on.isoformat() if ends_on else "",
        }
        # Votes and absences are taken when the appraisal is collected; before that there are none to show.
        collected = a.absences is not None
        votes = "/".join(str(getattr(a, name)) for name in VOTE_FIELDS) if collected else ""
        table.add(
            number,
            dispatch.cadre.name,
            dispatch.unit.name,
            dispatch.village.township.name,
            dispatch.village.name,
            period,
            a.township_score,
            a.unit_score,
            a.villagers_score,
            votes,
            a.absences,
            a.combined_score,
            Grade(a.proposed_grade).label if a.proposed_grade else "",
            Grade(a.grade).label if a.grade else "",
            _remarks(a),
        )
    collected = [a for a in rows if a.absences is not None]
    table.totals = [
        _("合计"),
        _("%(n)s 人") % {"n": len(rows)},
        "",
        "",
        "",
        "",
        _average(a.township_score for a in rows),
        _average(a.unit_score for a in rows),
        _average(a.villagers_score for a in rows),
        "/".join(str(sum(getattr(a, name) for a in collected)) for name in VOTE_FIELDS),
        sum(a.absences for a in collected),
        _average(a.combined_score for a in rows),
        _grade_counts(a.proposed_grade for a in rows),
        _grade_counts(a.grade for a in rows),
        _("评分为平均分;票数、缺勤为合计;等次为各等次人数"),
    ]
    table.note = _(
        "说明:综合得分按乡镇评分、单位评分、群众评议得分的权重折算,无故缺勤的干部等次有上限(见备注);"
        "审定等次由县委组织部审定,与拟定等次不同的写明理由。已撤销的考评不列入。"
    )
    return table


def round_subtitle(round_: AppraisalRound, scope: str = "") -> str:
    """The line under the title: county, round, the window of term ends, and whose cadres when not the county's."""
    text = _("%(county)s · %(round)s · 期满日期:%(first)s至%(last)s") % {
        "county": round_.county.name,
        "round": round_.title,
        "first": round_.term_ends_from.isoformat(),
        "last": round_.term_ends_to.isoformat(),
    }
    return f"{text} · {scope}" if scope else text
