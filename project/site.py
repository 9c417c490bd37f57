"""The viewflow frontend site: one application per area, each showing only what the user may see."""

from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site

from appraisal import urls as appraisal_urls
from appraisal.flows import AppraisalFlow
from dispatch import urls as dispatch_urls
from dispatch.flows import DispatchFlow, RecallFlow
from leave import urls as leave_urls
from leave.flows import LeaveFlow
from workflows import views_audit, views_dashboard
from workflows.flows import TierFlowViewset
from workflows.views import HomeView, OrganisationApp

site = Site(
    title=_("驻村蹲点干部管理"),
    primary_color="#1f4e8c",
    secondary_color="#c62828",
    viewsets=[
        Application(
            title=_("工作台"), icon="dashboard", app_name="home", menu_template_name=None,
            urlpatterns=[HomeView.url_pattern()],
        ),
        Application(
            title=_("选派"), icon="assignment_ind", app_name="dispatch", menu_template_name=None,
            urlpatterns=dispatch_urls.urlpatterns,
            viewsets=[TierFlowViewset(DispatchFlow, app_name="flow"), TierFlowViewset(RecallFlow, app_name="recall")],
        ),
        Application(
            title=_("驻村管理"), icon="event_available", app_name="leave", menu_template_name=None,
            urlpatterns=leave_urls.urlpatterns,
            viewsets=[TierFlowViewset(LeaveFlow, app_name="flow")],
        ),
        Application(
            title=_("考评"), icon="grading", app_name="appraisal", menu_template_name=None,
            urlpatterns=appraisal_urls.urlpatterns,
            viewsets=[TierFlowViewset(AppraisalFlow, app_name="flow")],
        ),
        Application(
            title=_("总览"), icon="insights", app_name="dashboard", menu_template_name=None,
            urlpatterns=views_dashboard.urlpatterns,
        ),
        Application(
            title=_("审计"), icon="policy", app_name="audit", menu_template_name=None,
            urlpatterns=views_audit.urlpatterns,
        ),
        OrganisationApp(),
    ],
)
