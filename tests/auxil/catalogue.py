"""Small catalogues for tests, written as real tenant files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TENANT = {
    "id": "disdukcapil",
    "name": "Disdukcapil Kukar",
    "short_name": "Dukcapil",
    "kind": "opd",
    "presence": "likely",
    "sources": ["https://example.id/sp"],
}


def service(sid: str, name: str, **kw: Any) -> dict[str, Any]:
    """A minimal valid service."""
    data: dict[str, Any] = {
        "id": sid,
        "name": name,
        "category": "kependudukan",
        "summary": f"Layanan {name}.",
        "requirements": ["KK asli"],
        "mode": "in_person",
        "where": ["mpp_tenggarong"],
        "sources": ["https://example.id/sp"],
        "last_reviewed": "2026-11-24",
    }
    data.update(kw)
    return data


def write_tenant(directory: Path, tenant: dict[str, Any], services: list[dict[str, Any]]) -> Path:
    """Write one tenant file and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{tenant['id']}.yaml"
    path.write_text(yaml.safe_dump({"tenant": tenant, "services": services}, allow_unicode=True), encoding="utf-8")
    return path
