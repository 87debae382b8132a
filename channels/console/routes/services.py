"""Services: search, view with a resident's preview, create and edit as drafts, publish, retire, export/import."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select

from actions._format import format_service_answer
from channels.console._deps import DbDep, ForbiddenError, SignedIn, StateDep, render, require
from channels.console._forms import MODE_LABELS, PLACE_LABELS, document_from_form, form_from_document
from knowledge_base.schema import Catalogue, Service
from mpp.console.accounts import Role
from mpp.console.catalogue import (
    CatalogueChangeError,
    diff_documents,
    discard_draft,
    effective_catalogue,
    import_catalogue,
    publish_draft,
    retire_service,
    save_draft,
    service_document,
    tenant_yaml,
)
from mpp.console.models import ServiceDraft

__all__ = ["router"]

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
EditorDep = Annotated[SignedIn, Depends(require(Role.ADMIN, Role.EDITOR))]
AdminDep = Annotated[SignedIn, Depends(require(Role.ADMIN))]
_ID_SAFE = re.compile(r"^[a-z0-9_]{1,128}$")


def _visible(who: SignedIn, catalogue: Catalogue) -> list[str]:
    return [t.id for t in catalogue.tenants if who.staff.can_edit_tenant(t.id)]


def _load(
    db: DbDep, state: StateDep, who: SignedIn, service_id: str
) -> tuple[Catalogue, Service | None, ServiceDraft | None]:
    """The live service and its draft; 404 when neither exists, 403 outside the editor's tenants."""
    if not _ID_SAFE.match(service_id):
        raise HTTPException(404)
    catalogue = effective_catalogue(db, state.catalogue_dir)
    try:
        live: Service | None = catalogue.service(service_id)
    except KeyError:
        live = None
    draft = db.get(ServiceDraft, service_id)
    if live is None and draft is None:
        raise HTTPException(404)
    tenant = live.tenant if live is not None else draft.tenant if draft is not None else ""
    if not who.staff.can_edit_tenant(tenant):
        raise ForbiddenError("tenant")
    return catalogue, live, draft


def _preview(catalogue: Catalogue, doc: dict[str, Any]) -> str | None:
    try:
        service = Service.model_validate(doc)
        return format_service_answer(service, catalogue.tenant(service.tenant))
    except (ValueError, KeyError):
        return None


def _search(catalogue: Catalogue, tenants: list[str], q: str, tenant: str) -> list[Service]:
    words = q.lower().split()
    out = []
    for s in catalogue.services:
        if s.tenant not in tenants or (tenant and s.tenant != tenant):
            continue
        blob = " ".join([s.id, s.name, s.category, *s.aliases, *s.keywords]).lower()
        if all(w in blob for w in words):
            out.append(s)
    return out


@router.get("/services", response_class=HTMLResponse)
async def read_services(
    request: Request, who: EditorDep, db: DbDep, state: StateDep, q: str = "", tenant: str = ""
) -> Response:
    """Search the services this staff member may edit."""
    catalogue = effective_catalogue(db, state.catalogue_dir)
    tenants = _visible(who, catalogue)
    found = _search(catalogue, tenants, q[:200], tenant)
    drafts = {d.service_id: d for d in db.scalars(select(ServiceDraft).where(ServiceDraft.tenant.in_(tenants)))}
    new_drafts = [d for d in drafts.values() if d.is_new and (not tenant or d.tenant == tenant)]
    return render(
        request,
        "services.html",
        who,
        services=found[:200],
        total=len(found),
        drafts=drafts,
        new_drafts=new_drafts,
        tenants=[t for t in catalogue.tenants if t.id in tenants],
        q=q,
        tenant=tenant,
    )


def _form_page(
    request: Request,
    who: SignedIn,
    catalogue: Catalogue,
    values: dict[str, Any],
    *,
    is_new: bool,
    errors: list[str],
    status: int = 200,
) -> Response:
    tenants = [t for t in catalogue.tenants if who.staff.can_edit_tenant(t.id)]
    return render(
        request,
        "service_form.html",
        who,
        status,
        v=values,
        is_new=is_new,
        errors=errors,
        tenants=tenants,
        modes=MODE_LABELS,
        places=PLACE_LABELS,
    )


