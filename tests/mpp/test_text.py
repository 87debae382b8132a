from __future__ import annotations

import pytest

from mpp.text import MAX_INPUT_CHARS, clean_input
from tests.conftest import load_fixture

CASES = load_fixture("input_edge_cases.json")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reference_normalisation(case: dict[str, str]) -> None:
    assert clean_input(case["input"]) == case["normalized_reference"]


def test_length_is_capped() -> None:
    assert len(clean_input("x" * 100_000)) == MAX_INPUT_CHARS


def test_emoji_sequences_survive() -> None:
    assert clean_input("👍🏽 makasih") == "👍🏽 makasih"
