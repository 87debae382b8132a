"""The published catalogue: YAML files overlaid with services published from the console.

The YAML files under `knowledge_base/data/tenants` stay the source of truth for a fresh install.
A published edit is a full service document in `published_services` that overrides (or adds to)
the YAML entry with the same id; every publish bumps `catalogue_state.version`, which the action
server polls to re-index its search engine live (see `mpp.console.live`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge_base.catalogue import catalogue_digest, load_catalogue
from knowledge_base.schema import Catalogue, Service, Tenant, TenantFile
from mpp.console._messages import validation_messages
from mpp.console.models import AuditEntry, CatalogueState, PublishedService, ServiceDraft

__all__ = [
    "CatalogueChangeError",
    "base_catalogue",
    "bump_version",
    "catalogue_version",
    "diff_documents",
    "discard_draft",
    "effective_catalogue",
    "export_catalogue",
    "import_catalogue",
    "publish_draft",
    "publish_service",
    "retire_service",
    "revert_change",
    "save_draft",
    "service_document",
    "tenant_yaml",
    "validate_service",
]

_BASE_CACHE: dict[tuple[str, str], Catalogue] = {}


class CatalogueChangeError(ValueError):
    """A change was refused; `messages` are shown to staff (Indonesian)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def base_catalogue(directory: Path) -> Catalogue:
    """The YAML catalogue (parsed again only when the files changed)."""
    key = (str(directory), catalogue_digest(directory))
    if key not in _BASE_CACHE:
        _BASE_CACHE.clear()
        _BASE_CACHE[key] = load_catalogue(directory)
    return _BASE_CACHE[key]


def catalogue_version(db: Session) -> int:
    """The version of the published catalogue (0 before the first publish)."""
    return int(db.scalar(select(CatalogueState.version).where(CatalogueState.id == 1)) or 0)


def bump_version(db: Session) -> int:
    """Increase the published version (the row is locked until the transaction ends)."""
    state = db.scalar(select(CatalogueState).where(CatalogueState.id == 1).with_for_update())
    if state is None:
        state = CatalogueState(id=1, version=0)
        db.add(state)
    state.version += 1
    state.updated_at = dt.datetime.now(dt.timezone.utc)
    db.flush()
    return state.version


def effective_catalogue(db: Session, directory: Path) -> Catalogue:
    """The YAML catalogue with every published service document applied."""
    base = base_catalogue(directory)
    services = {s.id: s for s in base.services}
    for row in db.scalars(select(PublishedService)):
        services[row.service_id] = Service.model_validate(row.data)
    return Catalogue(tenants=base.tenants, services=tuple(services.values()))


def service_document(service: Service) -> dict[str, Any]:
    """A service as a JSON-ready document (the shape stored, diffed and exported)."""
    return service.model_dump(mode="json")


def validate_service(data: dict[str, Any], catalogue: Catalogue, *, is_new: bool) -> Service:
    """Check a service document against the schema and the catalogue (CatalogueChangeError in Indonesian)."""
    try:
        service = Service.model_validate(data)
    except ValidationError as exc:
        raise CatalogueChangeError(validation_messages(exc)) from exc
    problems: list[str] = []
    if service.tenant not in {t.id for t in catalogue.tenants}:
        problems.append("Instansi tidak dikenal.")
    known = {s.id: s for s in catalogue.services}
    if is_new and service.id in known:
        problems.append(f"ID layanan '{service.id}' sudah dipakai; pilih ID lain.")
    if not is_new and service.id in known and known[service.id].tenant != service.tenant:
        problems.append("Instansi sebuah layanan tidak bisa dipindah; buat layanan baru.")
    if any(not r.strip() for r in service.requirements):
        problems.append("Persyaratan tidak boleh ada baris kosong.")
    if problems:
        raise CatalogueChangeError(problems)
    return service


def save_draft(db: Session, actor: str, data: dict[str, Any], catalogue: Catalogue, *, is_new: bool) -> Service:
    """Validate and keep a draft (nothing changes for residents until it is published)."""
    service = validate_service(data, catalogue, is_new=is_new)
    draft = db.get(ServiceDraft, service.id)
    if draft is None:
        draft = ServiceDraft(service_id=service.id, tenant=service.tenant, is_new=is_new)
        db.add(draft)
    draft.data = service_document(service)
    draft.updated_by = actor
    draft.updated_at = dt.datetime.now(dt.timezone.utc)
    db.flush()
    return service


def discard_draft(db: Session, service_id: str) -> bool:
    """Drop a draft; False when there was none."""
    draft = db.get(ServiceDraft, service_id)
    if draft is None:
        return False
    db.delete(draft)
    return True


def _current_document(db: Session, directory: Path, service_id: str) -> dict[str, Any] | None:
    row = db.get(PublishedService, service_id)
    if row is not None:
        return dict(row.data)
    try:
        return service_document(base_catalogue(directory).service(service_id))
    except KeyError:
        return None


