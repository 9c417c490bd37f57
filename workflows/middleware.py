"""Request-wide concerns: the client address for the audit trail, the forced password change, idle sessions."""

import time

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse

from workflows.addresses import request_address
from workflows.audit import request_ip

#: The session key holding when the session was last written for being in use (IdleSessionMiddleware).
SESSION_TOUCHED = "_touched"


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


class IdleSessionMiddleware:
    """Keep a session in use alive for SESSION_IDLE_MINUTES more, writing it at most once a minute (R-X1).

    Django's SESSION_SAVE_EVERY_REQUEST would write the session row on every request, a page's every asset and
    poll included; touching it once a minute keeps the idle limit to within a minute for one write a minute.
    """

    EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty() and request.user.is_authenticated:
            now = int(time.time())
            if now - session.get(SESSION_TOUCHED, 0) >= self.EVERY_SECONDS:
                session[SESSION_TOUCHED] = now
        return response


def touch_session_on_sign_in(sender, request, user, **kwargs) -> None:
    """A sign-in writes the session anyway: it counts as its first touch (user_logged_in)."""
    request.session[SESSION_TOUCHED] = int(time.time())
