"""Loading and checking the service catalogue from its YAML files."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge_base.schema import Catalogue, Service, Tenant, TenantFile

__all__ = ["CatalogueError", "ValidationReport", "catalogue_digest", "load_catalogue", "validate_catalogue"]


class CatalogueError(ValueError):
    """The catalogue files do not form a valid catalogue."""


@dataclass
class ValidationReport:
    """What `mpp kb validate` found."""

    files: int = 0
    services: int = 0
    tenants: int = 0
    verified: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return not self.errors


def _tenant_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))


def catalogue_digest(directory: Path) -> str:
    """A content hash of every catalogue file (decides when the search index is stale)."""
    h = hashlib.sha256()
    for p in _tenant_files(directory):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _check(files: Iterable[tuple[Path, TenantFile]], report: ValidationReport) -> tuple[list[Tenant], list[Service]]:
    tenants: dict[str, Tenant] = {}
    services: dict[str, Service] = {}
    for path, tf in files:
        if tf.tenant.id in tenants:
            report.errors.append(f"{path.name}: tenant id {tf.tenant.id!r} defined twice")
        if path.stem != tf.tenant.id:
            report.errors.append(f"{path.name}: file name must be the tenant id ({tf.tenant.id}.yaml)")
        tenants[tf.tenant.id] = tf.tenant
        for s in tf.services:
            if s.id in services:
                report.errors.append(
                    f"{path.name}: service id {s.id!r} already used by tenant {services[s.id].tenant!r}"
                )
                continue
            if s.tenant not in (tf.tenant.id, ""):
                report.errors.append(f"{path.name}: service {s.id!r} names unknown tenant {s.tenant!r}")
            if any(not r.strip() for r in s.requirements):
                report.errors.append(f"{path.name}: service {s.id!r} has an empty requirement")
            services[s.id] = s
    return list(tenants.values()), list(services.values())


def validate_catalogue(directory: Path) -> ValidationReport:
    """Check every file: schema, unique ids, known tenants, non-empty requirements, sources."""
    report = ValidationReport()
    parsed: list[tuple[Path, TenantFile]] = []
    for path in _tenant_files(directory):
        report.files += 1
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            parsed.append((path, TenantFile.model_validate(data)))
        except yaml.YAMLError as exc:
            report.errors.append(f"{path.name}: not valid YAML: {exc}")
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"])
                report.errors.append(f"{path.name}: {loc}: {err['msg']}")
    if not report.files:
        report.errors.append(f"no catalogue files in {directory}")
    tenants, services = _check(parsed, report)
    report.tenants, report.services = len(tenants), len(services)
    report.verified = sum(s.verified for s in services)
    return report


def load_catalogue(directory: Path) -> Catalogue:
    """Load the catalogue, raising CatalogueError with every problem when it is invalid."""
    report = ValidationReport()
    parsed = []
    for path in _tenant_files(directory):
        try:
            parsed.append((path, TenantFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))))
        except (yaml.YAMLError, ValidationError) as exc:
            raise CatalogueError(f"{path.name}: {exc}") from exc
    tenants, services = _check(parsed, report)
    if report.errors:
        raise CatalogueError("; ".join(report.errors))
    return Catalogue(tenants=tuple(tenants), services=tuple(services))
