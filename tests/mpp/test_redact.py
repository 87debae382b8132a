from __future__ import annotations

import pytest

from mpp.redact import redact, redact_mapping
from tests.conftest import load_fixture

CASES = load_fixture("redaction_cases.json")


@pytest.mark.parametrize("case", CASES, ids=[c["input"][:30] for c in CASES])
def test_reference_cases(case: dict[str, str]) -> None:
    assert redact(case["input"]) == case["expected"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hp 081234567890", "hp [PHONE]"),
        ("telp kantor 0541-661234", "telp kantor [PHONE]"),
        ("NIK ３１７４０１２３０４８５０００３", "NIK [NIK]"),  # full-width digits
        ("tanggal 12-05-2026 jam 08.00", "tanggal 12-05-2026 jam 08.00"),
        ("RT 05 RW 02 kode pos 75511", "RT 05 RW 02 kode pos 75511"),
    ],
)
def test_more_shapes(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_structured_names_and_phones_are_removed() -> None:
    rec = redact_mapping(
        {"ProfileName": "Siti Aminah", "From": "whatsapp:+6281234567890", "text": "nik 3174012304850003", "n": 3}
    )
    assert rec == {"ProfileName": "[NAME]", "From": "[PHONE]", "text": "nik [NIK]", "n": 3}


def test_nested_records() -> None:
    rec = redact_mapping({"user": {"first_name": "Budi", "id": 5}, "items": ["wa 081234567890", 2]})
    assert rec == {"user": {"first_name": "[NAME]", "id": 5}, "items": ["wa [PHONE]", 2]}
