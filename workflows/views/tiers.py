"""Pages shared by every role: the tier lists (R-O4) and the area index every area builds on."""

from __future__ import annotations

import datetime
import unicodedata
from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from django_filters import ModelChoiceFilter
from viewflow.urls import Application, ReadonlyModelViewset
from viewflow.utils import get_object_data
from viewflow.views.base import Action
from viewflow.views.detail import DetailModelView
from viewflow.views.list import ListModelView, ModelFieldColumn

from workflows import selectors
from workflows.exports import Column, Table, export_response, file_name, wanted_format
from workflows.models import Cadre, Township, Unit, Village, income_categories
from workflows.permissions import (
    COORDINATE_COUNTY,
    VIEW_PERM_OF_TIER,
    granted_tier_pks,
    may,
    may_view,
    sees_personal_identifiers,
)
from workflows.text import join_list, mask_id_number, mask_phone, yes_no


def _has_any_view_grant(user) -> bool:
    if not (user and user.is_authenticated):
        return False
    granted = granted_tier_pks(user, VIEW_PERM_OF_TIER)
    return any(granted.values())


def _is_cadre(user) -> bool:
    return bool(user and user.is_authenticated) and Cadre.objects.filter(user=user).exists()


class LandingRedirectView(LoginRequiredMixin, RedirectView):
    """An area's index: the first of its pages the user may open; the menu shows the area only when there is one.

    `landing(user)` gives that page's URL name, or None. It is the one answer to "may this user open the area?":
    the site's menu asks it (`project.site`), and this view follows it or refuses.
    """

    refusal = _("您没有可以打开的页面。")

    @staticmethod
    def landing(user) -> str | None:
        raise NotImplementedError

    def get_redirect_url(self, *args, **kwargs):
        name = self.landing(self.request.user)
        if name is None:
            raise PermissionDenied(self.refusal)
        return reverse(name)


def _display_width(text: str) -> int:
    """Characters a spreadsheet column needs for the text: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _kind_of(values: list) -> str:
    """The export column kind of a list's values, from the first one given."""
    value = next((v for v in values if v not in (None, "")), None)
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int):
        return "int"
    if isinstance(value, (Decimal, float)):
        return "decimal"
    if isinstance(value, datetime.datetime):
        return "datetime"
    if isinstance(value, datetime.date):
        return "date"
    return "text"


class YesNoColumn(ModelFieldColumn):
    """A yes/no field of a list, read as 是 or 否 (viewflow draws a tick or a cross icon)."""

    def column_type(self):
        return "text"

    def format_value(self, obj, value):
        return "" if value is None else yes_no(value)


def _shown_value(viewset, user, obj, name: str, value):
    """A field's value as this user may read it: yes/no in words, personal identifiers masked unless allowed."""
    masks = getattr(viewset, "masked_fields", {})
    if name in masks and value and not viewset.reveals_identifiers(user, obj):
        return masks[name](value)
    if isinstance(value, bool):
        return yes_no(value)
    return value


class TierDetailView(DetailModelView):
    """viewflow's detail of a tier record, with yes/no in words and personal identifiers masked (R-O4)."""

    def get_object_data(self):
        for field, label, value in get_object_data(self.object):
            yield field, label, _shown_value(self.viewset, self.request.user, self.object, field.name, value)


class TierListView(ListModelView):
    """viewflow's list of a tier, which also answers `?format=xlsx|csv` with the rows it lists (R-O4).

    The rows are the list's own queryset, filtered, searched and ordered as on the page, every page of them; the
    columns are the list's, or the viewset's `export_columns`, each value through `export_<column>` when the
    viewset has one (a number where the page shows formatted text).
    """

    template_name = "workflows/tier_list.html"

    def get_filterset(self, filterset_class, queryset):
        """Offer in each related filter only what the user's own rows hold: never another tier's names (R-O4)."""
        filterset = super().get_filterset(filterset_class, queryset)
        for field_filter in filterset.filters.values():
            if isinstance(field_filter, ModelChoiceFilter):
                related = field_filter.queryset.model
                field_filter.queryset = related._default_manager.filter(
                    pk__in=queryset.order_by().values(field_filter.field_name)
                )
        return filterset

    def is_strict_filter(self):
        # A filter value the page does not offer (another tier's unit, say) lists nothing, not every row.
        return self.filterset.is_bound

    def get(self, request, *args, **kwargs):
        fmt = wanted_format(request)
        if fmt is None:
            return super().get(request, *args, **kwargs)
        title = self.model._meta.verbose_name_plural
        return export_response(fmt, self.export_table(str(title)), file_name(title, timezone.localdate()))

    def get_column_def(self, attr_name):
        column = super().get_column_def(attr_name)
        if type(column) is ModelFieldColumn and isinstance(column.model_field, models.BooleanField):
            return YesNoColumn(column.model_field)
        return column

    def export_value(self, obj, column):
        exporter = getattr(self.viewset, f"export_{column.attr_name}", None)
        if exporter is not None:
            return exporter(obj)
        value = column.get_value(obj)
        if isinstance(column, ModelFieldColumn) and column.model_field.flatchoices:
            return dict(column.model_field.flatchoices).get(value, value)
        if isinstance(value, models.Model):
            return str(value)
        # Exports follow the page: the same words for yes/no, the same masking (R-O4).
        return _shown_value(self.viewset, self.request.user, obj, column.attr_name, value)

    def export_table(self, title: str) -> Table:
        names = getattr(self.viewset, "export_columns", None) or self.get_columns()
        columns = [self.get_column_def(name) for name in names]
        rows = [[self.export_value(obj, column) for column in columns] for obj in self.get_queryset()]
        table = Table(title, [])
        for index, column in enumerate(columns):
            values = [row[index] for row in rows]
            kind = _kind_of(values)
            widest = max((_display_width(str(v)) for v in values if kind == "text"), default=0)
            width = {"date": 12, "datetime": 17}.get(kind, min(max(widest + 2, 8), 40))
            table.columns.append(Column(str(column.header()), width, kind))
        table.rows = rows
        return table


