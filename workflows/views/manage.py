"""The org dept's administration area (管理): posts, accounts, the import, lockouts and the policy numbers (R-X1).

Every page here is an `ManagePage`: it opens to whoever administers a county (the org dept holds
COORDINATE_COUNTY on it; a superuser administers every county) and acts only on those counties.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from workflows import selectors
from workflows.frame import AreaPage, NavLink
from workflows.models import County

#: The area's row of links; each page module below owns the pages one link names.
MANAGE_NAV = (
    NavLink(_("职务任免"), "manage:posts", testid="nav-posts"),
    NavLink(_("账号与激活码"), "manage:accounts", testid="nav-accounts"),
    NavLink(_("导入基础数据"), "manage:import", testid="nav-import"),
    NavLink(_("登录锁定"), "manage:lockouts", testid="nav-lockouts"),
    NavLink(_("政策参数"), "manage:policy", testid="nav-policy"),
)


def admits(user) -> bool:
    """Whether the area opens to the user: the org dept of a county, or a superuser (the menu asks it too)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or bool(selectors.coordinated_counties(user))


class ManagePage(AreaPage):
    """A page of the administration area: refused (403) to anyone who administers no county."""

    area = "manage"
    nav = MANAGE_NAV
    nav_class = "vc-orgnav"
    nav_label = _("县委组织部管理")
    refusal = _("只有县委组织部可以进行管理操作。")
    #: The counties the user administers, set before the page's handler runs.
    counties: list[int]

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if not admits(request.user):
                raise PermissionDenied(self.refusal)
            self.counties = selectors.coordinated_counties(request.user)
        return super().dispatch(request, *args, **kwargs)

    def county_queryset(self):
        return County.objects.filter(pk__in=self.counties).order_by("code")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counties"] = self.county_queryset()
        return context


class IndexView(ManagePage, RedirectView):
    """The area's index: its first page."""

    def get_redirect_url(self, *args, **kwargs):
        return reverse("manage:posts")


index_patterns = [path("", IndexView.as_view(), name="index")]
