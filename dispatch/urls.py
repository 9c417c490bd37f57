"""The dispatch app's pages, gathered from the page modules of each tier."""

from dispatch.views import org, township, unit

urlpatterns = [*unit.urlpatterns, *org.urlpatterns, *township.urlpatterns]
