"""accounts pages of the administration area (filled in by its own change)."""

urlpatterns: list = []
