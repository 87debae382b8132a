"""Typed schema of the service catalogue (one YAML file per tenant)."""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Catalogue", "Fee", "Mode", "OnlineChannel", "Place", "Presence", "Service", "Tenant", "TenantFile"]

_ID_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


class Mode(str, Enum):
    """How a resident can get the service."""

    ONLINE = "online"
    HYBRID = "hybrid"
    IN_PERSON = "in_person"


class Place(str, Enum):
    """Where a service is served."""

    MPP_TENGGARONG = "mpp_tenggarong"
    MINI_MPP = "mini_mpp"
    ONLINE = "online"
    ELSEWHERE = "elsewhere"


class Presence(str, Enum):
    """How sure we are that a tenant really has a counter at MPP Kukar."""

    CONFIRMED = "confirmed"
    LIKELY = "likely"
    PLANNED = "planned"
    UNVERIFIED = "unverified"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Fee(_Strict):
    """A fee as published; `amount` stays None when no source states it."""

    amount: str | None = Field(default=None, description='e.g. "Gratis", "Rp350.000"; None = unknown')
    free: bool | None = None
    legal_basis: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Fee:
        if (
            self.free is True
            and self.amount
            and "gratis" not in self.amount.lower()
            and "rp0" not in self.amount.lower()
        ):
            raise ValueError("free fee must read 'Gratis' or 'Rp0'")
        if self.amount and self.free is not True and not self.legal_basis:
            raise ValueError("a non-free amount needs its legal_basis (no invented fees)")
        return self


class OnlineChannel(_Strict):
    """The official app or site for the online part of a service."""

    name: str
    url: str | None = None


class Service(_Strict):
    """One service of one tenant."""

    id: str
    name: str
    tenant: str = Field(default="", description="filled from the file's tenant when omitted")
    category: str
    summary: str
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = Field(default=(), description="questions as residents ask them (search training)")
    requirements: tuple[str, ...]
    steps: tuple[str, ...] = ()
    fee: Fee = Fee()
    duration: str | None = None
    mode: Mode
    online: tuple[OnlineChannel, ...] = ()
    where: tuple[Place, ...]
    where_note: str | None = None
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...]
    last_reviewed: dt.date
    verified: bool = False
    retired: bool = False

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"id {v!r} must be lower_snake_case")
        return v

    @field_validator("requirements", "sources", "where")
    @classmethod
    def _non_empty(cls, v: tuple[object, ...]) -> tuple[object, ...]:
        if not v:
            raise ValueError("must not be empty")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> Service:
        if self.mode in (Mode.ONLINE, Mode.HYBRID) and not self.online:
            raise ValueError("online/hybrid service must name its official app or site in `online`")
        if Place.ELSEWHERE in self.where and not self.where_note:
            raise ValueError("`where: elsewhere` needs a where_note saying where")
        return self


class Tenant(_Strict):
    """An agency with a counter (or planned counter) at MPP Kukar."""

    id: str
    name: str
    short_name: str
    kind: str = Field(description="opd, vertikal, bumn, bumd, bank, pengadilan")
    presence: Presence
    presence_note: str | None = None
    contact: str | None = None
    sources: tuple[str, ...]

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"tenant id {v!r} must be lower_snake_case")
        return v


class TenantFile(_Strict):
    """The content of one `data/tenants/<tenant>.yaml` file."""

    tenant: Tenant
    services: tuple[Service, ...]

    @model_validator(mode="before")
    @classmethod
    def _fill_tenant(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("tenant"), dict):
            tid = data["tenant"].get("id", "")
            for s in data.get("services") or []:
                if isinstance(s, dict):
                    s.setdefault("tenant", tid)
        return data


class Catalogue(_Strict):
    """All tenants and their services."""

    tenants: tuple[Tenant, ...]
    services: tuple[Service, ...]

    def service(self, service_id: str) -> Service:
        """Return the service with this id (KeyError when unknown)."""
        for s in self.services:
            if s.id == service_id:
                return s
        raise KeyError(service_id)

    def tenant(self, tenant_id: str) -> Tenant:
        """Return the tenant with this id (KeyError when unknown)."""
        for t in self.tenants:
            if t.id == tenant_id:
                return t
        raise KeyError(tenant_id)
