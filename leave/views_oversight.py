"""Pages: views_oversight."""

urlpatterns: list = []
