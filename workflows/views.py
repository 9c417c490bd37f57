"""Pages shared by every role: the home page of each post and the tier lists (R-O4)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q
from django.urls import path
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from viewflow.urls import Application, ReadonlyModelViewset

from workflows import selectors
from workflows.flows import open_tasks_for
from workflows.models import AuditEvent, Cadre, Township, Unit, Village
from workflows.permissions import VIEW_PERM_OF_TIER, granted_tier_pks, may_view
from workflows.text import join_list


def _has_any_view_grant(user) -> bool:
    if not (user and user.is_authenticated):
        return False
    granted = granted_tier_pks(user, VIEW_PERM_OF_TIER)
    return any(granted.values())


def _is_cadre(user) -> bool:
    return bool(user and user.is_authenticated) and Cadre.objects.filter(user=user).exists()


class HomeView(LoginRequiredMixin, TemplateView):
    """Each post the user holds gets a section with that post's work."""

    template_name = "workflows/home.html"

    @classmethod
    def url_pattern(cls):
        return path("", cls.as_view(), name="index")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        posts = selectors.active_posts_of(user)
        sections = []
        for post in posts:
            builder = getattr(self, f"_section_{post.role}")
            sections.append({"post": post, **builder(post)})
        cadre = Cadre.objects.select_related("unit").filter(user=user).first()
        if cadre is not None:
            from dispatch.models import Dispatch

            cadre.recent_dispatches = list(Dispatch.objects.filter(cadre=cadre).select_related(
                "village__township").order_by("-year", "-nominated_at")[:3])
        tasks = open_tasks_for(user, [import_string(path) for path in settings.WORKFLOW_FLOWS])
        context.update(sections=sections, cadre=cadre, has_role=bool(posts or cadre), tasks=tasks)
        return context

    def _section_org_dept(self, post):
        county = post.county
        villages = Village.objects.filter(township__county=county)
        return {
            "template": "workflows/home/org_dept.html",
            "villages": selectors.village_category_counts(villages),
            "counts": county.townships.aggregate(n=Count("pk")) | county.units.aggregate(
                n_units=Count("pk", distinct=True),
                n_cadres=Count("cadres", distinct=True),
                n_reserve=Count("cadres", filter=Q(cadres__is_reserve=True), distinct=True),
            ),
        }

    def _section_auditor(self, post):
        return {
            "template": "workflows/home/auditor.html",
            "event_count": AuditEvent.objects.count(),
            "events": selectors.recent_audit_events(10),
        }

    def _section_unit_head(self, post):
        unit = post.unit
        cadres = Cadre.objects.filter(unit=unit)
        return {
            "template": "workflows/home/unit.html",
            "counts": cadres.aggregate(
                total=Count("pk"),
                reserve=Count("pk", filter=Q(is_reserve=True)),
                key=Count("pk", filter=Q(is_key_cultivation=True)),
            ),
            "candidates": list(cadres.filter(Q(is_reserve=True) | Q(is_key_cultivation=True))[:10]),
        }

    _section_unit_deputy = _section_unit_head

    def _section_township_committee(self, post):
        villages = selectors.villages_with_income(Village.objects.filter(township=post.township))
        return {
            "template": "workflows/home/township.html",
            "villages": selectors.village_category_counts(Village.objects.filter(township=post.township)),
            "target_villages": list(villages.filter(selectors.target_village_filter())[:50]),
        }


class TierScopedViewset(ReadonlyModelViewset):
    """A read-only list and detail that shows only rows inside the user's tiers."""

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
    icon = "holiday_village"
    list_columns = ("code", "name", "township", "category_labels", "latest_own_income")
    list_search_fields = ["name", "code", "township__name"]
    list_filter_fields = ["township", "is_weak_leadership", "is_election_difficult", "is_old_revolutionary",
                          "is_ethnic_minority"]

    def scoped(self, user):
        return selectors.villages_for(user)

    def category_labels(self, obj):
        return join_list(c.label for c in obj.categories(own_income=obj.latest_own_income)) or "—"
    category_labels.short_description = _("类别")

    def latest_own_income(self, obj):
        if obj.latest_own_income is None:
            return "—"
        return f"{obj.latest_own_income:,.0f}({obj.latest_income_year})"
    latest_own_income.short_description = _("最近年度村集体自有收入(元)")


class CadreViewset(TierScopedViewset):
    model = Cadre
    icon = "badge"
    list_columns = ("name", "unit", "rank", "post_title", "is_reserve", "is_key_cultivation")
    list_search_fields = ["name", "unit__name"]
    list_filter_fields = ["unit", "is_reserve", "is_key_cultivation", "rank"]

    def scoped(self, user):
        return selectors.cadres_for(user)

    def has_view_permission(self, user, obj=None):
        if obj is None:
            return _has_any_view_grant(user) or _is_cadre(user)
        return may_view(user, obj)


class OrganisationApp(Application):
    title = _("组织架构")
    icon = "account_tree"
    app_name = "org"
    viewsets = [UnitViewset(), TownshipViewset(), VillageViewset(), CadreViewset()]

    def has_view_permission(self, user, obj=None):
        # Let anonymous visitors through to the views, whose login_required sends them to sign in.
        if not (user and user.is_authenticated):
            return True
        return _has_any_view_grant(user) or _is_cadre(user)



