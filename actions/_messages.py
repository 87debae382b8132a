"""The resident-facing texts of the actions (actions/data/messages.yml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["messages"]

_DATA = Path(__file__).parent / "data"


@lru_cache(maxsize=8)
def messages(skill: str = "messages") -> dict[str, Any]:
    """The message templates of actions/data/<skill>.yml (the shared ones by default), read once."""
    data: dict[str, Any] = yaml.safe_load((_DATA / f"{skill}.yml").read_text(encoding="utf-8"))
    return data
