"""The unit's pages: nominate a cadre, the list of dispatches, one dispatch, withdraw (R-S1, R-S3, R-S4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView

from dispatch import exports, selectors, services
from dispatch.forms import NominateForm, RecallProposeForm
from dispatch.models import Dispatch, DispatchState
from dispatch.views.bulk import approves_nominations
from workflows.exports import ExportMixin, file_name
from workflows.models import AuditEvent, Unit
from workflows.permissions import MANAGE_STATIONED, NOMINATE_CADRES, acting_on, may, may_view
from workflows.taskviews import ServiceFormView


def _units_user_nominates_for(user):
    return acting_on(user, NOMINATE_CADRES, Unit.objects.all())


class NominateView(ServiceFormView):
    """The unit nominates one of its cadres for one of its paired villages."""

    form_class = NominateForm
    page_title = _("推荐驻村干部")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        units = _units_user_nominates_for(request.user)
        unit_id = request.GET.get("unit")
        self.unit = (units.filter(pk=unit_id) if unit_id and unit_id.isdigit() else units).first()
        if self.unit is None:
            raise PermissionDenied(_("您无权推荐干部。"))
        self.year = timezone.localdate().year
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "unit": self.unit, "year": self.year}

    def get_initial(self):
        village = self.request.GET.get("village")
        return {"village": village} if village and village.isdigit() else {}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("page_title", f"{self.page_title} · {self.unit} · {self.year}")
        return super().get_context_data(**kwargs)

    def perform(self, form):
        data = form.cleaned_data
        dispatch = services.dispatch_nominate(
            cadre=data["cadre"],
            village=data["village"],
            by=self.request.user,
            year=self.year,
            note=data["note"],
            exclusion=data["exclusion"],
            exclusion_note=data["exclusion_note"],
        )
        self.success_message = _("已推荐 %(name)s 驻 %(village)s,等待单位主要领导审批。") % {
            "name": dispatch.cadre.name,
            "village": dispatch.village.name,
        }
        return dispatch

    def get_success_url(self):
        return reverse("dispatch:list")


class DispatchListView(ExportMixin, LoginRequiredMixin, ListView):
    """Every dispatch the user may see, newest round first; reserve cadres first within a unit (R-S3).

    `?format=xlsx|csv` gives the same filtered rows, every page of them (R-O4).
    """

    template_name = "dispatch/dispatch_list.html"
    paginate_by = 50

    def get_queryset(self):
        qs = selectors.dispatches_for(self.request.user)
        state = self.request.GET.get("state")
        if state in DispatchState.values:
            qs = qs.filter(state=state)
        return qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            states=DispatchState.choices,
            current_state=self.request.GET.get("state", ""),
            can_nominate=_units_user_nominates_for(self.request.user).exists(),
            can_approve=approves_nominations(self.request.user),
            **kwargs,
        )

    def export_tables(self, request, *args, **kwargs):
        state = request.GET.get("state")
        label = DispatchState(state).label if state in DispatchState.values else ""
        return exports.dispatch_list(self.get_queryset()), file_name(_("选派干部"), label, timezone.localdate())


class DispatchDetailView(LoginRequiredMixin, DetailView):
    """One dispatch with its history; the actions offered are those the user may take now."""

    template_name = "dispatch/dispatch_detail.html"
    context_object_name = "d"

    def get_object(self, queryset=None):
        dispatch = get_object_or_404(
            Dispatch.objects.select_related(
                "cadre", "unit__county", "village__township", "training_batch", "decided_by", "mentor"
            ),
            pk=self.kwargs["pk"],
        )
        if not may_view(self.request.user, dispatch):
            raise PermissionDenied(_("您无权查看此记录。"))
        return dispatch

    def get_context_data(self, **kwargs):
        d = self.object
        user = self.request.user
        history = AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Dispatch), object_id=str(d.pk)
        ).order_by("seq")
        return super().get_context_data(
            history=history,
            can_withdraw=d.state == DispatchState.NOMINATED and may(user, NOMINATE_CADRES, d),
            can_propose_recall=d.state == DispatchState.STATIONED and may(user, MANAGE_STATIONED, d),
            recall_form=RecallProposeForm(),
            **kwargs,
        )


def recall_propose(request, pk: int):
    """The township proposes to recall a stationed cadre (POST only; R-M5a)."""
    if request.method != "POST" or not request.user.is_authenticated:
        raise PermissionDenied
    dispatch = get_object_or_404(Dispatch.objects.select_related("village__township"), pk=pk)
    form = RecallProposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择召回原因并写明具体情况。"))
        return HttpResponseRedirect(reverse("dispatch:detail", args=[pk]))
    try:
        services.recall_propose(dispatch=dispatch, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, ";".join(error.messages))
    else:
        messages.success(request, _("召回建议已报县委组织部决定。"))
    return HttpResponseRedirect(reverse("dispatch:detail", args=[pk]))


def withdraw(request, pk: int):
    """The unit withdraws a nomination before it is decided (POST only)."""
    if request.method != "POST" or not request.user.is_authenticated:
        raise PermissionDenied
    dispatch = get_object_or_404(Dispatch, pk=pk)
    try:
        services.dispatch_withdraw(dispatch=dispatch, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, ";".join(error.messages))
    else:
        messages.success(request, _("推荐已撤回。"))
    return HttpResponseRedirect(reverse("dispatch:detail", args=[pk]))
