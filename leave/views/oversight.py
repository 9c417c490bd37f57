"""Pages of oversight: unit leaders' visits (R-M5), the org dept's inspections and circulars (R-M6), by tier (R-O4)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from dispatch.models import Dispatch, DispatchState
from leave import exports
from leave import forms as leave_forms
from leave.models import Circular, Inspection, InspectionKind
from leave.selectors import oversight as oversight_selectors
from leave.services import oversight as oversight_services
from workflows.exports import ExportMixin, file_name
from workflows.frame import AreaPage, NavLink
from workflows.models import County, Township, Unit
from workflows.permissions import (
    COORDINATE_COUNTY,
    NOMINATE_CADRES,
    VIEW_COUNTY,
    VIEW_UNIT,
    acting_on,
    granted_tier_pks,
    may,
    may_view,
    visible_to,
)
from workflows.policy import policy
from workflows.taskviews import ServiceFormView, add_service_errors


class OversightPage(AreaPage):
    """The frame of these pages: links to the ones the user may open, and messages kept on the page."""

    area = "oversight"
    nav_class = "vc-ovnav"
    nav_label = gettext_lazy("驻村干部监督")
    nav_min_links = 2
    nav = [
        NavLink(gettext_lazy("到村调研"), "leave:visits", visible=lambda page: bool(page.grants["unit"])),
        NavLink(
            gettext_lazy("单位领导调研情况"), "leave:visits_overview", visible=lambda page: bool(page.grants["county"])
        ),
        NavLink(gettext_lazy("明查暗访"), "leave:inspections", visible=lambda page: bool(page.grants["county"])),
        NavLink(
            gettext_lazy("通报"),
            "leave:circulars",
            visible=lambda page: bool(page.grants["unit"] or page.grants["county"]),
        ),
    ]

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.grants = granted_tier_pks(request.user, {"county": VIEW_COUNTY, "unit": VIEW_UNIT})
        self.check_access(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def check_access(self, request, *args, **kwargs) -> None:
        """Raise PermissionDenied when the user is outside the page's tier (R-O4)."""


def _county_for(request, perm: str | None = None) -> County:
    """The county the page is about (`?county=` or the user's); 403 when the user holds nothing on it."""
    counties = County.objects.order_by("code")
    counties = acting_on(request.user, perm, counties) if perm else visible_to(request.user, counties)
    wanted = request.GET.get("county", "")
    county = (counties.filter(pk=wanted) if wanted.isdigit() else counties).first()
    if county is None:
        raise PermissionDenied(_("只有县委组织部可以进行此操作。") if perm else _("您无权查看此页面。"))
    return county


# --- Visits (R-M5) --------------------------------------------------------------------------------


