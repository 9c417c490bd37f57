"""Leave pages: the cadre's requests and the township's list (R-M2, R-O4); the task pages are in `tasks`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from leave import exports, forms
from leave.models import UNDECIDED_LEAVE_STATES, LeaveRequest
from leave.selectors import leave as leave_selectors
from leave.services import leave as leaves
from workflows.exports import export_response, file_name, wanted_format
from workflows.flows import flows_of, open_tasks_for
from workflows.models import Cadre, Township
from workflows.permissions import DECIDE_LEAVE, acting_on, may, visible_to
from workflows.policy import policy
from workflows.taskviews import ServiceFormView


def _task_urls(user) -> dict[int, str]:
    """The user's open leave tasks, by leave: where the pages link the leave to what is to be done."""
    return {
        int(task.process.artifact_object_id): task.execute_url for task in open_tasks_for(user, flows_of(LeaveRequest))
    }


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
            leave.can_withdraw = leave.state in UNDECIDED_LEAVE_STATES
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
