"""Booking codes: short, readable over the phone, and not guessable."""

from __future__ import annotations

import re
import secrets

__all__ = ["ALPHABET", "display_code", "new_code", "normalise_code"]

# No 0/O, 1/I/L, 5/S or 2/Z look-alikes: codes are read aloud and typed on phones.
ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
_LENGTH = 7  # 27^7 ≈ 1e10 codes: guessing one of a few thousand live codes is hopeless


def new_code() -> str:
    """A fresh random code, e.g. "7K4QX9A" (shown as 7K4-QX9A)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(_LENGTH))


def normalise_code(text: str) -> str | None:
    """The code inside what a resident typed ("kode 7k4-qx9a" → "7K4QX9A"), or None."""
    for token in re.findall(r"[A-Za-z0-9-]{7,9}", text.upper()):
        code = token.replace("-", "")
        if len(code) == _LENGTH and all(ch in ALPHABET for ch in code):
            return code
    return None


def display_code(code: str) -> str:
    """Grouped for reading: 7K4-QX9A."""
    return f"{code[:3]}-{code[3:]}"
