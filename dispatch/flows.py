"""Who acts next in a dispatch and in a recall, each step in its tier's queue (R-S1, R-S8, R-S9, R-M5a)."""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from dispatch.models import DispatchState, RecallState
from dispatch.views import tasks
from workflows.flows import TierView, flow_lock, flow_view_permission, fresh_artifact
from workflows.permissions import APPROVE_NOMINATIONS, COORDINATE_COUNTY, MANAGE_STATIONED, NOMINATE_CADRES


def _perm(codename: str) -> str:
    return f"workflows.{codename}"


class DispatchFlow(flow.Flow):
    """Nominated → approved by the unit head → pre-service training → arrangements → stationed (R-S1)."""

    process_title = _("干部选派")
    process_description = _("单位推荐、主要领导审批、岗前培训、落实保障、乡镇接收到村")
    lock_impl = flow_lock

    start = flow.StartHandle(this.start_dispatch).Next(this.approve)

    approve = (
        TierView(tasks.ApproveTaskView.as_view())
        .Annotation(title=_("审批推荐"))
        .Permission(_perm(APPROVE_NOMINATIONS), obj=lambda process: process.artifact.unit)
        .Next(this.check_approved)
    )

    check_approved = (
        flow.If(lambda activation: fresh_artifact(activation.process).state == DispatchState.APPROVED)
        .Annotation(title=_("是否批准"))
        .Then(this.training)
        .Else(this.not_approved)
    )

    # Finished from the org dept's training batch page when completion is recorded (R-S8).
    training = flow.Handle().Annotation(title=_("岗前培训")).Next(this.check_arranged)

    # The unit may record insurance and allowance during training; then there is nothing left to ask.
    check_arranged = (
        flow.If(lambda activation: fresh_artifact(activation.process).has_stationing_checklist())
        .Annotation(title=_("保障事项是否已落实"))
        .Then(this.station)
        .Else(this.arrange)
    )

    arrange = (
        TierView(tasks.ArrangementsTaskView.as_view())
        .Annotation(title=_("落实保险、党组织关系和生活补助"))
        .Permission(_perm(NOMINATE_CADRES), obj=lambda process: process.artifact.unit)
        .Next(this.station)
    )

    station = (
        TierView(tasks.StationTaskView.as_view())
        .Annotation(title=_("接收干部到村"))
        .Permission(_perm(MANAGE_STATIONED), obj=lambda process: process.artifact.village.township)
        .Next(this.end)
    )

    not_approved = flow.End().Annotation(title=_("未批准"))
    end = flow.End().Annotation(title=_("已到村"))

    def start_dispatch(self, activation, dispatch):
        activation.process.artifact = dispatch
        return dispatch

    def has_view_permission(self, user, obj=None):
        return flow_view_permission(user, obj)


class RecallFlow(flow.Flow):
    """The township proposes, the org dept decides, the unit recalls (R-M5a)."""

    process_title = _("干部召回")
    process_description = _("乡镇提出、组织部决定、派出单位召回并另行选派")
    lock_impl = flow_lock

    start = flow.StartHandle(this.start_recall).Next(this.decide)

    decide = (
        TierView(tasks.DecideRecallTaskView.as_view())
        .Annotation(title=_("决定是否召回"))
        .Permission(_perm(COORDINATE_COUNTY), obj=lambda process: process.artifact.dispatch.unit.county)
        .Next(this.check_decision)
    )

    check_decision = (
        flow.If(lambda activation: fresh_artifact(activation.process).state == RecallState.APPROVED)
        .Annotation(title=_("是否同意"))
        .Then(this.carry_out)
        .Else(this.declined)
    )

    carry_out = (
        TierView(tasks.CarryOutRecallTaskView.as_view())
        .Annotation(title=_("召回干部"))
        .Permission(_perm(NOMINATE_CADRES), obj=lambda process: process.artifact.dispatch.unit)
        .Next(this.end)
    )

    declined = flow.End().Annotation(title=_("不同意召回"))
    end = flow.End().Annotation(title=_("已召回"))

    def start_recall(self, activation, recall):
        activation.process.artifact = recall
        return recall

    def has_view_permission(self, user, obj=None):
        return flow_view_permission(user, obj)
