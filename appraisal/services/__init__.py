"""Services of the year-end appraisal: rounds, scores, ballots, proposal, finalisation (R-A1, R-A2, R-A2a, R-A5)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from appraisal.services.bulk import appraisal_finalise_many
from appraisal.services.grades import (
    appraisal_cancel,
    appraisal_collect_and_propose,
    appraisal_finalise,
    appraisal_reopen,
    excellent_share,
    unexcused_absences,
)
from appraisal.services.rounds import round_candidates, round_close, round_open
from appraisal.services.scores import township_score_enter, unit_score_enter
from appraisal.services.votes import (
    BallotRefused,
    ballot_cast,
    ballot_open,
    ballot_sheet_codes,
    ballots_issue,
    may_issue_ballots,
    paper_session_enter,
    paper_session_void,
    vote_totals,
)

ACTION_LABELS: dict = {
    "appraisal_round.open": gettext_lazy("发起年度考评"),
    "appraisal_round.close": gettext_lazy("结束村民评议"),
    "appraisal.open": gettext_lazy("列入年度考评"),
    "appraisal.no_votes": gettext_lazy("说明无村民评议票的原因"),
    "appraisal.score_township": gettext_lazy("乡镇评分"),
    "appraisal.score_unit": gettext_lazy("派出单位评分"),
    "appraisal.collect": gettext_lazy("汇总评分和评议"),
    "appraisal.propose": gettext_lazy("拟定考评等次"),
    "appraisal.finalise": gettext_lazy("审定考评等次"),
    "appraisal.reopen": gettext_lazy("重新审定考评等次"),
    "appraisal.cancel": gettext_lazy("撤销考评"),
    "ballots.issue": gettext_lazy("发放村民评议投票码"),
    "ballots.print": gettext_lazy("打印村民评议投票卡"),
    "ballot.cast": gettext_lazy("村民网上投票"),
    "paper_session.enter": gettext_lazy("录入现场评议计票"),
    "paper_session.void": gettext_lazy("作废现场评议计票"),
}


__all__ = [
    "ACTION_LABELS",
    "BallotRefused",
    "appraisal_cancel",
    "appraisal_collect_and_propose",
    "appraisal_finalise",
    "appraisal_finalise_many",
    "appraisal_reopen",
    "ballot_cast",
    "ballot_open",
    "ballot_sheet_codes",
    "ballots_issue",
    "excellent_share",
    "may_issue_ballots",
    "paper_session_enter",
    "paper_session_void",
    "round_candidates",
    "round_close",
    "round_open",
    "township_score_enter",
    "unexcused_absences",
    "unit_score_enter",
    "vote_totals",
]
