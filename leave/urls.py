"""The stationed-management pages, gathered from the page modules of each area."""

from django.urls import path
from django.views.generic import RedirectView

from leave import views_attendance, views_leave, views_oversight

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="home:index"), name="index"),
    *views_attendance.urlpatterns, *views_leave.urlpatterns, *views_oversight.urlpatterns,
]
