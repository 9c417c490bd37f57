"""Deployment checks (`manage.py check --deploy`): production refuses to start on a development default (R-X1).

The gunicorn configuration (deploy/gunicorn.conf.py) runs these before it forks a worker, and the systemd unit runs
`check --deploy` before it starts the server, so a setting left at its demo value stops the service, not a vote.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Tags, register

#: Keys that must be set apart from SECRET_KEY: a leaked or rotated SECRET_KEY must not forge the audit chain,
#: nor reprint or forge ballot codes.
SEPARATE_KEYS = ("AUDIT_CHAIN_KEY", "BALLOT_CODE_KEY")


def serving_processes() -> int:
    """How many processes serve the site: gunicorn's workers, as the deployment sets them (WEB_CONCURRENCY)."""
    try:
        return int(os.environ.get("WEB_CONCURRENCY", "1"))
    except ValueError:
        return 1


@register(Tags.security, deploy=True)
def check_separate_keys(app_configs=None, **kwargs):
    errors = []
    for name in SEPARATE_KEYS:
        value = getattr(settings, name, "")
        if not value or value == settings.SECRET_KEY:
            errors.append(
                Error(
                    f"{name} is unset or equal to SECRET_KEY.",
                    hint=f"Set {name} in the environment to its own long random value, kept outside the database "
                    "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))').",
                    id="cadres.E001",
                )
            )
    return errors


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs=None, **kwargs):
    processes = serving_processes()
    if processes > 1 and not os.environ.get("REDIS_URL"):
        return [
            Error(
                f"REDIS_URL is not set while {processes} processes serve the site (WEB_CONCURRENCY).",
                hint="Each process would keep its own count of wrong ballot codes; set REDIS_URL "
                "(e.g. redis://127.0.0.1:6379/0) or serve with one process.",
                id="cadres.E002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_debug_off(app_configs=None, **kwargs):
    if settings.DEBUG:
        return [
            Error(
                "DEBUG is on.",
                hint="DEBUG shows tracebacks with settings and personal data to whoever meets an error; set DEBUG=0.",
                id="cadres.E003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_client_address_header(app_configs=None, **kwargs):
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.RATELIMIT_IP_META_KEY:
        return [
            Error(
                "Behind a proxy (BEHIND_HTTPS_PROXY) but RATELIMIT_IP_META_KEY names no client address header.",
                hint="Every request would seem to come from the proxy: sign-in lockouts would lock an account out for "
                "everyone and the audit trail would record the proxy's address. Set it to the header the proxy "
                "overwrites, e.g. HTTP_X_REAL_IP.",
                id="cadres.E004",
            )
        ]
    return []
