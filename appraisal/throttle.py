"""Wrong ballot codes slow down the address they come from, never a good code (R-A5).

A village often votes from one network (the village committee's Wi-Fi, one phone's hotspot), so every villager
shares one address. Codes are about 59 bits, so guessing is hopeless whatever the limit; the limit only keeps an
address that keeps typing wrong codes from hammering the page. An address has a free allowance of wrong codes per
window; past it, each wrong code makes the address wait, 5 s at first and doubling up to a ceiling (settings).
A valid unused code is always let through, waiting or not. The counters live in the cache (Redis in production,
shared by every worker); a cache that cannot be reached makes wrong codes wait the longest, never good ones.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext

from workflows.addresses import client_address

logger = logging.getLogger(__name__)


def address(request: HttpRequest) -> str:
    """The client's address, as the login lockout and the audit trail see it too."""
    return client_address(request)


def _keys(request: HttpRequest) -> tuple[str, str]:
    # Hashed so that no address is kept readable in the cache.
    tag = hashlib.sha256(address(request).encode()).hexdigest()[:32]
    return f"ballot:wrong:{tag}", f"ballot:wait:{tag}"


def wait_for(wrong_codes: int) -> int:
    """Seconds an address waits after its `wrong_codes`-th wrong code in the window: 0 within the allowance."""
    over = wrong_codes - settings.BALLOT_WRONG_CODES_FREE
    if over <= 0:
        return 0
    first, most = settings.BALLOT_WRONG_CODES_FIRST_WAIT_SECONDS, settings.BALLOT_WRONG_CODES_MAX_WAIT_SECONDS
    return min(first * 2 ** min(over - 1, 32), most)


def wrong_code(request: HttpRequest) -> int:
    """Count one wrong code from the request's address; return how many seconds it must now wait (0: none)."""
    count_key, wait_key = _keys(request)
    window = settings.BALLOT_WRONG_CODES_WINDOW_SECONDS
    now = time.time()
    try:
        # The window starts at the first wrong code and the count ends with it.
        if cache.add(count_key, 1, timeout=window):
            count = 1
        else:
            try:
                count = cache.incr(count_key)
            except ValueError:  # expired between add and incr: a new window
                cache.add(count_key, 1, timeout=window)
                count = 1
        wait = wait_for(count)
        until = max(cache.get(wait_key) or 0, now + wait)
        if until > now:
            cache.set(wait_key, until, timeout=math.ceil(until - now) + 1)
    except Exception:  # the cache is down: wrong codes wait the longest, good codes are never asked
        logger.exception("The ballot page's wrong-code counter could not be reached")
        return settings.BALLOT_WRONG_CODES_MAX_WAIT_SECONDS
    return max(0, math.ceil(until - now))


def wait_text(seconds: int) -> str:
    """A wait in words: 5 秒, 2 分钟, 1 分 20 秒."""
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return ngettext("%(n)s 秒", "%(n)s 秒", rest) % {"n": rest}
    if not rest:
        return ngettext("%(n)s 分钟", "%(n)s 分钟", minutes) % {"n": minutes}
    return gettext("%(m)s 分 %(s)s 秒") % {"m": minutes, "s": rest}
