"""accounts pages of the administration area (filled in by its own change)."""

urlpatterns: list = []

#: Pages outside the site's frame, for people not signed in (activating an account), mounted at /accounts/.
public_urlpatterns: list = []