def publish_service(
    db: Session,
    actor: str,
    document: dict[str, Any] | None,
    service_id: str,
    directory: Path,
    action: str,
    note: str = "",
) -> AuditEntry:
    """Make a document live (None removes a console-created service), audit it and bump the version."""
    before = _current_document(db, directory, service_id)
    version = bump_version(db)
    row = db.get(PublishedService, service_id)
    if document is None:
        if row is not None:
            db.delete(row)
    else:
        if row is None:
            row = PublishedService(service_id=service_id)
            db.add(row)
        row.tenant = str(document["tenant"])
        row.data = document
        row.version = version
        row.updated_by = actor
        row.updated_at = dt.datetime.now(dt.timezone.utc)
    tenant = (document or before or {}).get("tenant")
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity="service",
        entity_id=service_id,
        tenant=str(tenant) if tenant else None,
        before=before,
        after=document,
        note=note,
    )
    db.add(entry)
    db.flush()
    return entry


def publish_draft(db: Session, actor: str, service_id: str, directory: Path) -> AuditEntry:
    """Publish a service's draft: residents see it as soon as the search re-indexes."""
    draft = db.get(ServiceDraft, service_id)
    if draft is None:
        raise CatalogueChangeError(["Tidak ada draf untuk diterbitkan."])
    catalogue = effective_catalogue(db, directory)
    service = validate_service(dict(draft.data), catalogue, is_new=draft.is_new)
    entry = publish_service(
        db, actor, service_document(service), service_id, directory, "create" if draft.is_new else "publish"
    )
    db.delete(draft)
    return entry


def retire_service(db: Session, actor: str, service_id: str, directory: Path, *, retired: bool = True) -> AuditEntry:
    """Retire (or bring back) a service: the search stops (or starts again) offering it."""
    current = _current_document(db, directory, service_id)
    if current is None:
        raise CatalogueChangeError(["Layanan tidak ditemukan."])
    return publish_service(
        db, actor, {**current, "retired": retired}, service_id, directory, "retire" if retired else "restore"
    )


def revert_change(db: Session, actor: str, entry_id: int, directory: Path) -> AuditEntry:
    """Undo one audited change by publishing its `before` state (a new audit entry)."""
    entry = db.get(AuditEntry, entry_id)
    if entry is None or entry.entity != "service":
        raise CatalogueChangeError(["Perubahan tidak ditemukan."])
    before = dict(entry.before) if entry.before is not None else None
    base_has = _in_base(directory, entry.entity_id)
    if before is None and base_has:
        raise CatalogueChangeError(["Layanan dari berkas katalog tidak bisa dihapus; pensiunkan saja."])
    return publish_service(db, actor, before, entry.entity_id, directory, "revert", note=f"membatalkan #{entry.id}")


def _in_base(directory: Path, service_id: str) -> bool:
    try:
        base_catalogue(directory).service(service_id)
    except KeyError:
        return False
    return True


def _yaml_service(service: Service) -> dict[str, Any]:
    doc = service.model_dump(mode="json", exclude_defaults=True)
    doc.pop("tenant", None)  # filled from the file's tenant on load
    doc["requirements"] = list(service.requirements)
    doc["last_reviewed"] = service.last_reviewed
    return doc


def tenant_yaml(catalogue: Catalogue, tenant: Tenant) -> str:
    """One tenant file in the repo's format (loads back to the same services)."""
    data = {
        "tenant": tenant.model_dump(mode="json", exclude_none=True),
        "services": [_yaml_service(s) for s in catalogue.services if s.tenant == tenant.id],
    }
    header = f"# Katalog layanan {tenant.short_name}: diekspor dari konsol petugas Asisten MPP Kukar.\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def export_catalogue(catalogue: Catalogue, out_dir: Path, tenants: list[str] | None = None) -> list[Path]:
    """Write one YAML file per tenant; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for t in catalogue.tenants:
        if tenants and t.id not in tenants:
            continue
        path = out_dir / f"{t.id}.yaml"
        path.write_text(tenant_yaml(catalogue, t), encoding="utf-8")
        written.append(path)
    return written


def import_catalogue(db: Session, actor: str, files: dict[str, str], directory: Path) -> list[str]:
    """Publish every service of these tenant files that differs from the live one; returns their ids."""
    catalogue = effective_catalogue(db, directory)
    known_tenants = {t.id for t in catalogue.tenants}
    current = {s.id: s for s in catalogue.services}
    changed: list[str] = []
    parsed: list[Service] = []
    problems: list[str] = []
    for name, text in files.items():
        try:
            tf = TenantFile.model_validate(yaml.safe_load(text))
        except (yaml.YAMLError, ValidationError) as exc:
            msgs = validation_messages(exc) if isinstance(exc, ValidationError) else ["bukan YAML yang valid"]
            problems.extend(f"{name}: {m}" for m in msgs)
            continue
        if tf.tenant.id not in known_tenants:
            problems.append(f"{name}: instansi '{tf.tenant.id}' tidak dikenal")
            continue
        parsed.extend(tf.services)
    if problems:
        raise CatalogueChangeError(problems)
    for s in parsed:
        if s.id in current and current[s.id].tenant != s.tenant:
            raise CatalogueChangeError([f"Layanan '{s.id}' sudah milik instansi lain."])
        if current.get(s.id) != s:
            publish_service(db, actor, service_document(s), s.id, directory, "import")
            changed.append(s.id)
    return changed


def diff_documents(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every top-level field that differs."""
    b, a = before or {}, after or {}
    return [(k, b.get(k), a.get(k)) for k in sorted(set(a) | set(b), key=_field_order) if b.get(k) != a.get(k)]


def _field_order(name: str) -> int:
    order = list(Service.model_fields)
    return order.index(name) if name in order else len(order)
