"""IKM per PermenPANRB 14/2017 against hand-computed worked examples."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from mpp.survey import compute_ikm, method, required_sample
from mpp.survey.ikm import category_for, krejcie_morgan

CODES = [f"U{i}" for i in range(1, 10)]


def full(*values: int) -> dict[str, int | None]:
    """One respondent who answered U1..U9 with these values."""
    assert len(values) == 9
    return dict(zip(CODES, values, strict=True))


def respondents_with_sum(n: int, threes: int) -> list[dict[str, int | None]]:
    """n full respondents whose 9n values are `threes` threes and the rest fours."""
    flat = [3] * threes + [4] * (9 * n - threes)
    return [full(*flat[i * 9 : i * 9 + 9]) for i in range(n)]


def test_nine_elements_in_the_regulations_order() -> None:
    m = method()
    assert m.codes == tuple(CODES)
    assert m.element("U1").name == "Persyaratan"
    assert m.element("U9").name == "Sarana dan Prasarana"
    assert all(len(e.labels) == 4 for e in m.elements)
    assert m.conversion == 25


def test_worked_example_all_answered() -> None:
    # 4 respondents. U1..U9 sums: 14,13,12,16,12,15,16,8,12 -> NRR 3.5,3.25,3,4,3,3.75,4,2,3
    # sum NRR = 29.5; IKM = 29.5/9 = 3.2778; x25 = 81.94 -> B (Baik)
    rows = [
        full(4, 4, 3, 4, 3, 4, 4, 2, 3),
        full(4, 3, 3, 4, 3, 4, 4, 2, 3),
        full(3, 3, 3, 4, 3, 4, 4, 2, 3),
        full(3, 3, 3, 4, 3, 3, 4, 2, 3),
    ]
    r = compute_ikm(rows)
    assert [e.nrr for e in r.elements] == [
        Fraction(7, 2), Fraction(13, 4), 3, 4, 3, Fraction(15, 4), 4, 2, 3
    ]  # fmt: skip
    assert r.ikm == Fraction(59, 18)
    d = r.to_dict()
    assert d["ikm"] == 3.2778 and d["ikm_converted"] == 81.94
    assert (d["grade"], d["performance"]) == ("B", "Baik")
    assert d["respondents"] == 4
    assert d["elements"][7] == {
        "code": "U8", "name": "Penanganan Pengaduan, Saran dan Masukan", "respondents": 4, "total": 8,
        "nrr": 2.0, "nrr_converted": 50.0,
    }  # fmt: skip


def test_exactly_on_the_lower_bound_of_c() -> None:
    # 5 respondents, each element answered 3,3,3,2,2: NRR 13/5 = 2.6 everywhere; IKM 2.6; x25 = 65.00 exactly
    rows = [full(*([v] * 9)) for v in (3, 3, 3, 2, 2)]
    r = compute_ikm(rows)
    assert r.ikm == Fraction(13, 5)
    assert r.converted == Decimal("65.00")
    assert r.category is not None and r.category.grade == "C"  # 65,00 opens C; 64,99 would be D
    below = compute_ikm([*rows[:-1], full(2, 2, 2, 2, 2, 2, 2, 2, 1)])  # one value less: 116/45*25 = 64.44
    assert below.converted == Decimal("64.44") and below.category is not None and below.category.grade == "D"


def test_a_and_b_meet_between_88_30_and_88_31() -> None:
    # 24 respondents, 216 values summing 763 (101 threes, 115 fours): 763/216*25 = 88.3102 -> 88.31 -> A
    a = compute_ikm(respondents_with_sum(24, 101))
    assert a.ikm == Fraction(763, 216) and a.converted == Decimal("88.31")
    assert a.category is not None and a.category.grade == "A"
    # 19 respondents, 171 values summing 604 (80 threes): 604/171*25 = 88.3041 -> 88.30 -> B
    b = compute_ikm(respondents_with_sum(19, 80))
    assert b.ikm == Fraction(604, 171) and b.converted == Decimal("88.30")
    assert b.category is not None and b.category.grade == "B"


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        ("100", "A"), ("88.31", "A"), ("88.305", "A"), ("88.3049", "B"), ("88.30", "B"), ("76.61", "B"),
        ("76.60", "C"), ("65.00", "C"), ("64.99", "D"), ("64.995", "C"), ("25", "D"),
    ],
)  # fmt: skip
def test_category_intervals(value: str, grade: str) -> None:
    assert category_for(Decimal(value)).grade == grade


def test_regulations_own_example() -> None:
    # "NRR tertimbang total 3,6224 -> IKM = 3,6224 x 25 = 90,56 -> mutu A (Sangat Baik)"
    cat = category_for(Decimal("3.6224") * 25)
    assert (cat.grade, cat.performance) == ("A", "Sangat Baik")


def test_partial_answers_use_each_elements_own_respondents() -> None:
    # R1 answered all with 4; R2 answered all with 3 but skipped U4; R3 answered only U1 = 2 and left.
    # U1: (4+3+2)/3 = 3; U4: 4/1 = 4; U2,U3,U5..U9: (4+3)/2 = 3.5
    # IKM = (3 + 4 + 7 x 3.5)/9 = 31.5/9 = 3.5; x25 = 87.50 -> B
    r2 = full(3, 3, 3, 3, 3, 3, 3, 3, 3) | {"U4": None}
    r3: dict[str, int | None] = {"U1": 2} | dict.fromkeys(CODES[1:])
    r = compute_ikm([full(*[4] * 9), r2, r3])
    assert r.respondents == 3
    assert r.elements[0].respondents == 3 and r.elements[3].respondents == 1
    assert r.ikm == Fraction(7, 2) and r.converted == Decimal("87.50")
    assert r.category is not None and r.category.grade == "B"
    assert not any("Unsur tanpa jawaban" in w for w in r.warnings)


def test_a_respondent_who_skipped_everything_is_not_counted() -> None:
    r = compute_ikm([dict.fromkeys(CODES), full(*[4] * 9)])
    assert r.respondents == 1 and r.converted == Decimal("100.00")


def test_no_responses() -> None:
    r = compute_ikm([])
    d = r.to_dict()
    assert d["respondents"] == 0 and d["ikm"] is None and d["ikm_converted"] is None and d["grade"] is None
    assert all(e["nrr"] is None and e["respondents"] == 0 for e in d["elements"])
    assert any("Belum ada responden" in w for w in d["warnings"])


def test_quick_mode_answers_cover_one_element_only() -> None:
    r = compute_ikm([{"U3": 4}, {"U3": 3}])
    assert r.ikm == Fraction(7, 2) and r.converted == Decimal("87.50")
    assert any("Unsur tanpa jawaban: U1, U2, U4" in w for w in r.warnings)


def test_rounded_weight_0_111_as_some_spreadsheets_do() -> None:
    r = compute_ikm([full(*[4] * 9)], weight=Fraction(111, 1000))
    assert r.converted == Decimal("99.90")


def test_value_outside_the_scale_is_rejected() -> None:
    with pytest.raises(ValueError, match="outside 1-4"):
        compute_ikm([{"U1": 5}])


@pytest.mark.parametrize(
    ("population", "sample"),
    [(None, 384), (0, 0), (7, 7), (10, 10), (100, 80), (101, 86), (1000, 278), (10_000, 370), (2_000_000, 384)],
)
def test_required_sample_krejcie_morgan(population: int | None, sample: int) -> None:
    assert required_sample(population) == sample


def test_sample_table_matches_the_formula() -> None:
    for n, s in method().sample_table:
        assert round(krejcie_morgan(n)) == s, n


def test_sample_warning() -> None:
    rows = [full(*[3] * 9)] * 79
    assert not compute_ikm(rows, population=100).sample_sufficient
    enough = compute_ikm([*rows, full(*[3] * 9)], population=100)
    assert enough.sample_sufficient and not any("sampel minimal" in w for w in enough.warnings)
    assert any("kurang dari sampel minimal 80" in w for w in compute_ikm(rows, population=100).warnings)
