"""Indonesian-aware text processing for the lexical search: slang, local words, typos, stemming."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

__all__ = ["Analyzer", "load_lexicon"]

_LEXICON = Path(__file__).parent / "data" / "lexicon.yaml"
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_VOWELS = set("aeiou")


def load_lexicon(path: Path = _LEXICON) -> tuple[dict[str, str], list[tuple[str, str]], frozenset[str]]:
    """The token map, the phrase list (longest phrase first) and the stopwords."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    tokens = {str(k).lower(): str(v or "").lower() for k, v in (data.get("tokens") or {}).items()}
    phrases = sorted(
        ((str(k).lower(), str(v).lower()) for k, v in (data.get("phrases") or {}).items()),
        key=lambda kv: -len(kv[0]),
    )
    return tokens, phrases, frozenset(str(w).lower() for w in data.get("stopwords") or ())


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _skeleton(word: str) -> str:
    return "".join(ch for ch in word if ch not in _VOWELS)


class Analyzer:
    """Turns text into search terms; learns the catalogue vocabulary to repair typos."""

    def __init__(self, lexicon: Path = _LEXICON) -> None:
        tokens, phrases, self._stopwords = load_lexicon(lexicon)
        self._tokens = tokens
        self._phrase_res = [(re.compile(rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])"), r) for p, r in phrases]
        self._stemmer = StemmerFactory().create_stemmer()
        self._vocab: set[str] = set()
        self._vocab_list: list[str] = []
        self._skeletons: dict[str, str] = {}

    # -- vocabulary -------------------------------------------------------------------------------
    def fit_vocabulary(self, texts: Iterable[str]) -> None:
        """Remember the catalogue's words so that unknown query words can be repaired against them."""
        vocab: set[str] = set()
        for t in texts:
            vocab.update(self._normalised_words(t))
            vocab.update(_TOKEN_RE.findall(_fold(t)))  # raw forms too, so typos of them are repaired
        self._vocab = vocab | {self._stem(w) for w in vocab}
        self._words.cache_clear()  # analyses made before this vocabulary repaired nothing
        self._vocab_list = sorted(w for w in vocab if len(w) >= 3)
        skel: dict[str, str] = {}
        for w in self._vocab_list:
            if len(w) >= 4:
                skel.setdefault(_skeleton(w), w)
        self._skeletons = skel
        self._repair.cache_clear()

    @property
    def vocabulary(self) -> frozenset[str]:
        """The words seen by `fit_vocabulary`."""
        return frozenset(self._vocab)

    # -- pipeline ---------------------------------------------------------------------------------
    def _normalised_words(self, text: str) -> list[str]:
        text = _fold(text)
        text = re.sub(r"(\w)-(\w)", r"\1 \2", text)
        for pattern, repl in self._phrase_res:
            text = pattern.sub(f" {repl} ", text)
        words: list[str] = []
        for w in _TOKEN_RE.findall(text):
            mapped = self._tokens.get(w)
            if mapped is None and len(w) > 3 and w[-1] == w[-2] and w[:-1] in self._tokens:
                mapped = self._tokens[w[:-1]]  # stretched letters: "gimanaa"
            if mapped is None:
                words.append(w)
            elif mapped:
                words.extend(mapped.split())
        return words

    @lru_cache(maxsize=50_000)  # noqa: B019 (the analyzer lives as long as the index)
    def _repair(self, word: str) -> tuple[str, ...]:
        if not self._vocab or word in self._vocab or len(word) < 4 or word.isdigit():
            return (word,)
        stem = self._stem(word)
        if stem in self._vocab:
            return (word,)
        limit = 1 if len(word) < 7 else 2
        hit = process.extractOne(word, self._vocab_list, scorer=Levenshtein.distance, score_cutoff=limit)
        if hit is not None:
            return (hit[0],)
        skel = _skeleton(word)
        if len(skel) >= 3 and skel in self._skeletons:  # dropped vowels: "prpnjng", "kmtian"
            return (self._skeletons[skel],)
        if len(word) >= 7:  # glued words: "kartukeluarga", "aktalahir"
            for i in range(3, len(word) - 2):
                a, b = word[:i], word[i:]
                if a in self._vocab and b in self._vocab:
                    return (a, b)
        return (word,)

    @lru_cache(maxsize=50_000)  # noqa: B019
    def _stem(self, word: str) -> str:
        return str(self._stemmer.stem(word)) if len(word) > 4 and not word.isdigit() else word

    def words(self, text: str) -> list[str]:
        """Normalised, repaired words with stopwords removed (not stemmed)."""
        return list(self._words(text))

    @lru_cache(maxsize=4096)  # noqa: B019 (one query is analysed by BM25, the encoders and the domain check)
    def _words(self, text: str) -> tuple[str, ...]:
        raw = self._normalised_words(text)
        repaired = [r for w in raw for r in self._repair(w)]
        if repaired != raw:  # a repair can complete a phrase: "kartukeluarga" -> "kartu keluarga" -> "kk"
            repaired = self._normalised_words(" ".join(repaired))
        return tuple(w for w in repaired if w not in self._stopwords)

    def terms(self, text: str) -> list[str]:
        """Search terms: stems plus adjacent-stem bigrams (bigrams separate sibling services)."""
        stems = [self._stem(w) for w in self.words(text)]
        return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems)]

    def coverage(self, text: str) -> float:
        """Share of the query's content words that the catalogue knows (an out-of-scope signal)."""
        words = self.words(text)
        if not words:
            return 0.0
        known = sum(1 for w in words if w in self._vocab or self._stem(w) in self._vocab)
        return known / len(words)
