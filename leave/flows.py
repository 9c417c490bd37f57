"""Who acts next on a leave: the township, above N days the org dept, then the cadre's report on return (R-M2)."""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from leave.models import LeaveState
from leave.views import tasks as views
from workflows.flows import TierView, flow_lock, flow_view_permission, fresh_artifact
from workflows.permissions import COORDINATE_COUNTY, DECIDE_LEAVE


def _perm(codename: str) -> str:
    return f"workflows.{codename}"


def _township(process):
    return process.artifact.dispatch.village.township


class LeaveFlow(flow.Flow):
    """Requested → decided (township, or reviewed by it and decided by the org dept) → reported back → closed."""

    process_title = _("请假")
    process_description = _("干部申请、乡镇审批(超过规定天数由乡镇审核后报县委组织部审批)、销假、乡镇确认")
    lock_impl = flow_lock

    start = flow.StartHandle(this.start_leave).Next(this.decide_township)

    decide_township = (
        TierView(views.TownshipDecisionTaskView.as_view())
        .Annotation(title=_("审批请假"))
        .Permission(_perm(DECIDE_LEAVE), obj=_township)
        .Next(this.check_reviewed)
    )

    check_reviewed = (
        flow.If(lambda activation: fresh_artifact(activation.process).state == LeaveState.REVIEWED)
        .Annotation(title=_("是否报组织部"))
        .Then(this.decide_org)
        .Else(this.check_approved)
    )

    decide_org = (
        TierView(views.OrgDecisionTaskView.as_view())
        .Annotation(title=_("审批请假(组织部)"))
        .Permission(_perm(COORDINATE_COUNTY), obj=lambda process: process.artifact.dispatch.unit.county)
        .Next(this.check_approved)
    )

    check_approved = (
        flow.If(
            lambda activation: fresh_artifact(activation.process).state in (LeaveState.APPROVED, LeaveState.ON_LEAVE)
        )
        .Annotation(title=_("是否批准"))
        .Then(this.report_back)
        .Else(this.not_approved)
    )

    report_back = (
        TierView(views.ReportBackTaskView.as_view())
        .Annotation(title=_("销假"))
        .Assign(lambda activation: activation.process.artifact.dispatch.cadre.user)
        .Next(this.close)
    )

    close = (
        TierView(views.CloseTaskView.as_view())
        .Annotation(title=_("确认销假"))
        .Permission(_perm(DECIDE_LEAVE), obj=_township)
        .Next(this.end)
    )

    not_approved = flow.End().Annotation(title=_("未批准"))
    end = flow.End().Annotation(title=_("已销假"))

    def start_leave(self, activation, leave):
        activation.process.artifact = leave
        return leave

    def has_view_permission(self, user, obj=None):
        return flow_view_permission(user, obj)
