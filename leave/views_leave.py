"""Pages: views_leave."""

urlpatterns: list = []
