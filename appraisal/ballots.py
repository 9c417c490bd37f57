"""Ballot codes: derived from a secret key so a sheet can be reprinted, stored only as digests (R-A5).

A code is 12 characters from a 31-letter alphabet without look-alikes (0/O, 1/I/L): about 59 bits, so
with every village's codes issued, a guess hits one with odds of well under one in a billion, before the
per-address limit on failed attempts is even counted.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12
GROUP = 4


def _key(purpose: str) -> bytes:
    return hmac.new(settings.BALLOT_CODE_KEY.encode(), purpose.encode(), hashlib.sha256).digest()


def derive(batch_pk: int, number: int) -> str:
    """The code printed as slip `number` of batch `batch_pk` (unformatted)."""
    raw = hmac.new(_key("ballot-code"), f"{batch_pk}:{number}".encode(), hashlib.sha256).digest()
    value = int.from_bytes(raw, "big")
    letters = []
    for _ in range(LENGTH):
        value, index = divmod(value, len(ALPHABET))
        letters.append(ALPHABET[index])
    return "".join(letters)


def normalise(text: str) -> str:
    """What the villager typed, as a code: case, spaces and dashes do not matter."""
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())[: LENGTH * 2]


def digest(code: str) -> str:
    """The only form in which a code is stored."""
    return hmac.new(_key("ballot-digest"), normalise(code).encode(), hashlib.sha256).hexdigest()


def formatted(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
