"""The resident-facing texts of the actions (actions/data/messages.yml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["messages"]

_PATH = Path(__file__).parent / "data" / "messages.yml"


@lru_cache(maxsize=1)
def messages() -> dict[str, Any]:
    """All message templates, read once."""
    data: dict[str, Any] = yaml.safe_load(_PATH.read_text(encoding="utf-8"))
    return data
