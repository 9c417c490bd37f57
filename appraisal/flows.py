"""Who acts next in a cadre's appraisal: township and unit score, the vote closes, a grade is proposed, the org
dept finalises (R-A1, R-A2, R-A5)."""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from appraisal.services import appraisal_collect_and_propose
from appraisal.views import tasks as views
from workflows.flows import TierView, flow_lock, flow_view_permission
from workflows.permissions import APPRAISE_AS_TOWNSHIP, APPRAISE_AS_UNIT, COORDINATE_COUNTY


def _perm(codename: str) -> str:
    return f"workflows.{codename}"


class AppraisalFlow(flow.Flow):
    """Open → scores and votes collected → proposed → finalised; a reopened grade goes back to finalisation."""

    process_title = _("年度考评")
    process_description = _("乡镇和派出单位评分、村民评议、拟定等次、县委组织部审定")
    lock_impl = flow_lock

    start = flow.StartHandle(this.start_appraisal).Next(this.split)
    # Started again when the org dept reopens a finalised grade (R-A2).
    reopen = flow.StartHandle(this.start_appraisal).Next(this.finalise)

    split = (
        flow.Split()
        .Annotation(title=_("分送评分、评议"))
        .Next(this.score_township)
        .Next(this.score_unit)
        .Next(this.votes_closed)
    )

    score_township = (
        TierView(views.TownshipScoreTaskView.as_view())
        .Annotation(title=_("乡镇评分"))
        .Permission(_perm(APPRAISE_AS_TOWNSHIP), obj=lambda process: process.artifact.dispatch.village.township)
        .Next(this.join)
    )

    score_unit = (
        TierView(views.UnitScoreTaskView.as_view())
        .Annotation(title=_("派出单位评分"))
        .Permission(_perm(APPRAISE_AS_UNIT), obj=lambda process: process.artifact.dispatch.unit)
        .Next(this.join)
    )

    # Finished for every appraisal of the round when the org dept closes the villagers' vote.
    votes_closed = flow.Handle().Annotation(title=_("村民评议")).Next(this.join)

    join = flow.Join().Annotation(title=_("评分和评议齐备")).Next(this.propose)

    propose = flow.Function(this.propose_grade).Annotation(title=_("拟定等次")).Next(this.finalise)

    finalise = (
        TierView(views.FinaliseTaskView.as_view())
        .Annotation(title=_("审定考评等次"))
        .Permission(_perm(COORDINATE_COUNTY), obj=lambda process: process.artifact.round.county)
        .Next(this.end)
    )

    end = flow.End().Annotation(title=_("已审定"))

    def start_appraisal(self, activation, appraisal):
        activation.process.artifact = appraisal
        return appraisal

    def propose_grade(self, activation):
        appraisal_collect_and_propose(appraisal=activation.process.artifact)

    def has_view_permission(self, user, obj=None):
        return flow_view_permission(user, obj)
