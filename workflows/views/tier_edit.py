"""The org dept's edits of the tiers: units, townships, villages with their yearly income, cadres (R-O1–R-O3, R-X1).

Each page is reached from the 编辑 button on the record's page in 组织架构 (workflows.views.tiers), shown only to
the org dept of the record's county; anyone else is refused (403) here and by the service.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from workflows import services
from workflows.forms import (
    CadreEditForm,
    TownshipEditForm,
    UnitEditForm,
    VillageEditForm,
    VillageIncomeForm,
    show_service_error,
)
from workflows.models import Cadre, Township, Unit, Village
from workflows.permissions import tier_pks
from workflows.views.manage import ManagePage


class TierEditView(ManagePage, TemplateView):
    """Edit one record of a county the user administers through its service; other counties' records are refused."""

    template_name = "workflows/manage/tier_edit.html"
    model: type[models.Model]
    form_class: type[forms.Form]

    def get_object(self) -> Any:
        obj = get_object_or_404(self.model, pk=self.kwargs["pk"])
        if tier_pks(obj)["county"] not in self.counties:
            raise PermissionDenied(_("只有本县组织部可以修改本县的组织架构。"))
        return obj

    def make_form(self, obj, data=None) -> forms.Form:
        initial = {name: getattr(obj, name) for name in self.form_class.base_fields}
        return self.form_class(data, initial=initial)

    def save(self, obj, data: dict) -> None:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        obj = kwargs["object"]
        kwargs.setdefault("form", self.make_form(obj))
        kwargs.setdefault("back_url", obj.get_absolute_url())
        kwargs.setdefault("kind", self.model._meta.verbose_name)
        return super().get_context_data(**kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(object=self.get_object()))

    def run(self, form: forms.Form, call) -> bool:
        """Call the service with the form's data; a refusal goes onto the form and nothing is written."""
        if not form.is_valid():
            return False
        try:
            with transaction.atomic():
                call(form.cleaned_data)
        except ValidationError as error:
            show_service_error(form, error)
            return False
        return True

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        form = self.make_form(obj, request.POST)
        if not self.run(form, lambda data: self.save(obj, data)):
            return self.render_to_response(self.get_context_data(object=obj, form=form))
        if form.has_changed():
            messages.success(request, _("已保存 %(name)s 的修改。") % {"name": obj})
        else:
            messages.info(request, _("没有修改任何内容,未作记录。"))
        return HttpResponseRedirect(obj.get_absolute_url())


class UnitEditView(TierEditView):
    model, form_class = Unit, UnitEditForm

    def save(self, obj, data):
        services.unit_update(unit=obj, name=data["name"], code=data["code"], by=self.request.user)


class TownshipEditView(TierEditView):
    model, form_class = Township, TownshipEditForm

    def save(self, obj, data):
        services.township_update(township=obj, name=data["name"], kind=data["kind"], by=self.request.user)


class VillageEditView(TierEditView):
    """A village's name and recorded categories, and its collective income year by year (R-O3)."""

    model, form_class = Village, VillageEditForm
    template_name = "workflows/manage/tier_edit_village.html"

    def save(self, obj, data):
        services.village_update(village=obj, by=self.request.user, **data)

    def get_context_data(self, **kwargs):
        obj = kwargs["object"]
        kwargs.setdefault("income_form", VillageIncomeForm())
        return super().get_context_data(incomes=obj.incomes.order_by("-year"), **kwargs)

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") != "income":
            return super().post(request, *args, **kwargs)
        village = self.get_object()
        form = VillageIncomeForm(request.POST)
        saved = self.run(
            form,
            lambda data: services.village_income_set(
                village=village,
                year=data["year"],
                total_income=data["total_income"],
                subsidies=data["subsidies"],
                by=request.user,
            ),
        )
        if not saved:
            return self.render_to_response(self.get_context_data(object=village, income_form=form))
        year = form.cleaned_data["year"]
        message = _("已登记 %(village)s %(year)s 年度村集体收入。") % {"village": village, "year": year}
        messages.success(request, message)
        return HttpResponseRedirect(request.path)


class CadreEditView(TierEditView):
    model, form_class = Cadre, CadreEditForm

    def get_object(self):
        obj = super().get_object()
        return Cadre.objects.select_related("unit__county").get(pk=obj.pk)

    def make_form(self, obj, data=None):
        initial = {name: getattr(obj, name) for name in self.form_class.base_fields}
        return self.form_class(data, initial=initial, county=obj.unit.county)

    def save(self, obj, data):
        services.cadre_update(cadre=obj, by=self.request.user, **data)


urlpatterns = [
    path("units/<int:pk>/edit/", UnitEditView.as_view(), name="unit_edit"),
    path("townships/<int:pk>/edit/", TownshipEditView.as_view(), name="township_edit"),
    path("villages/<int:pk>/edit/", VillageEditView.as_view(), name="village_edit"),
    path("cadres/<int:pk>/edit/", CadreEditView.as_view(), name="cadre_edit"),
]
