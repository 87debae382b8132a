"""Loading the search dev/test sets (tests/data/*.jsonl)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "data" / "search_dev.jsonl"
HELDOUT = ROOT / "tests" / "data" / "search_heldout.jsonl"


@dataclass(frozen=True)
class Case:
    """One query with its accepted answers (empty = out of scope)."""

    query: str
    gold: tuple[str, ...]
    kind: str

    @property
    def in_scope(self) -> bool:
        """True when some service answers the query."""
        return bool(self.gold)


def load_cases(path: Path) -> list[Case]:
    """Read a JSON-lines set: {"query", "gold": id | [ids] | null, "kind"}."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        gold = row.get("gold")
        golds = tuple(gold) if isinstance(gold, list) else ((gold,) if gold else ())
        cases.append(Case(row["query"], golds, row.get("kind", "plain")))
    return cases