@router.get("/services/new", response_class=HTMLResponse)
async def read_new_service(request: Request, who: EditorDep, db: DbDep, state: StateDep, tenant: str = "") -> Response:
    """An empty service form."""
    catalogue = effective_catalogue(db, state.catalogue_dir)
    values = form_from_document({"tenant": tenant, "mode": "in_person", "where": ["mpp_tenggarong"]})
    return _form_page(request, who, catalogue, values, is_new=True, errors=[])


@router.post("/services/new", response_class=HTMLResponse)
async def create_service(request: Request, who: EditorDep, db: DbDep, state: StateDep) -> Response:
    """Save a new service as a draft."""
    form = await request.form()
    catalogue = effective_catalogue(db, state.catalogue_dir)
    service_id, tenant = str(form.get("id") or "").strip(), str(form.get("tenant") or "")
    if not who.staff.can_edit_tenant(tenant):
        raise ForbiddenError("tenant")
    doc = document_from_form(form, service_id=service_id, tenant=tenant)
    if db.get(ServiceDraft, service_id) is not None:
        return _form_page(
            request,
            who,
            catalogue,
            form_from_document(doc),
            is_new=True,
            errors=["ID layanan sedang dipakai draf lain."],
            status=422,
        )
    try:
        save_draft(db, who.staff.email, doc, catalogue, is_new=True)
    except CatalogueChangeError as exc:
        return _form_page(
            request, who, catalogue, form_from_document(doc), is_new=True, errors=exc.messages, status=422
        )
    return RedirectResponse(f"/console/services/{service_id}", status_code=303)


@router.get("/services/{service_id}", response_class=HTMLResponse)
async def read_service(request: Request, service_id: str, who: EditorDep, db: DbDep, state: StateDep) -> Response:
    """A service: what residents read now, and the draft waiting to be published."""
    catalogue, live, draft = _load(db, state, who, service_id)
    live_doc = service_document(live) if live is not None else None
    return render(
        request,
        "service.html",
        who,
        service_id=service_id,
        live=live,
        draft=draft,
        live_preview=_preview(catalogue, live_doc) if live_doc else None,
        draft_preview=_preview(catalogue, dict(draft.data)) if draft else None,
        diff=diff_documents(live_doc, dict(draft.data)) if draft else [],
        tenant=catalogue.tenant(live.tenant if live else draft.tenant if draft else ""),
        places=PLACE_LABELS,
        modes=MODE_LABELS,
    )


@router.get("/services/{service_id}/edit", response_class=HTMLResponse)
async def read_edit_service(request: Request, service_id: str, who: EditorDep, db: DbDep, state: StateDep) -> Response:
    """The service form, filled from the draft (or the live entry)."""
    catalogue, live, draft = _load(db, state, who, service_id)
    doc = dict(draft.data) if draft is not None else service_document(live) if live is not None else {}
    return _form_page(request, who, catalogue, form_from_document(doc), is_new=False, errors=[])


@router.post("/services/{service_id}/edit", response_class=HTMLResponse)
async def update_service(request: Request, service_id: str, who: EditorDep, db: DbDep, state: StateDep) -> Response:
    """Save the edit as a draft (residents see it only after publishing)."""
    catalogue, live, draft = _load(db, state, who, service_id)
    tenant = live.tenant if live is not None else draft.tenant if draft is not None else ""
    form = await request.form()
    doc = document_from_form(form, service_id=service_id, tenant=tenant)
    try:
        save_draft(db, who.staff.email, doc, catalogue, is_new=live is None)
    except CatalogueChangeError as exc:
        return _form_page(
            request, who, catalogue, form_from_document(doc), is_new=False, errors=exc.messages, status=422
        )
    return RedirectResponse(f"/console/services/{service_id}", status_code=303)


@router.post("/services/{service_id}/publish")
async def publish_service_draft(service_id: str, who: EditorDep, db: DbDep, state: StateDep) -> Response:
    """Publish the draft: the assistant answers with it within seconds."""
    _load(db, state, who, service_id)
    try:
        publish_draft(db, who.staff.email, service_id, state.catalogue_dir)
    except CatalogueChangeError as exc:
        raise HTTPException(422, "; ".join(exc.messages)) from exc
    return RedirectResponse(f"/console/services/{service_id}?published=1", status_code=303)


@router.post("/services/{service_id}/discard")
async def delete_service_draft(service_id: str, who: EditorDep, db: DbDep, state: StateDep) -> Response:
    """Throw the draft away."""
    _, live, _ = _load(db, state, who, service_id)
    discard_draft(db, service_id)
    return RedirectResponse(f"/console/services/{service_id}" if live else "/console/services", status_code=303)


