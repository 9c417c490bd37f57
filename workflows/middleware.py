"""Request-wide concerns: the client address for the audit trail, and the forced password change."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse

from workflows.addresses import request_address
from workflows.audit import request_ip


class RequestContextMiddleware:
    """Remember the client address of the request being served, for audit events (R-X1)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(request_address(request) or None)
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)


class PasswordChangeRequiredMiddleware:
    """Send a signed-in user whose password someone else set to change it first (R-X1).

    Every page redirects to the password change, except that page itself, signing out, static files and the
    language switch; changing the password lifts the flag (workflows.views.accounts.PasswordChangeView).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            target = reverse("password_change")
            if not request.path.startswith(self._open_paths(target)):
                return HttpResponseRedirect(target)
        return self.get_response(request)

    @staticmethod
    def _open_paths(target: str) -> tuple[str, ...]:
        return (
            target,
            reverse("logout"),
            reverse("set_language"),
            reverse("javascript-catalog"),
            settings.STATIC_URL or "/static/",
        )
