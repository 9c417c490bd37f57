"""Leave pages: the cadre's requests, the township's list, and the task pages of the leave flow (R-M2, R-O4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from leave import exports, forms, leave_selectors, leaves
from leave.models import LeaveRequest, LeaveState
from workflows.exports import export_response, file_name, wanted_format
from workflows.models import Cadre, Township
from workflows.permissions import DECIDE_LEAVE, acting_on, may, visible_to
from workflows.policy import policy
from workflows.taskviews import ServiceFormView, TaskFormView, safe_back


def _task_urls(user) -> dict[int, str]:
    """The user's open leave tasks, by leave: where the pages link the leave to what is to be done."""
    from leave.flows import LeaveFlow
    from workflows.flows import open_tasks_for

    return {int(task.process.artifact_object_id): task.execute_url for task in open_tasks_for(user, [LeaveFlow])}


# --- The cadre's leave page ----------------------------------------------------------------------


class LeaveView(ServiceFormView):
    """The cadre asks for leave and follows their requests: withdraw before a decision, report back after (R-M2)."""

    form_class = forms.LeaveRequestForm
    template_name = "leave/leave/leave.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.cadre = Cadre.objects.select_related("unit").filter(user=request.user).first()
        if self.cadre is None:
            raise PermissionDenied(_("只有驻村干部本人可以请假。"))
        self.stationed = leave_selectors.stationed_dispatch_of(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        task_urls = _task_urls(self.request.user)
        rows = list(leave_selectors.leaves_of_cadre(self.request.user))
        for leave in rows:
            leave.task_url = task_urls.get(leave.pk)
            leave.can_withdraw = leave.state in leave_selectors.UNDECIDED_LEAVE_STATES
        kwargs.setdefault("page_title", gettext("请假与销假"))
        return super().get_context_data(
            cadre=self.cadre,
            stationed=self.stationed,
            leaves=rows,
            township_max_days=policy("LEAVE_TOWNSHIP_MAX_DAYS"),
            **kwargs,
        )

    def perform(self, form):
        if self.stationed is None:
            raise ValidationError(_("您目前不在驻村期内,不能请假。"))
        data = form.cleaned_data
        leave = leaves.leave_request(
            dispatch=self.stationed,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            reason=data["reason"],
            by=self.request.user,
        )
        if leave.needs_org_dept():
            self.success_message = gettext("请假申请已提交(%(n)s 个工作日),由乡镇审核后报县委组织部审批。") % {
                "n": leave.days
            }
        else:
            self.success_message = gettext("请假申请已提交(%(n)s 个工作日),等待乡镇审批。") % {"n": leave.days}
        return leave

    def get_success_url(self):
        return reverse("leave:leave")


class LeaveWithdrawView(LoginRequiredMixin, View):
    """The cadre withdraws a request not yet decided (R-M2)."""

    http_method_names = ["post"]

    def post(self, request, pk: int, *args, **kwargs):
        leave = get_object_or_404(LeaveRequest.objects.select_related("dispatch__cadre"), pk=pk)
        try:
            leaves.leave_withdraw(leave=leave, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                gettext("已撤回 %(start)s 至 %(end)s 的请假申请。")
                % {"start": leave.starts_on.isoformat(), "end": leave.ends_on.isoformat()},
            )
        return HttpResponseRedirect(reverse("leave:leave"))


# --- The township's list -------------------------------------------------------------------------


class LeaveListView(LoginRequiredMixin, View):
    """Open and recent leave of the cadres stationed in one township; the org dept and auditors pick one (R-O4)."""

    template_name = "leave/leave/leave_list.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        townships = visible_to(user, Township.objects.select_related("county").order_by("code"))
        wanted = request.GET.get("township", "")
        if wanted:
            township = townships.filter(pk=wanted).first() if wanted.isdigit() else None
        else:
            township = acting_on(user, DECIDE_LEAVE, townships).first() or townships.first()
        if township is None:
            raise PermissionDenied(_("您无权查看该乡镇的请假。"))
        open_rows, recent = leave_selectors.township_leaves(user, township)
        fmt = wanted_format(request)
        if fmt is not None:
            return export_response(
                fmt,
                exports.leave_list(open_rows, recent),
                file_name(gettext("请假管理"), township.name, timezone.localdate()),
            )
        task_urls = _task_urls(user)
        for leave in [*open_rows, *recent]:
            leave.task_url = task_urls.get(leave.pk)
        context = {
            "page_title": gettext("请假管理") + f" · {township.name}",
            "township": township,
            "townships": townships,
            "can_decide": may(user, DECIDE_LEAVE, township),
            "open_leaves": open_rows,
            "recent_leaves": recent,
            "township_max_days": policy("LEAVE_TOWNSHIP_MAX_DAYS"),
        }
        return TemplateResponse(request, self.template_name, context)


# --- Task pages of the leave flow ----------------------------------------------------------------


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


urlpatterns = [
    path("leave/", LeaveView.as_view(), name="leave"),
    path("leave/<int:pk>/withdraw/", LeaveWithdrawView.as_view(), name="leave_withdraw"),
    path("leave/township/", LeaveListView.as_view(), name="leave_list"),
]
