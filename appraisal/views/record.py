"""A cadre's record: stationing experience and grades, "may they be promoted on D?", the certificate (R-A3, R-A4)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from appraisal import selectors
from appraisal.forms import PromotionQueryForm, PromotionSearchForm
from appraisal.pdf import CertificateData, ExperienceRow, PdfFontMissing, certificate_pdf
from workflows.audit import audit_record, register_actions
from workflows.models import Cadre, User
from workflows.permissions import VIEW_COUNTY, granted_tier_pks, may, may_view, visible_to
from workflows.widgets import DateInput

register_actions({"certificate.issue": _("出具驻村工作经历证明")})

#: Most cadres one promotion search answers for; a name that matches more asks for a fuller name.
SEARCH_LIMIT = 20


# --- Who may see what ------------------------------------------------------------------------------


def _county_pks(user: User) -> list[int]:
    return granted_tier_pks(user, {"county": VIEW_COUNTY})["county"]


def may_certify(user: User | None, cadre: Cadre) -> bool:
    """The cadre themselves and the county's readers (org dept, auditor) may have the certificate (R-A4)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return cadre.user_id == user.pk or may(user, VIEW_COUNTY, cadre)


def _cadre_for(user: User, cadre_pk: int) -> Cadre:
    cadre = get_object_or_404(Cadre.objects.select_related("unit__county"), pk=cadre_pk)
    if not may_view(user, cadre):
        raise PermissionDenied(_("您无权查看该干部的记录。"))
    return cadre


# --- What the record says --------------------------------------------------------------------------


def certificate_data(cadre: Cadre, rows: list[selectors.Experience], *, issued_on: datetime.date) -> CertificateData:
    county = cadre.unit.county.name
    graded = [e for e in rows if e.grade]
    # Numbered after the latest appraised term (the latest ended one when none was appraised).
    numbered = max(graded or rows, key=lambda e: (e.starts_on, e.dispatch.pk)).dispatch
    number = gettext("%(initial)s组驻证〔%(year)s〕第%(number)s号") % {
        "initial": county[:1],
        "year": issued_on.year,
        "number": f"{numbered.pk:04d}",
    }
    return CertificateData(
        number=number,
        cadre_name=cadre.name,
        gender=cadre.get_gender_display(),
        birth_date=cadre.birth_date,
        unit=cadre.unit.name,
        post_title=cadre.post_title,
        rows=tuple(
            ExperienceRow(
                village=e.dispatch.village.name,
                township=e.dispatch.village.township.name,
                unit=e.dispatch.unit.name,
                starts_on=e.starts_on,
                ends_on=e.ends_on,
                days_in_village=e.days_in_village,
                grade=e.grade_label,
            )
            for e in rows
        ),
        total_days_in_village=sum(e.days_in_village for e in rows),
        issuer=gettext("中共%(county)s委组织部") % {"county": county},
        issued_on=issued_on,
    )


def _date_query_form(
    form_class: type[forms.Form], request: HttpRequest, *, bound_by: str, today: datetime.date
) -> forms.Form:
    data = None
    if bound_by in request.GET:
        data = request.GET.copy()
        data["on"] = data.get("on") or today.isoformat()
    form = form_class(data, initial={"on": today})
    # A browser's date field takes only ISO dates; the Chinese locale would write 2026/11/26 and show it empty.
    form.fields["on"].widget = DateInput()
    return form


# --- Pages -----------------------------------------------------------------------------------------


def _record_page(request: HttpRequest, cadre: Cadre, *, own: bool) -> HttpResponse:
    today = timezone.localdate()
    form = _date_query_form(PromotionQueryForm, request, bound_by="on", today=today)
    on = form.cleaned_data["on"] if form.is_bound and form.is_valid() else today
    experience = selectors.experience_of(cadre)
    context = {
        "page_title": gettext("我的驻村工作经历") if own else gettext("%(name)s 的驻村工作经历") % {"name": cadre.name},
        "cadre": cadre,
        "own": own,
        "experience": experience,
        "total_days_in_village": sum(e.days_in_village for e in experience),
        "span": selectors.stationing_span(experience, today=today),
        "form": form,
        "on": on,
        "answer": selectors.may_be_promoted(cadre, on=on),
        "can_certify": may_certify(request.user, cadre),
        "certifiable": bool(selectors.certified(experience)),
        "county_reader": bool(_county_pks(request.user)),
    }
    return render(request, "appraisal/record/record.html", context)


