"""The township's and the cadre's dispatch pages: the team (R-M4) and self-application (R-S2)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from dispatch import exports, selectors, services
from dispatch.forms import (
    ApplicationForm,
    DeclineApplicationForm,
    MentorForm,
    NominateApplicantForm,
    TeamLeaderForm,
    WorkGroupForm,
)
from dispatch.models import ACTIVE_STATES, Application, ApplicationState, Dispatch, TeamLeader, WorkGroup
from workflows.exports import export_response, file_name, wanted_format
from workflows.models import Cadre, Township, Unit
from workflows.permissions import MANAGE_STATIONED, NOMINATE_CADRES, acting_on, may, visible_to
from workflows.policy import policy
from workflows.taskviews import ServiceFormView, add_service_errors

# --- Township team (R-M4) -------------------------------------------------------------------------


def _township_for(request, *, manage: bool = False) -> Township:
    """The township the page is about: `?township=` if the user may see it, else their own; 403 otherwise."""
    user = request.user
    townships = Township.objects.select_related("county").order_by("code")
    allowed = acting_on(user, MANAGE_STATIONED, townships) if manage else visible_to(user, townships)
    wanted = request.GET.get("township", "")
    if wanted:
        township = allowed.filter(pk=wanted).first() if wanted.isdigit() else None
    else:
        township = acting_on(user, MANAGE_STATIONED, townships).first() or allowed.first()
    if township is None:
        raise PermissionDenied(_("您无权查看该乡镇的驻村工作。"))
    return township


def _team_url(township: Township) -> str:
    return f"{reverse('dispatch:team')}?township={township.pk}"


class TeamView(LoginRequiredMixin, View):
    """Stationed cadres, their mentors, the team leader and the work groups of one township (R-M4)."""

    template_name = "dispatch/township/team.html"

    def get(self, request, *args, **kwargs):
        township = _township_for(request)
        fmt = wanted_format(request)
        if fmt is not None:
            today = timezone.localdate()
            return export_response(
                fmt,
                exports.team(*self.team(township, today.year)),
                file_name(gettext("驻村工作队"), township.name, today),
            )
        return self.render(township)

    @staticmethod
    def team(township: Township, year: int) -> tuple[list[Dispatch], TeamLeader | None, list[WorkGroup]]:
        """The page's rows: the stationed cadres, the team leader and the year's work groups."""
        return (
            list(selectors.stationed_in_township(township)),
            selectors.team_leader_of(township),
            list(selectors.work_groups_of(township, year)),
        )

    def post(self, request, *args, **kwargs):
        township = _township_for(request)
        if not may(request.user, MANAGE_STATIONED, township):
            raise PermissionDenied(_("只有本乡镇党委可以调整驻村工作队。"))
        action = request.POST.get("action")
        if action == "leader":
            form = TeamLeaderForm(request.POST, township=township)
            if form.is_valid():
                try:
                    leader = services.team_leader_name(
                        township=township, dispatch=form.cleaned_data["dispatch"], by=request.user
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(
                        request, gettext("已确定 %(name)s 为本乡镇领队。") % {"name": leader.dispatch.cadre.name}
                    )
                    return HttpResponseRedirect(_team_url(township))
            return self.render(township, leader_form=form)
        if action == "mentor":
            dispatch = get_object_or_404(
                Dispatch.objects.select_related("cadre", "village__township"), pk=request.POST.get("dispatch") or 0
            )
            form = MentorForm(request.POST, township=township, dispatch=dispatch)
            if form.is_valid():
                try:
                    services.mentor_assign(dispatch=dispatch, mentor=form.cleaned_data["mentor"], by=request.user)
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    mentor = form.cleaned_data["mentor"]
                    messages.success(
                        request,
                        gettext("已确定 %(mentor)s 联系指导 %(name)s。")
                        % {"mentor": mentor.name or mentor.username, "name": dispatch.cadre.name},
                    )
                    return HttpResponseRedirect(_team_url(township))
            return self.render(township, mentor_form=form)
        return HttpResponseBadRequest()

    def render(self, township: Township, *, leader_form=None, mentor_form=None):
        user = self.request.user
        can_manage = may(user, MANAGE_STATIONED, township)
        year = timezone.localdate().year
        stationed, leader, groups = self.team(township, year)
        cadres_by_village: dict[int, list[str]] = {}
        for d in stationed:
            cadres_by_village.setdefault(d.village_id, []).append(d.cadre.name)
        for group in groups:
            group.rows = [(v, cadres_by_village.get(v.pk, [])) for v in group.villages.all()]
        stray_errors = mentor_form.non_field_errors() if mentor_form is not None else []
        if can_manage:
            for d in stationed:
                if mentor_form is not None and mentor_form.dispatch.pk == d.pk:
                    d.mentor_form, stray_errors = mentor_form, []
                else:
                    d.mentor_form = MentorForm(township=township, dispatch=d, initial={"mentor": d.mentor_id})
            if leader_form is None:
                leader_form = TeamLeaderForm(
                    township=township, initial={"dispatch": leader.dispatch_id if leader else None}
                )
        context = {
            "page_title": gettext("驻村工作队") + f" · {township.name}",
            "township": township,
            "townships": visible_to(user, Township.objects.order_by("code")),
            "can_manage": can_manage,
            "year": year,
            "stationed": stationed,
            "leader": leader,
            "leader_form": leader_form,
            "stray_errors": stray_errors,
            "groups": groups,
            "group_sizes": {"low": policy("WORK_GROUP_MIN_VILLAGES"), "high": policy("WORK_GROUP_MAX_VILLAGES")},
        }
        return TemplateResponse(self.request, self.template_name, context)


class WorkGroupFormView(ServiceFormView):
    """Create or edit one work group of 2–3 neighbouring villages (R-M4)."""

    form_class = WorkGroupForm
    template_name = "dispatch/township/work_group_form.html"
    group: WorkGroup | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if "pk" in kwargs:
            self.group = get_object_or_404(WorkGroup.objects.select_related("township"), pk=kwargs["pk"])
            if not may(request.user, MANAGE_STATIONED, self.group):
                raise PermissionDenied(_("只有本乡镇党委可以调整工作小组。"))
            self.township, self.year = self.group.township, self.group.year
        else:
            self.township, self.year = _township_for(request, manage=True), timezone.localdate().year
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "township": self.township, "year": self.year, "group": self.group}

    def get_initial(self):
        if self.group is None:
            return {}
        return {"name": self.group.name, "villages": list(self.group.villages.values_list("pk", flat=True))}

    def get_context_data(self, **kwargs):
        title = gettext("修改工作小组") if self.group else gettext("新建工作小组")
        kwargs.setdefault("page_title", f"{title} · {self.township.name} · {self.year}")
        return super().get_context_data(back_url=_team_url(self.township), **kwargs)

    def perform(self, form):
        group = services.work_group_save(
            township=self.township,
            year=self.year,
            name=form.cleaned_data["name"],
            villages=list(form.cleaned_data["villages"]),
            by=self.request.user,
            group=self.group,
        )
        self.success_message = gettext("工作小组「%(name)s」已保存。") % {"name": group.name}
        return group

    def get_success_url(self):
        return _team_url(self.township)


# --- Self-application (R-S2, R-S3) ----------------------------------------------------------------


class ApplyView(ServiceFormView):
    """A cadre applies to be stationed and follows their applications (自觉报名, R-S2)."""

    form_class = ApplicationForm
    template_name = "dispatch/application/apply.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.cadre = Cadre.objects.select_related("unit").filter(user=request.user).first()
        if self.cadre is None:
            raise PermissionDenied(_("只有干部本人可以报名驻村。"))
        self.year = timezone.localdate().year
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cadre": self.cadre, "year": self.year}

    def get_context_data(self, **kwargs):
        applications = list(selectors.applications_of(self.cadre))
        kwargs.setdefault("page_title", gettext("我要报名驻村") + f" · {self.year}")
        return super().get_context_data(
            cadre=self.cadre,
            applications=applications,
            active_dispatch=selectors.dispatches_for(self.request.user)
            .filter(cadre=self.cadre, state__in=ACTIVE_STATES)
            .first(),
            open_application=next((a for a in applications if a.state == ApplicationState.SUBMITTED), None),
            **kwargs,
        )

    def perform(self, form):
        data = form.cleaned_data
        application = services.application_submit(
            cadre=self.cadre,
            year=self.year,
            statement=data["statement"],
            preferred_village=data["preferred_village"],
            by=self.request.user,
        )
        self.success_message = gettext("报名已提交,等待单位决定是否推荐。")
        return application

    def get_success_url(self):
        return reverse("dispatch:apply")


def _units_user_nominates_for(user):
    return acting_on(user, NOMINATE_CADRES, Unit.objects.order_by("code"))


class ApplicationsView(LoginRequiredMixin, View):
    """The unit's open applications, reserve and key-cultivation cadres first; nominate or decline (R-S2, R-S3)."""

    template_name = "dispatch/application/unit_applications.html"

    def get(self, request, *args, **kwargs):
        units = _units_user_nominates_for(request.user)
        unit_id = request.GET.get("unit", "")
        unit = (units.filter(pk=unit_id) if unit_id.isdigit() else units).first()
        if unit is None:
            raise PermissionDenied(_("您无权处理干部报名。"))
        return self.render(unit)

    def render(self, unit: Unit, *, bound: tuple[int, forms.Form] | None = None):
        rows, shown = [], False
        for application in selectors.open_applications_for_unit(unit):
            nominate = NominateApplicantForm(
                application=application, initial={"village": application.preferred_village_id}
            )
            decline = DeclineApplicationForm(application=application)
            if bound is not None and bound[0] == application.pk:
                shown = True
                if isinstance(bound[1], NominateApplicantForm):
                    nominate = bound[1]
                else:
                    decline = bound[1]
            rows.append({"application": application, "nominate_form": nominate, "decline_form": decline})
        context = {
            "page_title": gettext("干部自愿报名") + f" · {unit.name}",
            "unit": unit,
            "units": _units_user_nominates_for(self.request.user),
            "rows": rows,
            # A refusal about an application no longer open (decided meanwhile) is shown above the list.
            "stray_errors": bound[1].non_field_errors() if bound is not None and not shown else [],
        }
        return TemplateResponse(self.request, self.template_name, context)


