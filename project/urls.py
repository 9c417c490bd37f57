"""URL configuration: the viewflow site, sign-in, language switch and admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from viewflow.contrib.auth import AuthViewset

from appraisal import urls as appraisal_urls
from project.health import healthz
from project.site import site
from workflows.views import accounts as accounts_views

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include(accounts_views.public_urlpatterns)),
    path("accounts/", AuthViewset(with_profile_view=False).urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    # The villagers' ballot: public, no account, outside the site's frame (R-A5).
    path("vote/", include((appraisal_urls.vote_urlpatterns, "vote"))),
    path("", site.urls),
]

#: A refusal keeps the site's frame and a way back (the lockscreen page viewflow ships has neither).
handler403 = "project.errors.permission_denied"
#: Input a page cannot use (a month out of range, say) is said in the same frame.
handler400 = "project.errors.bad_request"
