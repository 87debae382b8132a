"""Splitting replies to each platform's length limit and formatting them so the platform accepts them."""

from __future__ import annotations

import html
import re

__all__ = ["split_text", "telegram_html", "utf16_len"]

_BOLD_RE = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC_RE = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit both Telegram and Twilio count in."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """Index of the longest prefix of `text` within `limit` UTF-16 units, cut at a natural boundary."""
    units = 0
    hard = len(text)
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            hard = i
            break
    else:
        return len(text)
    window = text[:hard]
    for sep in ("\n\n", "\n", ". ", " "):
        pos = window.rfind(sep)
        if pos > hard // 2:  # a boundary in the first half would waste too much of the bubble
            return pos + len(sep)
    return hard


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into chunks of at most `limit` UTF-16 units, preferring paragraph, line and word breaks."""
    text = text.strip()
    chunks: list[str] = []
    while text:
        cut = _cut(text, limit)
        chunk = text[:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        text = text[cut:].lstrip()
    return chunks


def telegram_html(text: str) -> str:
    """WhatsApp-style `*bold*` and `_italic_` as Telegram HTML; everything else escaped."""
    escaped = html.escape(text, quote=False)
    escaped = _BOLD_RE.sub(r"<b>\1</b>", escaped)
    return _ITALIC_RE.sub(r"<i>\1</i>", escaped)
