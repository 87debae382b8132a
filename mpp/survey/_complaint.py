"""Whether a survey comment is a complaint, by a small lexicon (words, phrases, and negation)."""

from __future__ import annotations

import re

from mpp.survey._data import method

__all__ = ["is_complaint"]

_WORD = re.compile(r"[a-z]+")


def is_complaint(text: str) -> bool:
    """True when the comment names a problem ("lama", "kecewa", "pungli", "tidak ramah", ...).

    A plain word right after a negation ("tidak lama", "gak kecewa") does not count; suffixed forms
    ("lamanya", "kecewanya") do.
    """
    m = method()
    words = _WORD.findall(text.lower())
    joined = " ".join(words)
    if any(re.search(rf"\b{re.escape(p)}\b", joined) for p in m.complaint_phrases):
        return True
    for i, w in enumerate(words):
        stem = next((k for k in m.complaint_words if w == k or (w.startswith(k) and w[len(k) :] in _SUFFIXES)), None)
        if stem is None:
            continue
        if i > 0 and words[i - 1] in m.negations:
            continue
        if i > 1 and words[i - 1] in _INTENSIFIERS and words[i - 2] in m.negations:  # "tidak terlalu lama"
            continue
        return True
    return False


_SUFFIXES = frozenset({"nya", "an", "kan", "lah", "kah", "banget", "bgt"})
_INTENSIFIERS = frozenset({"terlalu", "begitu", "terlampau", "sangat", "pernah"})
