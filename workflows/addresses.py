"""The client's address as the site sees it: behind a proxy, from the header the proxy sets (R-X1, R-A5)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def request_address(request: HttpRequest) -> str:
    """The address the request came from: the first of the proxy's header when one is named, or the peer's."""
    raw = request.META.get(settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR", "") or ""
    return raw.split(",")[0].strip()


def client_address(request: HttpRequest) -> str:
    """The client to count attempts against: its address, an IPv6 client by its /64 network."""
    raw = request_address(request)
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def lockout_address(request: HttpRequest) -> str | None:
    """The address sign-in failures are counted against (django-axes), or None when the request names none."""
    raw = request_address(request)
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None