class ApplicationDecideView(ApplicationsView):
    """The unit nominates an applicant for a village or declines with a reason; a refusal re-shows the list."""

    http_method_names = ["post"]

    def post(self, request, pk: int, *args, **kwargs):
        application = get_object_or_404(Application.objects.select_related("cadre__unit"), pk=pk)
        if not may(request.user, NOMINATE_CADRES, application):
            raise PermissionDenied(_("您只能处理本单位干部的报名。"))
        unit = application.cadre.unit
        action = request.POST.get("action")
        if action == "nominate":
            form = NominateApplicantForm(request.POST, application=application)
            if form.is_valid():
                try:
                    dispatch = services.dispatch_nominate(
                        cadre=application.cadre,
                        village=form.cleaned_data["village"],
                        by=request.user,
                        year=application.year,
                        note=form.cleaned_data["note"],
                        application=application,
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(
                        request,
                        gettext("已推荐 %(name)s 驻 %(village)s,等待单位主要领导审批。")
                        % {"name": dispatch.cadre.name, "village": dispatch.village.name},
                    )
                    return HttpResponseRedirect(f"{reverse('dispatch:applications')}?unit={unit.pk}")
            return self.render(unit, bound=(application.pk, form))
        if action == "decline":
            form = DeclineApplicationForm(request.POST, application=application)
            if form.is_valid():
                try:
                    services.application_decline(
                        application=application, by=request.user, reason=form.cleaned_data["reason"]
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(
                        request, gettext("已决定不推荐 %(name)s,理由本人可见。") % {"name": application.cadre.name}
                    )
                    return HttpResponseRedirect(f"{reverse('dispatch:applications')}?unit={unit.pk}")
            return self.render(unit, bound=(application.pk, form))
        return HttpResponseBadRequest()
