"""Office settings staff change in the console: opening hours, counters, slot length, schedule quotas.

The YAML file (`knowledge_base/data/offices.yaml`) stays the default. Each change is an append-only
audit entry (`entity` `office_settings` or `office_rule`) holding the office's (or schedule rule's)
new values; the newest entry per office wins, so the audit log is both the history and the store,
and a revert is one more entry. Publishing bumps the catalogue version, which the action server
follows (`mpp.console.live.follow_in_bookings`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from mpp.console.catalogue import CatalogueChangeError, bump_version
from mpp.console.models import AuditEntry

if TYPE_CHECKING:
    from knowledge_base.offices import OfficeDirectory
    from knowledge_base.schema import Catalogue

__all__ = [
    "OFFICE_KEYS",
    "RULE_KEYS",
    "load_effective_offices",
    "office_changes",
    "publish_office",
    "publish_rule",
    "revert_office_change",
]

OFFICE_KEYS = ("hours", "counters", "slot_minutes")
RULE_KEYS = ("weekdays", "hours", "daily_quota")
_ENTITIES = ("office_settings", "office_rule")


def _base_file() -> Path:
    from knowledge_base.offices import DATA

    return DATA


def office_changes(db: Session) -> tuple[dict[str, dict[str, Any]], dict[int, dict[str, Any]]]:
    """The newest published values per office and per schedule rule (by its position in the file)."""
    offices: dict[str, dict[str, Any]] = {}
    rules: dict[int, dict[str, Any]] = {}
    q = select(AuditEntry).where(AuditEntry.entity.in_(_ENTITIES)).order_by(AuditEntry.id)
    for e in db.scalars(q):
        if e.entity == "office_settings":
            offices[e.entity_id] = dict(e.after or {})
        else:
            rules[int(e.entity_id)] = dict(e.after or {})
    return offices, rules


def _effective_raw(db: Session, base: Path, extra: tuple[str, str, dict[str, Any]] | None = None) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(base.read_text(encoding="utf-8"))
    offices, rules = office_changes(db)
    if extra is not None:
        kind, key, values = extra
        if kind == "office_settings":
            offices[key] = values
        else:
            rules[int(key)] = values
    for entry in raw.get("offices") or []:
        _apply(entry, offices.get(str(entry.get("id")), {}))
    for i, rule in enumerate(raw.get("schedules") or []):
        _apply(rule, rules.get(i, {}))
    return raw


def _apply(target: dict[str, Any], values: dict[str, Any]) -> None:
    for key, value in values.items():
        if value is None:
            target.pop(key, None)  # e.g. no daily quota any more
        else:
            target[key] = value


def _load(raw: dict[str, Any], catalogue: Catalogue) -> OfficeDirectory:
    from knowledge_base.offices import load_offices

    fd, name = tempfile.mkstemp(suffix=".yaml", prefix="offices-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(raw, fh, allow_unicode=True, sort_keys=False)
        return load_offices(catalogue, Path(name))
    finally:
        Path(name).unlink(missing_ok=True)


def load_effective_offices(db: Session, catalogue: Catalogue, base: Path | None = None) -> OfficeDirectory:
    """The office directory with every published office change applied."""
    return _load(_effective_raw(db, base or _base_file()), catalogue)


def _publish(
    db: Session, actor: str, kind: str, key: str, values: dict[str, Any], catalogue: Catalogue, action: str
) -> AuditEntry:
    base = _base_file()
    try:
        _load(_effective_raw(db, base, (kind, key, values)), catalogue)
    except (ValidationError, ValueError) as exc:
        raise CatalogueChangeError([f"Pengaturan kantor tidak valid: {str(exc).splitlines()[0][:200]}"]) from exc
    offices, rules = office_changes(db)
    before = offices.get(key) if kind == "office_settings" else rules.get(int(key))
    entry = AuditEntry(actor=actor, action=action, entity=kind, entity_id=key, before=before, after=values)
    db.add(entry)
    bump_version(db)
    db.flush()
    return entry


def publish_office(db: Session, actor: str, office_id: str, values: dict[str, Any], catalogue: Catalogue) -> AuditEntry:
    """Change an office's opening hours ({weekday: "HH:MM-HH:MM"}), counters or slot minutes."""
    raw = yaml.safe_load(_base_file().read_text(encoding="utf-8"))
    if office_id not in {str(o.get("id")) for o in raw.get("offices") or []}:
        raise CatalogueChangeError(["Kantor tidak dikenal."])
    clean = {k: values[k] for k in OFFICE_KEYS if k in values}
    return _publish(db, actor, "office_settings", office_id, clean, catalogue, "publish")


def publish_rule(db: Session, actor: str, index: int, values: dict[str, Any], catalogue: Catalogue) -> AuditEntry:
    """Change a schedule rule's weekdays, hours or daily quota (None: no quota)."""
    raw = yaml.safe_load(_base_file().read_text(encoding="utf-8"))
    if not 0 <= index < len(raw.get("schedules") or []):
        raise CatalogueChangeError(["Jadwal tidak dikenal."])
    clean = {k: values[k] for k in RULE_KEYS if k in values}
    return _publish(db, actor, "office_rule", str(index), clean, catalogue, "publish")


def revert_office_change(db: Session, actor: str, entry: AuditEntry, catalogue: Catalogue) -> AuditEntry:
    """Undo an office change: its `before` values are published again (empty: back to the file)."""
    return _publish(db, actor, entry.entity, entry.entity_id, dict(entry.before or {}), catalogue, "revert")
