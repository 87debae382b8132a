"""Personal-data redaction for everything that is written to logs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import phonenumbers

__all__ = ["NAME_KEYS", "redact", "redact_mapping"]

# 16 digits, plain or grouped in fours by spaces, dots or dashes; never part of a longer digit run.
_NIK_RE = re.compile(r"(?<![\d.\-])\d{4}([ .\-]?)\d{4}\1\d{4}\1\d{4}(?![\d]|[.\-]\d)")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Bare international form without "+": 62 8xx..., which phonenumbers will not find without a "+".
_BARE62_RE = re.compile(r"(?<!\d)62 ?8\d{1,3}[ \-]?\d{3,4}[ \-]?\d{3,5}(?!\d)")

# Structured log fields that hold a person's name or handle.
NAME_KEYS = frozenset(
    {"name", "nama", "first_name", "last_name", "full_name", "username", "profile_name", "ProfileName", "contact_name"}
)
_PHONE_KEYS = frozenset({"phone", "phone_number", "From", "To", "WaId", "msisdn"})


def _redact_phones(text: str) -> str:
    out: list[str] = []
    last = 0
    for m in phonenumbers.PhoneNumberMatcher(text, "ID", leniency=phonenumbers.Leniency.VALID):
        out.append(text[last : m.start])
        out.append("[PHONE]")
        last = m.end
    out.append(text[last:])
    return _BARE62_RE.sub("[PHONE]", "".join(out))


def redact(text: str) -> str:
    """Replace NIKs, phone numbers and e-mail addresses in free text with placeholders."""
    if not text:
        return text
    text = unicodedata.normalize("NFKC", text)
    text = _EMAIL_RE.sub("[EMAIL]", text)
    text = _NIK_RE.sub("[NIK]", text)
    return _redact_phones(text)


def redact_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """Redact a structured record: name and phone fields wholesale, other strings by pattern."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in NAME_KEYS and value:
            out[key] = "[NAME]"
        elif key in _PHONE_KEYS and value:
            out[key] = "[PHONE]"
        elif isinstance(value, str):
            out[key] = redact(value)
        elif isinstance(value, Mapping):
            out[key] = redact_mapping(value)
        elif isinstance(value, list | tuple):
            out[key] = [
                redact_mapping(v) if isinstance(v, Mapping) else redact(v) if isinstance(v, str) else v for v in value
            ]
        else:
            out[key] = value
    return out
