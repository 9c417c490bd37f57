"""The dispatch app's pages, gathered from the page modules of each tier."""

from dispatch import views_org, views_township, views_unit

urlpatterns = [*views_unit.urlpatterns, *views_org.urlpatterns, *views_township.urlpatterns]
