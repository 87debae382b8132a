"""Deleting a resident's personal data on request (UU PDP 27/2022)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import Engine, MetaData, delete

from mpp.console.models import AuditEntry
from mpp.db import session_scope

__all__ = ["delete_resident", "mask_sender"]

log = logging.getLogger(__name__)
_KEEP = frozenset({"audit_log", "alembic_version"})


def mask_sender(sender: str) -> str:
    """A sender id with the middle of its number hidden (for roles that do not need the phone)."""
    channel, _, ident = sender.rpartition(":")
    if len(ident) <= 4:
        return sender
    hidden = ident[:3] + "•" * max(len(ident) - 6, 2) + ident[-3:]
    return f"{channel}:{hidden}" if channel else hidden


def delete_resident(engine: Engine, sender: str, actor: str) -> tuple[str, dict[str, int]]:
    """Delete every row whose `sender` column is this resident, in every table; returns (reference, counts)."""
    meta = MetaData()
    meta.reflect(bind=engine)
    counts: dict[str, int] = {}
    reference = uuid.uuid4().hex[:12]
    with session_scope(engine) as db:
        # Children before parents, so foreign keys never block a delete.
        for table in reversed(meta.sorted_tables):
            if table.name in _KEEP or "sender" not in table.c:
                continue
            result = db.execute(delete(table).where(table.c.sender == sender))
            counts[table.name] = int(getattr(result, "rowcount", 0) or 0)
        total = sum(counts.values())
        # The audit keeps what was done and how much, never who the resident was.
        db.add(
            AuditEntry(
                actor=actor,
                action="privacy_delete",
                entity="resident",
                entity_id=reference,
                before=None,
                after={"rows": counts, "total": total},
                note="hapus data pribadi atas permintaan",
            )
        )
    log.info("resident data deleted", extra={"reference": reference, "rows": counts, "actor": actor})
    return reference, counts
