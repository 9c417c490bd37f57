"""The viewflow frontend site: one application per area, each showing only what the user may see.

The menu lists an area only to someone its index page lets in: each area's `opens_for` is that page's own check
(`admits`, or the `landing` its index redirects to), never a second list of who sees what. It decides the menu only:
each page still refuses (and audits the refusal) by itself, as viewflow's SiteMiddleware would not.
"""

from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site

from appraisal import urls as appraisal_urls
from appraisal.flows import AppraisalFlow
from appraisal.views import org as appraisal_views
from dispatch import urls as dispatch_urls
from dispatch.flows import DispatchFlow, RecallFlow
from leave import urls as leave_urls
from leave.flows import LeaveFlow
from leave.views import attendance as leave_views
from overview import urls as overview_urls
from overview.views import tasks as tasks_views
from overview.views.dashboard import DashboardView
from workflows import urls as workflows_urls
from workflows.flows import TierFlowViewset
from workflows.views import audit as audit_views
from workflows.views import manage as manage_views
from workflows.views.tiers import OrganisationApp


class Area(Application):
    """An area of the site, listed in the menu to those its index page opens for."""

    #: The index page's own check, `user -> bool`; None: everyone signed in.
    opens_for = None

    def in_menu_for(self, user) -> bool:
        return bool(user and user.is_authenticated) and (self.opens_for is None or bool(self.opens_for(user)))


site = Site(
    title=_("驻村蹲点干部管理"),
    primary_color="#1f4e8c",
    secondary_color="#c62828",
    viewsets=[
        Area(
            title=_("工作台"),
            icon="dashboard",
            app_name="home",
            menu_template_name=None,
            urlpatterns=overview_urls.home_patterns,
        ),
        Area(
            title=_("我的待办"),
            icon="checklist",
            app_name="tasks",
            menu_template_name=None,
            opens_for=tasks_views.admits,
            urlpatterns=overview_urls.tasks_patterns,
        ),
        Area(
            title=_("选派"),
            icon="assignment_ind",
            app_name="dispatch",
            menu_template_name=None,
            urlpatterns=dispatch_urls.urlpatterns,
            viewsets=[TierFlowViewset(DispatchFlow, app_name="flow"), TierFlowViewset(RecallFlow, app_name="recall")],
        ),
        Area(
            title=_("驻村管理"),
            icon="event_available",
            app_name="leave",
            menu_template_name=None,
            opens_for=lambda user: leave_views.IndexRedirectView.landing(user) is not None,
            urlpatterns=leave_urls.urlpatterns + overview_urls.leave_report_patterns,
            viewsets=[TierFlowViewset(LeaveFlow, app_name="flow")],
        ),
        Area(
            title=_("考评"),
            icon="grading",
            app_name="appraisal",
            menu_template_name=None,
            opens_for=lambda user: appraisal_views.IndexRedirectView.landing(user) is not None,
            urlpatterns=appraisal_urls.urlpatterns,
            viewsets=[TierFlowViewset(AppraisalFlow, app_name="flow")],
        ),
        Area(
            title=_("总览"),
            icon="insights",
            app_name="dashboard",
            menu_template_name=None,
            opens_for=DashboardView.admits,
            urlpatterns=overview_urls.dashboard_patterns,
        ),
        Area(
            title=_("审计"),
            icon="policy",
            app_name="audit",
            menu_template_name=None,
            opens_for=audit_views.ReviewView.admits,
            urlpatterns=workflows_urls.audit_patterns,
        ),
        OrganisationApp(),
        Area(
            title=_("管理"),
            icon="admin_panel_settings",
            app_name="manage",
            menu_template_name=None,
            opens_for=manage_views.admits,
            urlpatterns=workflows_urls.manage_patterns,
        ),
    ],
)
