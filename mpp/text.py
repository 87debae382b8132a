"""Normalisation of text that arrives from residents, before it goes anywhere."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_INPUT_CHARS", "clean_input"]

MAX_INPUT_CHARS = 1000

# Zero-width, bidi controls and other format characters that only hide or reorder text.
_INVISIBLE = {"Cf"}
_KEEP_CF = {"\u200d"}  # ZWJ joins emoji sequences (family, professions)
_ESC_SEQ = re.compile(r"\x1b")


def clean_input(text: str, max_chars: int = MAX_INPUT_CHARS) -> str:
    """NFKC, strip control/bidi/zero-width characters, unify newlines, trim and cap the length."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESC_SEQ.sub("", text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\n\t":
            out.append(ch)
        elif cat == "Cc" or (cat in _INVISIBLE and ch not in _KEEP_CF):
            continue
        else:
            out.append(ch)
    cleaned = "".join(out).strip()
    return cleaned[:max_chars]
