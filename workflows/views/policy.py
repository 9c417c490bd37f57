"""The policy numbers page (政策参数): read-only, each number with its rule, meaning and source (R-X1)."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView

from workflows.policy import policy_table
from workflows.views.manage import ManagePage


class PolicyView(ManagePage, TemplateView):
    """Every policy number in force, its default, whether the environment overrides it, and where it comes from."""

    template_name = "workflows/manage/policy.html"
    nav_name = "manage:policy"

    def get_context_data(self, **kwargs):
        return super().get_context_data(rows=policy_table(), **kwargs)


urlpatterns = [path("policy/", PolicyView.as_view(), name="policy")]
