"""Pages: views_attendance."""

urlpatterns: list = []
