"""The dispatch app's pages, gathered from the page modules of each tier."""

from dispatch import views_unit

urlpatterns = [*views_unit.urlpatterns]
