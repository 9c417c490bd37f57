"""The stationed-management pages, gathered from the page modules of each area."""

from django.urls import path

from leave import views_attendance, views_leave, views_oversight

urlpatterns = [
    path("", views_attendance.IndexRedirectView.as_view(), name="index"),
    *views_attendance.urlpatterns,
    *views_leave.urlpatterns,
    *views_oversight.urlpatterns,
]
