"""The stationed-management pages, gathered from the page modules of each area."""

from django.urls import path

from leave import views_reports
from leave.views import attendance as views_attendance
from leave.views import leave as views_leave
from leave.views import oversight as views_oversight

urlpatterns = [
    path("", views_attendance.IndexRedirectView.as_view(), name="index"),
    *views_attendance.urlpatterns,
    *views_leave.urlpatterns,
    *views_oversight.urlpatterns,
    *views_reports.urlpatterns,
]
