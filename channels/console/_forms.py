"""The service form: HTML fields to a catalogue document and back (lists are one item per line)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData

from knowledge_base.schema import Mode, Place

__all__ = ["LIST_FIELDS", "MODE_LABELS", "PLACE_LABELS", "document_from_form", "form_from_document"]

LIST_FIELDS = ("aliases", "keywords", "examples", "requirements", "steps", "notes", "sources")
MODE_LABELS = {
    Mode.IN_PERSON.value: "Datang langsung",
    Mode.HYBRID.value: "Sebagian online",
    Mode.ONLINE.value: "Online",
}
PLACE_LABELS = {
    Place.MPP_TENGGARONG.value: "MPP Kukar (Tenggarong)",
    Place.MINI_MPP.value: "Mini MPP kecamatan",
    Place.ONLINE.value: "Online",
    Place.ELSEWHERE.value: "Kantor instansi",
}


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r", "").split("\n") if line.strip()]


def _opt(value: str) -> str | None:
    return value.strip() or None


def document_from_form(form: FormData, *, service_id: str, tenant: str) -> dict[str, Any]:
    """A service document from the submitted form (validated later against the schema)."""

    def get(name: str) -> str:
        return str(form.get(name) or "")

    online = []
    for line in _lines(get("online")):
        name, _, url = (part.strip() for part in line.partition("|"))
        online.append({"name": name, "url": url or None})
    free = get("fee_free")
    doc: dict[str, Any] = {
        "id": service_id,
        "tenant": tenant,
        "name": get("name").strip(),
        "category": get("category").strip(),
        "summary": get("summary").strip(),
        **{f: _lines(get(f)) for f in LIST_FIELDS},
        "fee": {
            "amount": _opt(get("fee_amount")),
            "free": {"true": True, "false": False}.get(free),
            "legal_basis": _opt(get("fee_legal_basis")),
            "note": _opt(get("fee_note")),
        },
        "duration": _opt(get("duration")),
        "mode": get("mode"),
        "online": online,
        "where": [str(w) for w in form.getlist("where")],
        "where_note": _opt(get("where_note")),
        "last_reviewed": get("last_reviewed") or dt.date.today().isoformat(),
        "verified": get("verified") == "on",
        "retired": get("retired") == "on",
    }
    return doc


def form_from_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Field values for the form from a stored document."""
    fee = doc.get("fee") or {}
    free = fee.get("free")
    return {
        **{k: doc.get(k) or "" for k in ("id", "tenant", "name", "category", "summary", "duration", "where_note")},
        **{f: "\n".join(doc.get(f) or []) for f in LIST_FIELDS},
        "fee_amount": fee.get("amount") or "",
        "fee_free": "" if free is None else ("true" if free else "false"),
        "fee_legal_basis": fee.get("legal_basis") or "",
        "fee_note": fee.get("note") or "",
        "mode": doc.get("mode") or Mode.IN_PERSON.value,
        "online": "\n".join(
            f"{c['name']} | {c['url']}" if c.get("url") else c["name"] for c in doc.get("online") or []
        ),
        "where": list(doc.get("where") or []),
        "last_reviewed": str(doc.get("last_reviewed") or dt.date.today().isoformat()),
        "verified": bool(doc.get("verified")),
        "retired": bool(doc.get("retired")),
    }
