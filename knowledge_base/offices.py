"""Offices (MPP Tenggarong and the 20 Mini MPP): hours, counters, which services each offers and when."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from knowledge_base.schema import Catalogue, Place, Service

__all__ = ["WEEKDAYS", "Hours", "Office", "OfficeDirectory", "ServiceRule", "load_offices"]

DATA = Path(__file__).parent / "data" / "offices.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hours(_Strict):
    """An opening window within one day, e.g. 08:00-15:00."""

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> Hours:
        """Read "HH:MM-HH:MM"."""
        a, b = (part.strip() for part in text.split("-", 1))
        return cls(start=dt.time.fromisoformat(a), end=dt.time.fromisoformat(b))

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        if self.end <= self.start:
            raise ValueError("closing time must be after opening time")
        return self

    def label(self) -> str:
        """08.00–15.00, the Indonesian way."""
        return f"{self.start:%H.%M}–{self.end:%H.%M}"


def _hours_map(value: object) -> dict[str, Hours]:
    if not isinstance(value, dict):
        raise ValueError("hours must map weekday -> 'HH:MM-HH:MM'")
    out: dict[str, Hours] = {}
    for day, span in value.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}")
        out[day] = span if isinstance(span, Hours) else Hours.parse(str(span))
    return out


class Office(_Strict):
    """One place where residents are served and can book a visit."""

    id: str
    name: str
    kind: str = Field(pattern="^(mpp|mini_mpp)$")
    kecamatan: str
    address: str
    lat: float
    lon: float
    coords_note: str
    counters: int = Field(ge=1, description="residents per slot: per tenant counter at MPP, per desk at a Mini MPP")
    serves: tuple[Place, ...]
    hours: dict[str, Hours] = Field(default_factory=dict)
    slot_minutes: int = Field(default=30, ge=10, le=240)
    exclude_services: tuple[str, ...] = ()

    _hours = field_validator("hours", mode="before")(lambda v: _hours_map(v) if v else {})


class ServiceRule(_Strict):
    """When a service is served at an office: weekdays, a narrower window and a daily quota."""

    office: str
    tenant: str | None = None
    services: tuple[str, ...] = ()
    weekdays: tuple[str, ...] = WEEKDAYS[:5]
    hours: Hours | None = None
    daily_quota: int | None = Field(default=None, ge=1)
    note: str | None = None
    source: str | None = None

    @field_validator("hours", mode="before")
    @classmethod
    def _parse_hours(cls, v: object) -> object:
        return Hours.parse(v) if isinstance(v, str) else v

    def applies(self, service: Service) -> bool:
        """True when this rule is about the service (by id, or by its tenant)."""
        return service.id in self.services or (self.tenant is not None and service.tenant == self.tenant)


class _File(_Strict):
    meta: dict[str, object] = Field(default_factory=dict)
    defaults: dict[str, object]
    offices: tuple[dict[str, object], ...]
    schedules: tuple[ServiceRule, ...] = ()
    not_bookable: tuple[dict[str, object], ...] = ()


class OfficeDirectory:
    """The offices, with the catalogue, answering "who serves what, when"."""

    def __init__(
        self,
        offices: list[Office],
        rules: list[ServiceRule],
        not_bookable: dict[str, str],
        catalogue: Catalogue,
    ) -> None:
        self.offices = {o.id: o for o in offices}
        self.rules = rules
        self.not_bookable = not_bookable
        self.catalogue = catalogue
        self.services = {s.id: s for s in catalogue.services}

    def get(self, office_id: str) -> Office | None:
        """The office with this id."""
        return self.offices.get(office_id)

    def service(self, service_id: str) -> Service | None:
        """A live (not retired) service of the catalogue."""
        svc = self.services.get(service_id)
        return svc if svc is not None and not svc.retired else None

    def why_not_bookable(self, service: Service) -> str | None:
        """Why the service cannot be booked at any office (data's reason or its where_note), else None."""
        if service.id in self.not_bookable:
            return self.not_bookable[service.id]
        if not self.offices_for(service):
            return service.where_note or ""
        return None

    def offices_for(self, service: Service) -> list[Office]:
        """Offices that offer this service for a booked visit."""
        if service.id in self.not_bookable:
            return []
        return [
            o
            for o in self.offices.values()
            if set(o.serves) & set(service.where) and service.id not in o.exclude_services
        ]

    def rule(self, office: Office, service: Service) -> ServiceRule | None:
        """The schedule rule for this service at this office, if any."""
        for r in self.rules:
            if r.office == office.id and r.applies(service):
                return r
        return None

    def hours_on(self, office: Office, service: Service, day: dt.date) -> Hours | None:
        """Opening window for this service at this office on that weekday (None = not served that day)."""
        wd = WEEKDAYS[day.weekday()]
        base = office.hours.get(wd)
        if base is None:
            return None
        r = self.rule(office, service)
        if r is None:
            return base
        if wd not in r.weekdays:
            return None
        if r.hours is None:
            return base
        start, end = max(base.start, r.hours.start), min(base.end, r.hours.end)
        return Hours(start=start, end=end) if end > start else None

    def daily_quota(self, office: Office, service: Service) -> int | None:
        """Per-service daily quota at this office (None = only slot capacity limits)."""
        r = self.rule(office, service)
        return r.daily_quota if r else None


def load_offices(catalogue: Catalogue, path: Path = DATA) -> OfficeDirectory:
    """Read and validate offices.yaml against the catalogue."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = _File.model_validate(raw)
    defaults = data.defaults
    offices = []
    for entry in data.offices:
        merged: dict[str, object] = {
            "hours": defaults.get("hours", {}),
            "slot_minutes": defaults.get("slot_minutes", 30),
            **entry,
        }
        offices.append(Office.model_validate(merged))
    known = {s.id for s in catalogue.services}
    ids = [o.id for o in offices]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate office ids in offices.yaml")
    for r in data.schedules:
        if r.office not in ids:
            raise ValueError(f"schedule for unknown office {r.office!r}")
        for sid in r.services:
            if sid not in known:
                raise ValueError(f"schedule names unknown service {sid!r}")
    not_bookable: dict[str, str] = {}
    for entry in data.not_bookable:
        services = entry.get("services") or []
        reason = str(entry.get("reason", ""))
        for sid in services if isinstance(services, list) else []:
            if sid not in known:
                raise ValueError(f"not_bookable names unknown service {sid!r}")
            not_bookable[str(sid)] = reason
    return OfficeDirectory(offices, list(data.schedules), not_bookable, catalogue)
