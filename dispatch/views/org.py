"""The org dept's dispatch pages: pairing and quotas, sanctions and award eligibility, coverage, training."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from dispatch import exports, selectors, services
from dispatch.forms import (
    CompletionForm,
    EligibilityForm,
    EnrolForm,
    PairingForm,
    QuotaForm,
    SanctionRevokeForm,
    TrainingBatchForm,
    village_tags,
)
from dispatch.models import Pairing, QuotaSanction, TrainingBatch
from workflows.exports import ExportMixin, file_name
from workflows.frame import AreaPage, NavLink
from workflows.models import County, Unit
from workflows.params import read_year
from workflows.permissions import COORDINATE_COUNTY, may, may_view, visible_to
from workflows.policy import policy
from workflows.taskviews import ServiceFormView, add_service_errors


def _year(request) -> int:
    return read_year(request.GET, default=timezone.localdate().year)


def _call_service(form: forms.Form, call) -> bool:
    """Run one service with the form's data; a refusal goes onto the form (and into `form.refusal`), nothing written."""
    form.refusal = None
    if not form.is_valid():
        return False
    try:
        with transaction.atomic():
            call(form.cleaned_data)
    except ValidationError as error:
        form.refusal = error
        add_service_errors(form, error)
        return False
    return True


def _codes(error: ValidationError | None) -> set[str]:
    return {e.code for e in error.error_list} if error is not None else set()


class OrgPage(AreaPage):
    """The org pages' frame: links between them, and messages kept on the page (workflows.frame)."""

    area = "org"
    nav_class = "vc-orgnav"
    nav_label = gettext_lazy("组织部选派工作")
    nav = [
        NavLink(gettext_lazy("结对与选派任务"), "dispatch:pairings"),
        NavLink(gettext_lazy("评先评优资格"), "dispatch:eligibility"),
        NavLink(gettext_lazy("重点村覆盖"), "dispatch:coverage"),
        NavLink(
            gettext_lazy("岗前培训"),
            "dispatch:training",
            current=lambda page, context, url: page.request.path == url or bool(context.get("batch")),
        ),
    ]
    org_nav = True

    def link_is_current(self, link, context, url):
        if link.current is not None:
            return link.current(self, context, url)
        return self.request.path == url

    def nav_shown(self, links, context):
        return bool(context.get("org_nav", self.org_nav))


