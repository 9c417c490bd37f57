"""The home page: each post the user holds gets a section with that post's work, and their open tasks."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.generic import TemplateView

from appraisal.views import bulk as appraisal_bulk
from dispatch.models import Dispatch
from dispatch.views import bulk as dispatch_bulk
from leave.views import bulk as leave_bulk
from workflows import selectors
from workflows.duties import duties_for
from workflows.flows import open_tasks_for
from workflows.models import Cadre, Village

#: Each bulk page's link for the home page's task list, shown to whoever has two or more of its items waiting.
BULK_ENTRIES = (leave_bulk.bulk_entry, dispatch_bulk.bulk_entry, appraisal_bulk.bulk_entry)


class HomeView(LoginRequiredMixin, TemplateView):
    """Each post the user holds gets a section with that post's work."""

    template_name = "workflows/home.html"

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
            cadre.recent_dispatches = list(
                Dispatch.objects.filter(cadre=cadre)
                .select_related("village__township")
                .order_by("-year", "-nominated_at")[:3]
            )
        tasks = open_tasks_for(user, [import_string(path) for path in settings.WORKFLOW_FLOWS])
        context.update(
            sections=sections,
            cadre=cadre,
            has_role=bool(posts or cadre),
            tasks=tasks,
            bulk_links=[entry for entry in (bulk_entry(user) for bulk_entry in BULK_ENTRIES) if entry],
            duties=duties_for(user, today=timezone.localdate()),
        )
        return context

    def _section_org_dept(self, post):
        county = post.county
        villages = Village.objects.filter(township__county=county)
        return {
            "template": "workflows/home/org_dept.html",
            "villages": selectors.village_category_counts(villages),
            "counts": county.townships.aggregate(n=Count("pk"))
            | county.units.aggregate(
                n_units=Count("pk", distinct=True),
                n_cadres=Count("cadres", distinct=True),
                n_reserve=Count("cadres", filter=Q(cadres__is_reserve=True), distinct=True),
            ),
        }

    def _section_auditor(self, post):
        events = selectors.audit_events_for(post.user, [post.county_id])
        return {
            "template": "workflows/home/auditor.html",
            "event_count": events.count(),
            "events": selectors.recent_audit_events(events, 10),
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
