"""The IKM (Indeks Kepuasan Masyarakat) exactly as PermenPANRB 14/2017 computes it; pure functions.

Per element: NRR = sum of the values / number of respondents who answered that element (a skipped
element counts neither in the sum nor in the denominator). IKM (1-4) = sum of NRR x weight, the
weight being 1/9 (written 0,111 in the regulation), computed exactly as a fraction. The converted IKM
(25-100) = IKM x 25, rounded half-up to 2 decimals (the precision of the official intervals) before it
is placed in a category: 88,31 and above is A, 88,30 is B.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from mpp.survey._data import Category, method

__all__ = [
    "ElementScore",
    "IkmResult",
    "category_for",
    "compute_ikm",
    "krejcie_morgan",
    "required_sample",
    "to_decimal",
]

Answers = Mapping[str, int | None]
LARGE_POPULATION_SAMPLE = 384  # the table's value for N = 1,000,000 and beyond


def to_decimal(value: Fraction, places: int) -> Decimal:
    """Round a fraction half-up to this many decimals (exact, no binary floats involved)."""
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum, rounding=ROUND_HALF_UP)


def category_for(converted: Decimal) -> Category:
    """The grade of a converted IKM (25-100), after rounding it to 2 decimals."""
    value = converted.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    cats = method().categories
    for cat in cats:
        if value >= cat.minimum:
            return cat
    return cats[-1]


def krejcie_morgan(population: int) -> float:
    """Krejcie & Morgan's S for a population N (chi-square 3.841, P = 0.5, d = 0.05), unrounded."""
    chi2, p, d = 3.841, 0.5, 0.05
    return chi2 * population * p * (1 - p) / (d * d * (population - 1) + chi2 * p * (1 - p))


def required_sample(population: int | None) -> int:
    """Minimum respondents for a population, from the Krejcie-Morgan table the method refers to.

    Between two rows the larger population's row is used (the conservative reading); below the first
    row every recipient is asked; an unknown population gets the table's large-population value.
    """
    if population is None:
        return LARGE_POPULATION_SAMPLE
    if population <= 0:
        return 0
    table = method().sample_table
    if population < table[0][0]:
        return population
    for n, s in table:
        if population <= n:
            return s
    return LARGE_POPULATION_SAMPLE


@dataclass(frozen=True)
class ElementScore:
    """One element's respondents, sum and NRR (average value, 1-4)."""

    code: str
    name: str
    respondents: int
    total: int
    nrr: Fraction | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (NRR to 4 decimals, NRR x 25 to 2)."""
        return {
            "code": self.code,
            "name": self.name,
            "respondents": self.respondents,
            "total": self.total,
            "nrr": float(to_decimal(self.nrr, 4)) if self.nrr is not None else None,
            "nrr_converted": float(to_decimal(self.nrr * method().conversion, 2)) if self.nrr is not None else None,
        }


@dataclass(frozen=True)
class IkmResult:
    """The index of one group of responses, with what the method says about its sample."""

    respondents: int
    elements: tuple[ElementScore, ...]
    ikm: Fraction | None  # 1-4 scale, exact
    population: int | None
    required_sample: int
    warnings: tuple[str, ...] = field(default=())

    @property
    def converted(self) -> Decimal | None:
        """IKM x 25 rounded half-up to 2 decimals (the IKM unit pelayanan)."""
        return None if self.ikm is None else to_decimal(self.ikm * method().conversion, 2)

    @property
    def category(self) -> Category | None:
        """Grade A-D of the converted IKM."""
        return None if self.converted is None else category_for(self.converted)

    @property
    def sample_sufficient(self) -> bool:
        """True when at least as many respondents as the method asks for answered."""
        return self.respondents >= self.required_sample

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        cat = self.category
        return {
            "respondents": self.respondents,
            "ikm": float(to_decimal(self.ikm, 4)) if self.ikm is not None else None,
            "ikm_converted": float(self.converted) if self.converted is not None else None,
            "grade": cat.grade if cat else None,
            "performance": cat.performance if cat else None,
            "population": self.population,
            "required_sample": self.required_sample,
            "sample_sufficient": self.sample_sufficient,
            "warnings": list(self.warnings),
            "elements": [e.to_dict() for e in self.elements],
        }


def compute_ikm(
    responses: Iterable[Answers],
    *,
    population: int | None = None,
    weight: Fraction | None = None,
) -> IkmResult:
    """IKM of these responses (each a mapping element code -> 1..4, or None when skipped).

    `weight` defaults to 1 / (number of elements with at least one answer), i.e. 1/9 when every
    element was answered by someone; pass Fraction(111, 1000) to reproduce spreadsheets that use 0,111.
    """
    m = method()
    totals = dict.fromkeys(m.codes, 0)
    counts = dict.fromkeys(m.codes, 0)
    respondents = 0
    for answers in responses:
        answered = False
        for code, value in answers.items():
            if code not in totals or value is None:
                continue
            if not 1 <= int(value) <= 4:
                raise ValueError(f"{code}: value {value} outside 1-4")
            totals[code] += int(value)
            counts[code] += 1
            answered = True
        respondents += answered
    scores = tuple(
        ElementScore(
            e.code,
            e.name,
            counts[e.code],
            totals[e.code],
            Fraction(totals[e.code], counts[e.code]) if counts[e.code] else None,
        )
        for e in m.elements
    )
    answered_scores = [s.nrr for s in scores if s.nrr is not None]
    warnings: list[str] = []
    ikm: Fraction | None = None
    if answered_scores:
        w = weight if weight is not None else Fraction(1, len(answered_scores))
        ikm = sum((nrr * w for nrr in answered_scores), Fraction(0))
        missing = [s.code for s in scores if s.nrr is None]
        if missing:
            warnings.append(
                f"Unsur tanpa jawaban: {', '.join(missing)}; IKM dihitung dari {len(answered_scores)} unsur."
            )
    else:
        warnings.append("Belum ada responden: IKM belum dapat dihitung.")
    required = required_sample(population)
    if respondents < required:
        basis = f"populasi {population}" if population is not None else "populasi tidak diketahui, dianggap besar"
        warnings.append(f"Responden {respondents} kurang dari sampel minimal {required} ({basis}, Krejcie-Morgan).")
    return IkmResult(respondents, scores, ikm, population, required, tuple(warnings))


def _check_table() -> list[tuple[int, int, int]]:
    """Rows where the stored table and the formula disagree (used by the tests)."""
    return [(n, s, round(krejcie_morgan(n))) for n, s in method().sample_table if round(krejcie_morgan(n)) != s]