class MyRecordView(LoginRequiredMixin, View):
    """The signed-in cadre's own stationing experience, grades and promotion answer (R-A3, R-A4)."""

    def get(self, request, *args, **kwargs):
        cadre = Cadre.objects.select_related("unit__county").filter(user=request.user).first()
        if cadre is None:
            if _county_pks(request.user):
                return HttpResponseRedirect(reverse("appraisal:promotion"))
            raise PermissionDenied(_("只有干部本人有驻村工作经历记录。"))
        return _record_page(request, cadre, own=True)


class CadreRecordView(LoginRequiredMixin, View):
    """One cadre's record, for those who may view the cadre: their unit, the county, themselves (R-A3, R-A4)."""

    def get(self, request, cadre_pk: int, *args, **kwargs):
        cadre = _cadre_for(request.user, cadre_pk)
        return _record_page(request, cadre, own=cadre.user_id == request.user.pk)


class PromotionView(LoginRequiredMixin, View):
    """The county's readers ask "may this cadre be promoted on D?" by name and get the answer with its reason (R-A3)."""

    def get(self, request, *args, **kwargs):
        counties = _county_pks(request.user)
        if not counties:
            raise PermissionDenied(_("只有县委组织部和审计人员可以查询干部能否提拔。"))
        today = timezone.localdate()
        form = _date_query_form(PromotionSearchForm, request, bound_by="name", today=today)
        results, more, on = [], False, today
        if form.is_bound and form.is_valid():
            on = form.cleaned_data["on"]
            cadres = list(
                visible_to(request.user, Cadre.objects.select_related("unit"))
                .filter(unit__county_id__in=counties, name__contains=form.cleaned_data["name"].strip())
                .order_by("name", "pk")[: SEARCH_LIMIT + 1]
            )
            more = len(cadres) > SEARCH_LIMIT
            results = [(cadre, selectors.may_be_promoted(cadre, on=on)) for cadre in cadres[:SEARCH_LIMIT]]
        context = {
            "page_title": gettext("干部能否提拔查询"),
            "form": form,
            "results": results,
            "more": more,
            "on": on,
            "searched": form.is_bound,
            "limit": SEARCH_LIMIT,
        }
        return render(request, "appraisal/record/promotion.html", context)


@method_decorator(never_cache, name="dispatch")
class CertificateView(LoginRequiredMixin, View):
    """The certificate of stationing as a PDF, for the cadre and the county's readers; each one is audited (R-A4)."""

    def get(self, request, cadre_pk: int, *args, **kwargs):
        cadre = get_object_or_404(Cadre.objects.select_related("unit__county"), pk=cadre_pk)
        if not may_certify(request.user, cadre):
            raise PermissionDenied(_("只有干部本人和县委组织部可以出具驻村工作经历证明。"))
        rows = selectors.certified(selectors.experience_of(cadre))
        back = reverse("appraisal:cadre_record", args=[cadre.pk])
        if not rows:
            return self._message(
                request,
                cadre,
                back,
                gettext("%(name)s 还没有已结束或已考核的驻村经历,暂不能出具驻村工作经历证明。") % {"name": cadre.name},
            )
        data = certificate_data(cadre, rows, issued_on=timezone.localdate())
        try:
            pdf = certificate_pdf(data)
        except PdfFontMissing as error:
            return self._message(request, cadre, back, str(error), status=503)
        audit_record(
            action="certificate.issue",
            actor=request.user,
            obj=cadre,
            data={
                "cadre": cadre.name,
                "number": data.number,
                "terms": len(rows),
                "days_in_village": data.total_days_in_village,
            },
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = gettext("驻村工作经历证明-%(name)s.pdf") % {"name": cadre.name}
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response

    def _message(self, request: HttpRequest, cadre: Cadre, back: str, message: str, *, status: int = 200):
        context = {"page_title": gettext("驻村工作经历证明"), "cadre": cadre, "message": message, "back": back}
        return render(request, "appraisal/record/certificate_message.html", context, status=status)
