"""Task pages of the dispatch and recall flows; each calls one service and then completes its task."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch import forms, selectors, services
from workflows.dates import add_months
from workflows.taskviews import TaskFormView


class ApproveTaskView(TaskFormView):
    """The unit head approves or rejects, seeing any waiting reserve cadre first (R-S1, R-S3, R-S4)."""

    form_class = forms.DecisionForm
    template_name = "dispatch/approve_task.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(waiting_reserve=selectors.waiting_reserve_candidates(self.artifact), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        if data["decision"] == "approve":
            self.success_message = _("已同意选派 %(name)s。") % {"name": self.artifact.cadre.name}
            return services.dispatch_approve(dispatch=self.artifact, by=self.request.user, comment=data["comment"])
        self.success_message = _("已退回对 %(name)s 的推荐。") % {"name": self.artifact.cadre.name}
        return services.dispatch_reject(dispatch=self.artifact, by=self.request.user, reason=data["comment"])


class ArrangementsTaskView(TaskFormView):
    """The unit records insurance, party-relation transfer and living allowance (R-S9)."""

    form_class = forms.ArrangementsForm
    template_name = "dispatch/dispatch_task.html"

    def get_initial(self):
        d = self.artifact
        return {
            "insurer": d.insurer,
            "insurance_policy_no": d.insurance_policy_no,
            "insurance_starts_on": d.insurance_starts_on or timezone.localdate(),
            "insurance_ends_on": d.insurance_ends_on or add_months(timezone.localdate(), 12),
            "party_relation_transferred_on": d.party_relation_transferred_on,
            "living_allowance_yuan": d.living_allowance_yuan,
        }

    def perform(self, form):
        self.success_message = _("保障事项已登记,等待乡镇接收到村。")
        return services.dispatch_record_arrangements(dispatch=self.artifact, by=self.request.user, **form.cleaned_data)


class StationTaskView(TaskFormView):
    """The township takes in the cadre; the term starts (R-S7, R-S8, R-S9)."""

    form_class = forms.StationForm
    template_name = "dispatch/dispatch_task.html"

    def get_initial(self):
        return {"stationed_on": timezone.localdate()}

    def perform(self, form):
        self.success_message = _("%(name)s 已到村,驻村期开始。") % {"name": self.artifact.cadre.name}
        return services.dispatch_station(
            dispatch=self.artifact, by=self.request.user, on=form.cleaned_data["stationed_on"]
        )


class DecideRecallTaskView(TaskFormView):
    """The org dept decides a recall proposed by the township (R-M5a)."""

    form_class = forms.RecallDecisionForm
    template_name = "dispatch/recall_task.html"

    def perform(self, form):
        data = form.cleaned_data
        approve = data["decision"] == "approve"
        self.success_message = _("已同意召回,等待派出单位执行。") if approve else _("已决定不召回。")
        return services.recall_decide(
            recall=self.artifact, by=self.request.user, approve=approve, comment=data["comment"]
        )


class CarryOutRecallTaskView(TaskFormView):
    """The unit recalls its cadre and is sent to nominate a replacement for the same village (R-M5a)."""

    form_class = forms.RecallCarryOutForm
    template_name = "dispatch/recall_task.html"

    def get_initial(self):
        return {"recalled_on": timezone.localdate()}

    def perform(self, form):
        self.success_message = _("已召回。请为该村另行推荐干部。")
        return services.recall_carry_out(
            recall=self.artifact, by=self.request.user, on=form.cleaned_data["recalled_on"]
        )

    def get_success_url(self):
        dispatch = self.artifact.dispatch
        return reverse("dispatch:nominate") + f"?unit={dispatch.unit_id}&village={dispatch.village_id}"