class VisitsView(OversightPage, TemplateView):
    """A unit's stationed cadres with the head's and the deputy's visit windows; the unit records visits (R-M5)."""

    nav_name = "leave:visits"
    template_name = "leave/oversight/visits.html"

    def check_access(self, request, *args, **kwargs) -> None:
        user = request.user
        units = visible_to(user, Unit.objects.select_related("county").order_by("code"))
        wanted = request.GET.get("unit", "")
        if wanted:
            self.unit = units.filter(pk=wanted).first() if wanted.isdigit() else None
        else:
            self.unit = acting_on(user, NOMINATE_CADRES, units).first() or units.first()
        if self.unit is None:
            raise PermissionDenied(_("您无权查看该单位的到村调研情况。"))
        self.units = units
        # The county's readers come here from the overview, which stays their current link.
        self.nav_name = "leave:visits" if self.grants["unit"] else "leave:visits_overview"
        self.can_record = may(user, NOMINATE_CADRES, self.unit)
        if request.method == "POST" and not self.can_record:
            raise PermissionDenied(_("只有本单位可以登记到村调研。"))

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        rows = oversight_selectors.visit_board(unit=self.unit, on=today)
        visits = sorted((v for row in rows for v in row.visits), key=lambda v: (v.visited_on, v.pk), reverse=True)
        dispatch_of = {row.dispatch.pk: row.dispatch for row in rows}
        for visit in visits:
            visit.dispatch = dispatch_of[visit.dispatch_id]
        if self.can_record:
            kwargs.setdefault(
                "form",
                leave_forms.VisitForm(unit=self.unit, initial={"visited_on": today, "visitor": self.request.user.pk}),
            )
        unit_list = list(self.units)
        unit_list = unit_list if len(unit_list) > 1 else []
        return super().get_context_data(
            unit=self.unit,
            units=unit_list,
            rows=rows,
            visits=visits,
            today=today,
            can_record=self.can_record,
            missing=sum(1 for row in rows for w in row.flagged if w.status == oversight_selectors.WindowStatus.MISSING),
            due=sum(1 for row in rows for w in row.flagged if w.status == oversight_selectors.WindowStatus.DUE),
            rules={
                "head": policy("UNIT_HEAD_MIN_VISITS_PER_TERM"),
                "months": policy("DEPUTY_VISIT_INTERVAL_MONTHS"),
                "warning": policy("VISIT_WARNING_DAYS"),
            },
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = leave_forms.VisitForm(request.POST, unit=self.unit)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    visit = oversight_services.visit_record(
                        dispatch=data["dispatch"],
                        visitor=data["visitor"],
                        visited_on=data["visited_on"],
                        notes=data["notes"],
                        by=request.user,
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                text = _("已登记:%(visitor)s %(date)s 到%(village)s调研,听取驻村干部%(cadre)s汇报。")
                messages.success(
                    request,
                    text
                    % {
                        "visitor": visit.visitor,
                        "date": visit.visited_on.isoformat(),
                        "village": visit.dispatch.village.name,
                        "cadre": visit.dispatch.cadre.name,
                    },
                )
                return HttpResponseRedirect(f"{reverse('leave:visits')}?unit={self.unit.pk}")
        return self.render_to_response(self.get_context_data(form=form))


class VisitsOverviewView(ExportMixin, OversightPage, TemplateView):
    """The county's stationed cadres whose leaders' visit is due or missing, for the org dept (R-M5)."""

    nav_name = "leave:visits_overview"
    template_name = "leave/oversight/visits_overview.html"

    def check_access(self, request, *args, **kwargs) -> None:
        self.county = _county_for(request)

    def export_tables(self, request, *args, **kwargs):
        context = self.overview(timezone.localdate())
        status = context["status"]
        label = (
            oversight_selectors.WindowStatus.LABELS[status]
            if status in oversight_selectors.WindowStatus.FLAGGED
            else ""
        )
        return (
            exports.visits_overview(context["flagged"], context["units"]),
            file_name(_("单位领导调研情况"), label, context["today"]),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **self.overview(timezone.localdate()),
            warning=policy("VISIT_WARNING_DAYS"),
            months=policy("DEPUTY_VISIT_INTERVAL_MONTHS"),
            **kwargs,
        )

    def overview(self, today) -> dict:
        """The page's rows: the flagged windows (of the status asked for), and their counts by status and unit."""
        rows = oversight_selectors.visits_flagged(county=self.county, on=today)
        flagged = [(row, window) for row in rows for window in row.flagged]
        status = self.request.GET.get("status", "")
        counts = {s: sum(1 for _row, w in flagged if w.status == s) for s in oversight_selectors.WindowStatus.FLAGGED}
        if status in oversight_selectors.WindowStatus.FLAGGED:
            flagged = [(row, w) for row, w in flagged if w.status == status]
        flagged.sort(
            key=lambda item: (
                item[1].status != oversight_selectors.WindowStatus.MISSING,
                item[0].dispatch.unit.code,
                item[1].ends_on,
                item[0].dispatch.cadre.name,
            )
        )
        by_unit: dict[int, dict] = {}
        for row, window in flagged:
            unit = row.dispatch.unit
            entry = by_unit.setdefault(unit.pk, {"unit": unit, "missing": 0, "due": 0})
            entry[window.status] += 1
        units = sorted(by_unit.values(), key=lambda e: (-e["missing"], -e["due"], e["unit"].code))
        return {
            "county": self.county,
            "today": today,
            "flagged": flagged,
            "counts": counts,
            "units": units,
            "status": status,
        }


# --- Inspections (R-M6) ---------------------------------------------------------------------------


class InspectionsView(ExportMixin, OversightPage, TemplateView):
    """The county's inspections, newest first, with how many cadres were found present and absent (R-M6)."""

    nav_name = "leave:inspections"
    template_name = "leave/oversight/inspections.html"

    def check_access(self, request, *args, **kwargs) -> None:
        self.county = _county_for(request)

    def inspections(self):
        return oversight_selectors.inspections_for(self.request.user).filter(county=self.county)

    def export_tables(self, request, *args, **kwargs):
        return exports.inspections(self.inspections()), file_name(_("明查暗访"), timezone.localdate())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            county=self.county,
            inspections=self.inspections(),
            can_coordinate=may(self.request.user, COORDINATE_COUNTY, self.county),
            **kwargs,
        )


class InspectionCreateView(OversightPage, TemplateView):
    """The org dept records an inspection of one township's stationed cadres (R-M6, R-M3)."""

    nav_name = "leave:inspections"
    template_name = "leave/oversight/inspection_form.html"

    def check_access(self, request, *args, **kwargs) -> None:
        self.county = _county_for(request, COORDINATE_COUNTY)
        stationed = Count("villages__dispatches", filter=Q(villages__dispatches__state=DispatchState.STATIONED))
        self.townships = list(
            Township.objects.filter(county=self.county).annotate(stationed=stationed).order_by("code")
        )
        wanted = request.GET.get("township", "")
        self.township = next((t for t in self.townships if str(t.pk) == wanted), None)
        if wanted and self.township is None:
            raise PermissionDenied(_("只能检查本县的乡镇。"))
        if self.township is None:
            self.township = next(
                (t for t in self.townships if t.stationed), self.townships[0] if self.townships else None
            )
        self.dispatches = list(
            Dispatch.objects.filter(state=DispatchState.STATIONED, village__township=self.township)
            .select_related("cadre", "unit", "village")
            .order_by("village__code", "cadre__name")
        )

    def get_context_data(self, **kwargs):
        kwargs.setdefault(
            "form",
            leave_forms.InspectionForm(
                dispatches=self.dispatches,
                initial={"inspected_on": timezone.localdate(), "kind": InspectionKind.UNANNOUNCED},
            ),
        )
        return super().get_context_data(county=self.county, townships=self.townships, township=self.township, **kwargs)

    def post(self, request, *args, **kwargs):
        form = leave_forms.InspectionForm(request.POST, dispatches=self.dispatches)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    inspection = oversight_services.inspection_record(
                        county=self.county,
                        kind=data["kind"],
                        inspected_on=data["inspected_on"],
                        notes=data["notes"],
                        findings=form.findings(),
                        by=request.user,
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                findings = form.findings()
                absent = sum(1 for _d, present, _n in findings if not present)
                messages.success(
                    request,
                    _("已登记明查暗访:在岗 %(present)s 名,不在岗 %(absent)s 名,其中记为缺勤 %(written)s 名。")
                    % {"present": len(findings) - absent, "absent": absent, "written": len(inspection.ledger_written)},
                )
                names = {d.pk: d.cadre.name for d in self.dispatches}
                for pk, why in inspection.ledger_skipped.items():
                    messages.warning(request, f"{names[pk]}:{why}")
                return HttpResponseRedirect(reverse("leave:inspection", args=[inspection.pk]))
        return self.render_to_response(self.get_context_data(form=form))


class InspectionDetailView(OversightPage, TemplateView):
    """One inspection: each cadre found present or absent, and the day's status in the ledger (R-M6, R-M3)."""

    nav_name = "leave:inspections"
    template_name = "leave/oversight/inspection_detail.html"

    def check_access(self, request, *args, **kwargs) -> None:
        self.inspection = get_object_or_404(Inspection.objects.select_related("county", "recorded_by"), pk=kwargs["pk"])
        if not may_view(request.user, self.inspection):
            raise PermissionDenied(_("您无权查看此页面。"))

    def get_context_data(self, **kwargs):
        findings = oversight_selectors.inspection_findings(self.inspection)
        return super().get_context_data(
            inspection=self.inspection, findings=findings, n_absent=sum(1 for f in findings if not f.present), **kwargs
        )


# --- Circulars (R-M6) -----------------------------------------------------------------------------


class CircularsView(OversightPage, TemplateView):
    """Circulars: the org dept and the auditor see all, a unit's leaders those naming their unit (R-M6, R-O4)."""

    nav_name = "leave:circulars"
    template_name = "leave/oversight/circulars.html"

    def check_access(self, request, *args, **kwargs) -> None:
        if not (self.grants["county"] or self.grants["unit"]):
            raise PermissionDenied(_("您无权查看通报。"))

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            circulars=oversight_selectors.circulars_for(user),
            county_reader=bool(self.grants["county"]),
            can_issue=acting_on(user, COORDINATE_COUNTY, County.objects.all()).exists(),
            **kwargs,
        )


class CircularCreateView(OversightPage, ServiceFormView):
    """The org dept issues a circular naming units (R-M6)."""

    form_class = leave_forms.CircularForm
    nav_name = "leave:circulars"
    template_name = "leave/oversight/circular_form.html"
    page_title = gettext_lazy("印发通报")

    def check_access(self, request, *args, **kwargs) -> None:
        self.county = _county_for(request, COORDINATE_COUNTY)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "county": self.county}

    def get_initial(self):
        return {"issued_on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(county=self.county, **kwargs)

    def perform(self, form):
        circular = oversight_services.circular_issue(county=self.county, by=self.request.user, **form.cleaned_data)
        self.success_message = _("已印发通报「%(title)s」。") % {"title": circular.title}
        return circular

    def get_success_url(self):
        return reverse("leave:circular", args=[self.result.pk])


class CircularDetailView(OversightPage, TemplateView):
    """One circular, for the county's readers and the leaders of the units it names (R-M6)."""

    nav_name = "leave:circulars"
    template_name = "leave/oversight/circular_detail.html"

    def check_access(self, request, *args, **kwargs) -> None:
        circular = oversight_selectors.circulars_for(request.user).filter(pk=kwargs["pk"]).first()
        if circular is None:
            get_object_or_404(Circular, pk=kwargs["pk"])
            raise PermissionDenied(_("您无权查看此通报。"))
        self.circular = circular

    def get_context_data(self, **kwargs):
        return super().get_context_data(circular=self.circular, **kwargs)