class CountyPage(OrgPage):
    """A page about the user's county: read with VIEW_COUNTY, changed only with COORDINATE_COUNTY (R-O4)."""

    #: Whether even reading the page needs the org dept's permission (pages that are only a form).
    coordinate_to_view = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        counties = visible_to(request.user, County.objects.order_by("code"))
        wanted = request.GET.get("county", "")
        self.county = (counties.filter(pk=wanted) if wanted.isdigit() else counties).first()
        if self.county is None:
            raise PermissionDenied(_("您无权查看此页面。"))
        self.can_coordinate = may(request.user, COORDINATE_COUNTY, self.county)
        if (request.method == "POST" or self.coordinate_to_view) and not self.can_coordinate:
            raise PermissionDenied(_("只有县委组织部可以进行此操作。"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(county=self.county, can_coordinate=self.can_coordinate, **kwargs)


# --- Pairing and quota (R-S5, R-S6) ---------------------------------------------------------------


def _unit_rows(county: County, year: int, today: datetime.date) -> list[dict]:
    """One row per unit: its pairings, quota with sent and pending counts, and sanction (four queries)."""
    units = list(Unit.objects.filter(county=county).order_by("code"))
    quotas = {q.unit_id: q for q in selectors.quota_progress(county, year).select_related("sanction__revoked_by")}
    pairings = defaultdict(list)
    for pairing in selectors.pairings_in(county, year):
        pairing.categories = village_tags(pairing.village, pairing.village_own_income)
        pairings[pairing.unit_id].append(pairing)
    in_force: dict[int, object] = {}
    for sanction in selectors.sanctions_in_force(on=today).filter(unit__county=county):
        in_force.setdefault(sanction.unit_id, sanction)
    rows = []
    for unit in units:
        quota = quotas.get(unit.pk)
        rows.append(
            {
                "unit": unit,
                "quota": quota,
                "pairings": pairings[unit.pk],
                "sanction": in_force.get(unit.pk),
                "year_sanction": getattr(quota, "sanction", None) if quota else None,
                "overdue": bool(quota and quota.enforced_at is None and quota.deadline < today),
            }
        )
    return rows


class PairingsView(ExportMixin, CountyPage, TemplateView):
    """Per unit: paired villages, quota and deadline, sent and pending, sanction; the org dept's forms."""

    template_name = "dispatch/org/pairings.html"

    def export_tables(self, request, *args, **kwargs):
        year = _year(request)
        rows = _unit_rows(self.county, year, timezone.localdate())
        return exports.pairings(rows), file_name(_("结对与选派任务"), year)

    def get_context_data(self, **kwargs):
        year, today = _year(self.request), timezone.localdate()
        if self.can_coordinate:
            kwargs.setdefault("pairing_form", PairingForm(county=self.county))
            kwargs.setdefault(
                "quota_form", QuotaForm(county=self.county, initial={"unit": self.request.GET.get("unit")})
            )
        return super().get_context_data(
            year=year,
            today=today,
            rows=_unit_rows(self.county, year, today),
            years=[year - 1, year, year + 1],
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        year, user = _year(request), request.user
        action = request.POST.get("action")
        if action == "add":
            form = PairingForm(request.POST, county=self.county)
            if _call_service(
                form, lambda d: services.pairing_add(unit=d["unit"], village=d["village"], year=year, by=user)
            ):
                messages.success(
                    request,
                    _("已将 %(village)s 与 %(unit)s 结对。")
                    % {"village": form.cleaned_data["village"].name, "unit": form.cleaned_data["unit"].name},
                )
                return self._back(year)
            return self.render_to_response(self.get_context_data(pairing_form=form), status=200)
        if action == "quota":
            form = QuotaForm(request.POST, county=self.county)
            if _call_service(
                form,
                lambda d: services.quota_set(
                    unit=d["unit"],
                    year=year,
                    cadres=d["cadres"],
                    deadline=d["deadline"],
                    by=user,
                    confirm_past_deadline=d["confirm_past_deadline"],
                ),
            ):
                messages.success(
                    request,
                    _("已设定 %(unit)s %(year)s 年度选派名额 %(n)s 名,截止 %(deadline)s。")
                    % {
                        "unit": form.cleaned_data["unit"].name,
                        "year": year,
                        "n": form.cleaned_data["cadres"],
                        "deadline": form.cleaned_data["deadline"].isoformat(),
                    },
                )
                return self._back(year)
            if "deadline_past" in _codes(form.refusal):
                form.ask_past_deadline()
            return self.render_to_response(self.get_context_data(quota_form=form), status=200)
        return HttpResponseBadRequest()

    def _back(self, year: int) -> HttpResponseRedirect:
        # Its own fragment: a redirect without one keeps the form's (#quota), and the message is at the top.
        return HttpResponseRedirect(f"{reverse('dispatch:pairings')}?year={year}#messages")


@require_POST
@login_required
def pairing_remove(request, pk: int):
    """The org dept removes a pairing (POST only); the service refuses one that an active dispatch uses."""
    pairing = get_object_or_404(Pairing.objects.select_related("unit__county", "village"), pk=pk)
    if not may(request.user, COORDINATE_COUNTY, pairing):
        raise PermissionDenied(_("只有县委组织部可以进行此操作。"))
    names = {"village": pairing.village.name, "unit": pairing.unit.name}
    try:
        services.pairing_remove(pairing=pairing, by=request.user)
    except ValidationError as error:
        messages.error(request, ";".join(error.messages))
    else:
        messages.success(request, _("已取消 %(unit)s 与 %(village)s 的结对。") % names)
    return HttpResponseRedirect(f"{reverse('dispatch:pairings')}?year={pairing.year}")


class QuotaEnforceView(CountyPage, TemplateView):
    """到期核查: show which units the check would sanction, and record it only when the org dept confirms (R-S5)."""

    template_name = "dispatch/org/quota_enforce.html"
    coordinate_to_view = True

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        checks = selectors.quota_checks(list(selectors.quotas_due(on=today, county=self.county)))
        return super().get_context_data(
            year=_year(self.request),
            today=today,
            checks=checks,
            short=[c for c in checks if c.short],
            met=[c for c in checks if not c.short],
            policy_years=policy("QUOTA_SANCTION_YEARS"),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        year, today = _year(request), timezone.localdate()
        confirmed = [int(pk) for pk in request.POST.getlist("quota") if pk.isdigit()]
        if request.POST.get("confirm") != "yes":
            return HttpResponseRedirect(self._here(year))
        try:
            sanctions = services.quota_enforce(on=today, by=request.user, county=self.county, confirmed=confirmed)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(errors=error.messages), status=409)
        if sanctions:
            listed = ";".join(
                _("%(unit)s(%(year)s 年度名额 %(quota)s 名,实派 %(sent)s 名,%(start)s 至 %(end)s)")
                % {
                    "unit": s.unit.name,
                    "year": s.quota.year,
                    "quota": s.quota.cadres,
                    "sent": s.sent,
                    "start": s.starts_on.isoformat(),
                    "end": s.ends_on.isoformat(),
                }
                for s in sanctions
            )
            messages.warning(
                request,
                _("到期核查完成。以下单位未完成选派任务,已记录不得参评县级以上党建先进单位和文明单位:%(units)s。")
                % {"units": listed},
            )
        elif confirmed:
            messages.success(request, _("到期核查完成:已核查的单位均完成了选派任务。"))
        else:
            messages.success(
                request, _("到期核查完成:截至 %(day)s,没有新增未完成选派任务的单位。") % {"day": today.isoformat()}
            )
        return HttpResponseRedirect(f"{reverse('dispatch:pairings')}?year={year}#messages")

    def _here(self, year: int) -> str:
        return f"{reverse('dispatch:quota_enforce')}?county={self.county.pk}&year={year}"


class SanctionRevokeView(ServiceFormView):
    """The org dept revokes a sanction with a reason, from the quota page (R-S5, R-X1)."""

    form_class = SanctionRevokeForm
    template_name = "dispatch/org/sanction_revoke.html"
    page_title = gettext_lazy("撤销未完成选派任务的处理")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.sanction = get_object_or_404(
            QuotaSanction.objects.select_related("unit__county", "quota", "revoked_by"), pk=kwargs["pk"]
        )
        if not may(request.user, COORDINATE_COUNTY, self.sanction):
            raise PermissionDenied(_("只有县委组织部可以进行此操作。"))
        return super().dispatch(request, *args, **kwargs)

    def _pairings_url(self) -> str:
        return f"{reverse('dispatch:pairings')}?year={self.sanction.quota.year}"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("back_url", self._pairings_url())
        return super().get_context_data(sanction=self.sanction, **kwargs)

    def perform(self, form):
        sanction = services.quota_sanction_revoke(
            sanction=self.sanction, by=self.request.user, reason=form.cleaned_data["reason"]
        )
        self.success_message = _("已撤销 %(unit)s %(year)s 年度未完成选派任务的处理。") % {
            "unit": sanction.unit.name,
            "year": sanction.quota.year,
        }
        return sanction

    def get_success_url(self):
        return self._pairings_url()


# --- Award eligibility (R-S5) ---------------------------------------------------------------------


class EligibilityView(ExportMixin, OrgPage, TemplateView):
    """May a unit be considered for the two awards on a date, and if not, why (R-S5).

    Its list, the units in a sanction period today, is what `?format=xlsx|csv` gives.
    """

    template_name = "dispatch/org/eligibility.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        # The org dept and the auditor see every unit of the county; a unit's leaders only their own.
        self.units = visible_to(request.user, Unit.objects.select_related("county").order_by("code"))
        self.unit_list = list(self.units)
        if not self.unit_list:
            raise PermissionDenied(_("您无权查看此页面。"))
        return super().dispatch(request, *args, **kwargs)

    def _sanctions(self, today):
        return visible_to(self.request.user, selectors.sanctions_in_force(on=today))

    def export_tables(self, request, *args, **kwargs):
        today = timezone.localdate()
        return exports.sanctions(self._sanctions(today), today), file_name(_("评先评优资格"), today)

    def get_context_data(self, **kwargs):
        params, today = self.request.GET, timezone.localdate()
        units, unit_list = self.units, self.unit_list
        wanted = params.get("unit", "")
        if (
            wanted.isdigit()
            and int(wanted) not in {u.pk for u in unit_list}
            and Unit.objects.filter(pk=wanted).exists()
        ):
            raise PermissionDenied(_("只能查询本单位。"))
        if "unit" in params:
            form = EligibilityForm({"unit": wanted, "on": params.get("on") or today.isoformat()}, units=units)
        elif len(unit_list) == 1:
            form = EligibilityForm({"unit": unit_list[0].pk, "on": today.isoformat()}, units=units)
        else:
            form = EligibilityForm(initial={"on": today}, units=units)
        result = None
        if form.is_bound and form.is_valid():
            unit, on = form.cleaned_data["unit"], form.cleaned_data["on"]
            eligible, sanction = selectors.unit_is_award_eligible(unit, on=on)
            result = {"unit": unit, "on": on, "eligible": eligible, "sanction": sanction}
        return super().get_context_data(
            form=form,
            result=result,
            sanctions=self._sanctions(today),
            today=today,
            policy_years=policy("QUOTA_SANCTION_YEARS"),
            org_nav=len(unit_list) > 1,
            **kwargs,
        )


# --- Coverage (R-S6) ------------------------------------------------------------------------------


class CoverageView(ExportMixin, CountyPage, TemplateView):
    """Per township, the target and wherever-possible villages and how many have a stationed cadre (R-S6)."""

    template_name = "dispatch/org/coverage.html"

    def coverage(self, year: int) -> dict:
        """The page's tables: per township with totals, and the uncovered villages of both kinds."""
        rows = selectors.coverage_by_township(self.county, year)
        for row in rows:
            row["uncovered"] = row["targets"] - row["targets_covered"]
        keys = ("targets", "targets_covered", "uncovered", "possible", "possible_covered")
        totals = {key: sum(row[key] for row in rows) for key in keys}
        uncovered = list(selectors.uncovered_target_villages(self.county, year))
        possible = list(selectors.uncovered_wherever_possible(self.county, year))
        for village in uncovered + possible:
            village.tags = village_tags(village, village.latest_own_income)
        return {"rows": rows, "totals": totals, "uncovered": uncovered, "possible": possible}

    def export_tables(self, request, *args, **kwargs):
        year = _year(request)
        return exports.coverage(**self.coverage(year)), file_name(_("重点村覆盖情况"), year)

    def get_context_data(self, **kwargs):
        year = _year(self.request)
        return super().get_context_data(year=year, years=[year - 1, year, year + 1], **self.coverage(year), **kwargs)


# --- Pre-service training (R-S8) ------------------------------------------------------------------


class TrainingListView(CountyPage, TemplateView):
    """The county's training batches, with how many cadres are enrolled and completed."""

    template_name = "dispatch/org/training_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            batches=selectors.training_batches_in(self.county),
            awaiting=selectors.approved_awaiting_training(self.county).count(),
            **kwargs,
        )


class TrainingCreateView(CountyPage, ServiceFormView):
    """The org dept opens a pre-service training batch (R-S8)."""

    coordinate_to_view = True
    form_class = TrainingBatchForm
    page_title = gettext_lazy("新建岗前培训班")

    def get_initial(self):
        return {"year": timezone.localdate().year}

    def perform(self, form):
        batch = services.training_batch_create(county=self.county, by=self.request.user, **form.cleaned_data)
        self.success_message = _("已开设培训班:%(name)s。") % {"name": batch.name}
        return batch

    def get_success_url(self):
        return reverse("dispatch:training_batch", args=[self.result.pk])


class TrainingBatchView(OrgPage, TemplateView):
    """One batch: its cadres with state and completion; the org dept enrols and records completion (R-S8)."""

    template_name = "dispatch/org/training_batch.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.batch = get_object_or_404(TrainingBatch.objects.select_related("county"), pk=kwargs["pk"])
        if not may_view(request.user, self.batch):
            raise PermissionDenied(_("您无权查看此页面。"))
        self.can_coordinate = may(request.user, COORDINATE_COUNTY, self.batch)
        if request.method == "POST" and not self.can_coordinate:
            raise PermissionDenied(_("只有县委组织部可以进行此操作。"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        batch = self.batch
        members = list(selectors.batch_members(batch))
        context = {
            "batch": batch,
            "members": members,
            "can_coordinate": self.can_coordinate,
            "today": timezone.localdate(),
        }
        if self.can_coordinate:
            context["candidates"] = selectors.approved_awaiting_training(batch.county)
            context["completable"] = [d for d in members if d.awaits_training_completion()]
            context.setdefault("enrol_form", EnrolForm(batch=batch))
            # Never a day still to come: a completion is recorded once the course has ended (R-S8).
            completed_on = min(batch.ends_on, timezone.localdate())
            context.setdefault("completion_form", CompletionForm(batch=batch, initial={"completed_on": completed_on}))
        context.update(kwargs)
        return super().get_context_data(**context)

    def post(self, request, *args, **kwargs):
        batch, user = self.batch, request.user
        action = request.POST.get("action")
        if action == "enrol":
            form = EnrolForm(request.POST, batch=batch)
            if _call_service(form, lambda d: services.dispatch_enrol(dispatches=d["dispatches"], batch=batch, by=user)):
                messages.success(
                    request, _("已安排 %(n)s 名干部参加本期培训。") % {"n": len(form.cleaned_data["dispatches"])}
                )
                return HttpResponseRedirect(reverse("dispatch:training_batch", args=[batch.pk]))
            return self.render_to_response(self.get_context_data(enrol_form=form))
        if action == "complete":
            form = CompletionForm(request.POST, batch=batch)
            if _call_service(
                form,
                lambda d: services.dispatch_complete_training(
                    dispatches=d["dispatches"], completed_on=d["completed_on"], by=user
                ),
            ):
                messages.success(
                    request,
                    _("已记录 %(n)s 名干部培训结业,转派出单位落实保障事项。")
                    % {"n": len(form.cleaned_data["dispatches"])},
                )
                return HttpResponseRedirect(reverse("dispatch:training_batch", args=[batch.pk]) + "#messages")
            return self.render_to_response(self.get_context_data(completion_form=form))
        return HttpResponseBadRequest()
