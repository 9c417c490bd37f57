"""The shared layer's pages: the audit review (审计) and the administration area (管理), for `project.site`."""

from django.urls import path

from workflows.views import accounts, audit, lockouts, manage, policy, posts, tier_edit, upload

audit_patterns = [
    path("", audit.ReviewView.as_view(), name="index"),
    path("object/<str:kind>/<str:object_id>/", audit.ObjectTimelineView.as_view(), name="object"),
    path("event/<int:pk>/", audit.EventView.as_view(), name="event"),
]

manage_patterns = [
    *manage.index_patterns,
    *posts.urlpatterns,
    *accounts.urlpatterns,
    *upload.urlpatterns,
    *lockouts.urlpatterns,
    *policy.urlpatterns,
    *tier_edit.urlpatterns,
]
