"""Booking codes: short, readable over the phone, and not guessable."""

from __future__ import annotations

import re
import secrets

__all__ = ["ALPHABET", "display_code", "new_code", "normalise_code"]

# No 0/O, 1/I/L, 5/S or 2/Z look-alikes: codes are read aloud and typed on phones.
ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
_LENGTH = 6  # 27^6 ≈ 3.9e8 random codes, and only the owner's own bookings answer to a code
_PREFIXED = re.compile(r"\bMPP[\s-]*([A-Z0-9]{6})\b")
_BARE = re.compile(r"\b([A-Z0-9]{6})\b")


def new_code() -> str:
    """A fresh random code, e.g. "K7M3QX" (shown as MPP-K7M3QX)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(_LENGTH))


def _valid(code: str) -> bool:
    return len(code) == _LENGTH and all(ch in ALPHABET for ch in code)


def normalise_code(text: str) -> str | None:
    """The code inside what a resident typed ("batal mpp-k7m3qx" → "K7M3QX"), or None.

    Without the MPP prefix a code must hold a digit, so six-letter words ("TEMPAT") are not codes.
    """
    upper = text.upper()
    for m in _PREFIXED.finditer(upper):
        if _valid(m[1]):
            return m[1]
    for m in _BARE.finditer(upper):
        if _valid(m[1]) and any(ch.isdigit() for ch in m[1]):
            return m[1]
    return None


def display_code(code: str) -> str:
    """How residents see it: MPP-K7M3QX."""
    return f"MPP-{code}"
