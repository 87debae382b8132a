from __future__ import annotations

import pytest

from knowledge_base._text import Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    a = Analyzer()
    a.fit_vocabulary(
        ["Kartu Keluarga hilang", "Perpanjangan SIM", "akta kelahiran", "paspor baru", "surat keterangan kematian"]
    )
    return a


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gmn cara bkin akte lahiran?", ["akta", "lahir"]),  # slang and stopwords
        ("pian handak ulah paspor", ["ulah", "paspor"]),  # Banjar: pian/handak are function words
        ("amun SIM mati, kawa kah diperpanjang?", ["sim", "mati", "kedaluwarsa", "diperpanjang"]),  # Kutai
        ("kartukeluarga ilang", ["kartu", "keluarga", "hilang"]),  # glued words
        ("pasport baruu", ["paspor", "baru"]),  # English spelling and stretched letter
        ("driving license renewal", ["sim", "perpanjang"]),  # phrases in English
        ("bapak sy meninggal", ["kematian"]),
    ],
)
def test_words(analyzer: Analyzer, text: str, expected: list[str]) -> None:
    assert analyzer.words(text) == expected


def test_typo_repaired_against_catalogue_words(analyzer: Analyzer) -> None:
    assert analyzer.words("perpanjng") == ["perpanjang"]
    assert analyzer.words("kelahran") == ["lahir"]


def test_dropped_vowels(analyzer: Analyzer) -> None:
    assert analyzer.words("kmtian") == ["kematian"]


def test_terms_have_stems_and_bigrams(analyzer: Analyzer) -> None:
    terms = analyzer.terms("perpanjangan sim")
    assert "panjang" in terms and "sim" in terms and "panjang_sim" in terms


def test_coverage_separates_domain_words(analyzer: Analyzer) -> None:
    assert analyzer.coverage("paspor hilang") == 1.0
    assert analyzer.coverage("resep rendang padang") == 0.0
    assert analyzer.coverage("???") == 0.0
