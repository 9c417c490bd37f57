"""The shared layer's pages: the review of the audit trail, mounted by `project.site` as the 审计 area."""

from django.urls import path

from workflows.views import audit

audit_patterns = [
    path("", audit.ReviewView.as_view(), name="index"),
    path("object/<str:kind>/<str:object_id>/", audit.ObjectTimelineView.as_view(), name="object"),
    path("event/<int:pk>/", audit.EventView.as_view(), name="event"),
]