@router.post("/services/{service_id}/retire")
async def update_service_retired(
    service_id: str, who: EditorDep, db: DbDep, state: StateDep, retired: Annotated[str, Form()] = "1"
) -> Response:
    """Retire a service (the assistant stops offering it) or bring it back."""
    _, live, _ = _load(db, state, who, service_id)
    if live is None:
        raise HTTPException(404)
    retire_service(db, who.staff.email, service_id, state.catalogue_dir, retired=retired == "1")
    return RedirectResponse(f"/console/services/{service_id}", status_code=303)


@router.get("/catalogue/{tenant_id}.yaml")
async def read_tenant_yaml(tenant_id: str, who: EditorDep, db: DbDep, state: StateDep) -> Response:
    """The tenant's live services as the same YAML the repository holds."""
    catalogue = effective_catalogue(db, state.catalogue_dir)
    try:
        tenant = catalogue.tenant(tenant_id)
    except KeyError as exc:
        raise HTTPException(404) from exc
    if not who.staff.can_edit_tenant(tenant.id):
        raise ForbiddenError("tenant")
    return PlainTextResponse(
        tenant_yaml(catalogue, tenant),
        media_type="application/x-yaml",
        headers={"Content-Disposition": f'attachment; filename="{tenant.id}.yaml"'},
    )


@router.post("/catalogue/import", response_class=HTMLResponse)
async def create_import(
    request: Request, who: AdminDep, db: DbDep, state: StateDep, files: list[UploadFile]
) -> Response:
    """Publish what differs in uploaded tenant YAML files (admin)."""
    texts = {f.filename or "berkas.yaml": (await f.read(2_000_000)).decode("utf-8", "replace") for f in files}
    try:
        changed = import_catalogue(db, who.staff.email, texts, state.catalogue_dir)
    except CatalogueChangeError as exc:
        db.rollback()
        return render(request, "message.html", who, 422, title="Impor gagal", lines=exc.messages)
    return render(
        request, "message.html", who, title="Impor selesai", lines=[f"{len(changed)} layanan diterbitkan.", *changed]
    )


# -- JSON API ---------------------------------------------------------------------------------------


@router.get("/api/services")
async def read_api_services(
    who: EditorDep, db: DbDep, state: StateDep, q: str = "", tenant: str = ""
) -> dict[str, Any]:
    """Services this staff member may edit, matching the words of `q`."""
    catalogue = effective_catalogue(db, state.catalogue_dir)
    found = _search(catalogue, _visible(who, catalogue), q[:200], tenant)
    return {
        "total": len(found),
        "services": [{"id": s.id, "name": s.name, "tenant": s.tenant, "retired": s.retired} for s in found[:200]],
    }


@router.get("/api/services/{service_id}")
async def read_api_service(service_id: str, who: EditorDep, db: DbDep, state: StateDep) -> dict[str, Any]:
    """The live document, the draft, and the preview a resident would read."""
    catalogue, live, draft = _load(db, state, who, service_id)
    live_doc = service_document(live) if live is not None else None
    return {
        "live": live_doc,
        "draft": dict(draft.data) if draft else None,
        "preview": _preview(catalogue, dict(draft.data) if draft else live_doc or {}),
    }


@router.put("/api/services/{service_id}/draft")
async def update_api_draft(
    service_id: str, body: dict[str, Any], who: EditorDep, db: DbDep, state: StateDep
) -> dict[str, Any]:
    """Save a draft from a JSON document (422 with Indonesian messages when invalid)."""
    catalogue, live, draft = _load(db, state, who, service_id)
    tenant = live.tenant if live is not None else draft.tenant if draft is not None else ""
    doc = {**body, "id": service_id, "tenant": tenant}
    try:
        service = save_draft(db, who.staff.email, doc, catalogue, is_new=live is None)
    except CatalogueChangeError as exc:
        raise HTTPException(422, exc.messages) from exc
    return {"draft": service_document(service), "preview": _preview(catalogue, service_document(service))}


@router.post("/api/services/{service_id}/publish")
async def create_api_publish(service_id: str, who: EditorDep, db: DbDep, state: StateDep) -> dict[str, Any]:
    """Publish the draft."""
    _load(db, state, who, service_id)
    try:
        entry = publish_draft(db, who.staff.email, service_id, state.catalogue_dir)
    except CatalogueChangeError as exc:
        raise HTTPException(422, exc.messages) from exc
    return {"audit_id": entry.id}
