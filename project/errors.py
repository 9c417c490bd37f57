"""Error pages inside the site's frame (its menu, the language switch) with a way back, never a dead end."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from project.site import site


def _back(request: HttpRequest) -> str | None:
    """The page the user came from, when it is on this site and is not the refused page itself."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or referer.endswith(request.get_full_path()):
        return None
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return referer
    return None


def _in_frame(request: HttpRequest) -> None:
    match = request.resolver_match
    if match is not None and getattr(match, "site", None) is None:
        match.site = site  # refused before viewflow's middleware named the site: the frame still needs it


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponseForbidden:
    """Say why, in the frame of every page; the refusal was audited where it was decided, as before."""
    _in_frame(request)
    message = str(exception) if exception is not None and str(exception) else _("您无权打开此页面。")
    context = {"reason": message, "back_url": _back(request), "home_url": reverse("home:index")}
    return HttpResponseForbidden(loader.render_to_string("403.html", context, request))


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBadRequest:
    """Say which input the page could not use (a month, a date, a number out of range); nothing was done."""
    _in_frame(request)
    message = str(exception) if exception is not None and str(exception) else _("请求中的参数无效。")
    if request.resolver_match is None:
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    context = {"reason": message, "back_url": _back(request), "home_url": reverse("home:index")}
    return HttpResponseBadRequest(loader.render_to_string("400.html", context, request))


def busy(request: HttpRequest) -> HttpResponse:
    """Ask the user to try again: the database stayed busy with others' work, and nothing of theirs was written."""
    _in_frame(request)
    context = {"back_url": _back(request), "home_url": reverse("home:index")}
    response = HttpResponse(loader.render_to_string("503.html", context, request), status=503)
    response["Retry-After"] = "5"
    return response
