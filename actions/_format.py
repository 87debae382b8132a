"""Formatting a catalogue entry as a chat answer for one aspect (requirements, fee, ...)."""

from __future__ import annotations

from actions._messages import messages
from knowledge_base.schema import Mode, Service, Tenant

__all__ = ["ASPECTS", "format_service_answer"]

ASPECTS = ("persyaratan", "biaya", "lama", "online", "lokasi", "jadwal", "prosedur", "dasar_hukum")


def _numbered(items: tuple[str, ...]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def _fee_line(s: Service) -> str:
    m = messages()["service"]
    if not s.fee.amount:
        return str(m["fee_unknown"])
    line = m["fee"].format(amount=s.fee.amount)
    if s.fee.legal_basis:
        line += m["fee_basis"].format(basis=s.fee.legal_basis)
    return str(line)


def _duration_line(s: Service) -> str:
    m = messages()["service"]
    return str(m["duration"].format(duration=s.duration) if s.duration else m["duration_unknown"])


def _mode_line(s: Service) -> str:
    m = messages()["service"]
    channels = ", ".join(c.name for c in s.online) or "-"
    key = {Mode.ONLINE: "mode_online", Mode.HYBRID: "mode_hybrid", Mode.IN_PERSON: "mode_in_person"}[s.mode]
    return str(m[key].format(channels=channels))


def _where_lines(s: Service) -> list[str]:
    m = messages()["service"]
    places = ", ".join(m["places"][p.value] for p in s.where)
    lines = [m["where_title"].format(places=places)]
    if s.where_note:
        lines.append(m["where_note"].format(note=s.where_note))
    return lines


def format_service_answer(service: Service, tenant: Tenant, aspect: str | None = None) -> str:
    """The answer to "what does this service need" or to one aspect of it."""
    m = messages()["service"]
    parts = [m["header"].format(name=service.name, tenant=tenant.short_name)]
    if aspect in (None, "persyaratan"):
        parts.append(m["requirements_title"] + "\n" + _numbered(service.requirements))
        parts.append("\n".join([_fee_line(service), _duration_line(service), _mode_line(service)]))
    elif aspect == "biaya":
        parts.append(_fee_line(service))
    elif aspect == "lama":
        parts.append(_duration_line(service))
    elif aspect == "online":
        parts.append(_mode_line(service))
    elif aspect == "lokasi":
        parts.append("\n".join(_where_lines(service)))
    elif aspect == "jadwal":
        note = tenant.presence_note
        parts.append(
            m["schedule"].format(tenant=tenant.short_name, note=note)
            if note
            else m["schedule_unknown"].format(tenant=tenant.short_name)
        )
    elif aspect == "prosedur":
        steps = service.steps or service.requirements
        parts.append(m["steps_title"] + "\n" + _numbered(steps))
    elif aspect == "dasar_hukum":
        basis = service.fee.legal_basis
        parts.append(m["legal_basis"].format(basis=basis) if basis else m["legal_unknown"])
    if not service.verified:
        parts.append(m["unverified"])
    if aspect in (None, "persyaratan"):
        parts.append(m["more"])
    return "\n\n".join(parts)
