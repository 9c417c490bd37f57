"""The overview pages' URL patterns, wired into the site's areas by `project.site`.

The home page is the "home" area, the dashboard the "dashboard" area; the monthly report keeps its place in the
leave area ("leave:attendance_report"), which lists these patterns after its own.
"""

from django.urls import path

from overview.views import notifications, tasks
from overview.views.dashboard import DashboardView
from overview.views.home import HomeView
from overview.views.reports import AttendanceReportView

home_patterns = [path("", HomeView.as_view(), name="index")]

dashboard_patterns = [path("", DashboardView.as_view(), name="index")]

leave_report_patterns = [
    path("reports/attendance/", AttendanceReportView.as_view(), name="attendance_report"),
]

tasks_patterns = tasks.urlpatterns + notifications.urlpatterns
