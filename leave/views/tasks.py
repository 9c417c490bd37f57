"""The leave flow's task pages: the township's and the org dept's decisions, the report on return (R-M2)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext

from leave import forms
from leave.models import LeaveState
from leave.selectors import leave as leave_selectors
from leave.services import leave as leaves
from workflows.policy import policy
from workflows.taskviews import TaskFormView, safe_back


class _LeaveTaskView(TaskFormView):
    template_name = "leave/leave/leave_task.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            leave=self.artifact, township_max_days=policy("LEAVE_TOWNSHIP_MAX_DAYS"), **kwargs
        )


class TownshipDecisionTaskView(_LeaveTaskView):
    """The township approves or rejects; above N days it reviews and forwards to the org dept (R-M2)."""

    form_class = forms.LeaveDecisionForm
    template_name = "leave/leave/decide_task.html"
    org_dept = False

    @cached_property
    def recorded(self) -> list[leave_selectors.RecordedDay]:
        return leave_selectors.days_leave_would_overwrite(self.artifact)

    @property
    def approves(self) -> bool:
        """This step's approval is the one that writes the days (the township's review of longer leave is not)."""
        return self.org_dept or not self.artifact.needs_org_dept()

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "leave": self.artifact,
            "org_dept": self.org_dept,
            "recorded": self.recorded if self.approves else (),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            impact=leave_selectors.leave_impact(self.artifact),
            org_dept=self.org_dept,
            recorded=self.recorded,
            approves=self.approves,
            **kwargs,
        )

    def perform(self, form):
        data = form.cleaned_data
        approve = data["decision"] == "approve"
        leave = leaves.leave_decide(
            leave=self.artifact,
            by=self.request.user,
            approve=approve,
            comment=data["comment"],
            overwrite=form.overwrite_days(),
        )
        name = leave.dispatch.cadre.name
        if not approve:
            self.success_message = gettext("已不批准 %(name)s 的请假。") % {"name": name}
        elif leave.state == LeaveState.REVIEWED:
            self.success_message = gettext("已审核同意 %(name)s 的请假,报县委组织部审批。") % {"name": name}
        else:
            self.success_message = gettext("已批准 %(name)s 的请假,请假日已自动记入考勤。") % {"name": name}
        return leave


class OrgDecisionTaskView(TownshipDecisionTaskView):
    """The org dept decides leave longer than N days, seeing the township's review (R-M2)."""

    org_dept = True


class ReportBackTaskView(_LeaveTaskView):
    """The cadre reports back (销假) with the day they were back in the village (R-M2, R-M3)."""

    form_class = forms.ReportBackForm

    def get_initial(self):
        return {"returned_on": timezone.localdate()}

    def perform(self, form):
        leave = leaves.leave_report_back(
            leave=self.artifact, returned_on=form.cleaned_data["returned_on"], by=self.request.user
        )
        if leave.late_days:
            self.success_message = gettext("已销假。逾期未归 %(n)s 个工作日,已记为缺勤。") % {"n": leave.late_days}
        else:
            self.success_message = gettext("已销假,等待乡镇确认。")
        return leave

    def get_success_url(self):
        return safe_back(self.request, reverse("leave:leave"))


class CloseTaskView(_LeaveTaskView):
    """The township confirms the cadre's report on return (R-M2)."""

    form_class = forms.CloseForm

    def perform(self, form):
        leave = leaves.leave_close(leave=self.artifact, by=self.request.user)
        self.success_message = gettext("已确认 %(name)s 销假,请假办结。") % {"name": leave.dispatch.cadre.name}
        return leave