class TierScopedViewset(ReadonlyModelViewset):
    """A read-only list and detail that shows only rows inside the user's tiers."""

    list_view_class = TierListView
    detail_view_class = TierDetailView
    #: The org dept's edit page of a record (workflows.views.tier_edit), offered on its detail to those who may edit.
    edit_url_name = ""

    def get_detail_page_object_actions(self, request, obj, *actions):
        actions = super().get_detail_page_object_actions(request, obj, *actions)
        if self.edit_url_name and may(request.user, COORDINATE_COUNTY, obj):
            actions = (Action(_("编辑"), url=reverse(self.edit_url_name, args=[obj.pk])), *actions)
        return actions

    def get_queryset(self, request):
        return self.scoped(request.user)

    def scoped(self, user):
        raise NotImplementedError

    def has_view_permission(self, user, obj=None):
        if obj is None:
            return _has_any_view_grant(user)
        return may_view(user, obj)

    def get_object_url(self, request, obj):
        # Rows of the list are already scoped to the user's tiers: link without a permission query per row.
        return self.reverse("detail", args=[obj.pk])


class UnitViewset(TierScopedViewset):
    model = Unit
    edit_url_name = "manage:unit_edit"
    icon = "account_balance"
    list_columns = ("code", "name", "cadre_count", "reserve_count")
    list_search_fields = ["name", "code"]

    def scoped(self, user):
        return selectors.units_for(user)

    def cadre_count(self, obj):
        return obj.cadre_count

    cadre_count.short_description = _("干部数")

    def reserve_count(self, obj):
        return obj.reserve_count

    reserve_count.short_description = _("后备干部数")


class TownshipViewset(TierScopedViewset):
    model = Township
    edit_url_name = "manage:township_edit"
    icon = "location_city"
    list_columns = ("code", "name", "kind", "village_count")
    list_search_fields = ["name", "code"]

    def scoped(self, user):
        return selectors.townships_for(user)

    def village_count(self, obj):
        return obj.village_count

    village_count.short_description = _("行政村数")


class VillageViewset(TierScopedViewset):
    model = Village
    edit_url_name = "manage:village_edit"
    icon = "holiday_village"
    list_columns = ("code", "name", "township", "category_labels", "latest_own_income")
    list_search_fields = ["name", "code", "township__name"]
    list_filter_fields = [
        "township",
        "is_weak_leadership",
        "is_election_difficult",
        "is_old_revolutionary",
        "is_ethnic_minority",
    ]

    def scoped(self, user):
        return selectors.villages_for(user)

    export_columns = (*list_columns, "income_year")

    def category_labels(self, obj):
        # From the annotated income: a village with no income record must not cost a query of its own.
        categories = obj.recorded_categories() + income_categories(obj.latest_own_income)
        return join_list(c.label for c in categories) or "—"

    category_labels.short_description = _("类别")

    def latest_own_income(self, obj):
        if obj.latest_own_income is None:
            return "—"
        return f"{obj.latest_own_income:,.0f}({obj.latest_income_year})"

    latest_own_income.short_description = _("最近年度村集体自有收入(元)")

    def export_latest_own_income(self, obj):
        return obj.latest_own_income

    def income_year(self, obj):
        return obj.latest_income_year

    income_year.short_description = _("年度")


class CadreViewset(TierScopedViewset):
    model = Cadre
    edit_url_name = "manage:cadre_edit"
    icon = "badge"
    list_columns = ("name", "unit", "rank", "post_title", "is_reserve", "is_key_cultivation")
    list_search_fields = ["name", "unit__name"]
    list_filter_fields = ["unit", "is_reserve", "is_key_cultivation", "rank"]

    #: Personal identifiers shown in full only to the org dept (R-O4), on the page and in exports alike.
    masked_fields = {"id_number": mask_id_number, "phone": mask_phone}

    def scoped(self, user):
        return selectors.cadres_for(user)

    def reveals_identifiers(self, user, obj) -> bool:
        return sees_personal_identifiers(user, obj)

    def has_view_permission(self, user, obj=None):
        if obj is None:
            return _has_any_view_grant(user) or _is_cadre(user)
        return may_view(user, obj)


class OrganisationApp(Application):
    title = _("组织架构")
    icon = "account_tree"
    app_name = "org"
    viewsets = [UnitViewset(), TownshipViewset(), VillageViewset(), CadreViewset()]

    def landing(self, user) -> str | None:
        """The first list the user may read: the units for a tier's reader, their own record for a cadre."""
        for viewset in self.viewsets:
            if viewset.has_view_permission(user):
                return f"org:{viewset.app_name}:index"
        return None

    @property
    def index_path(self):
        app = self

        class OrganisationIndex(LandingRedirectView):
            refusal = _("您无权查看组织架构。")

            @staticmethod
            def landing(user):
                return app.landing(user)

        return path("", OrganisationIndex.as_view(), name="index")

    def in_menu_for(self, user) -> bool:
        return self.landing(user) is not None

    def has_view_permission(self, user, obj=None):
        # Let anonymous visitors through to the views, whose login_required sends them to sign in.
        if not (user and user.is_authenticated):
            return True
        return _has_any_view_grant(user) or _is_cadre(user)
