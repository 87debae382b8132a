"""Admin areas: staff accounts, privacy requests, and the audit log with one-click revert."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import or_, select

from channels.console._deps import DbDep, ForbiddenError, SignedIn, StateDep, render, require
from channels.console.routes.ops import apply_offices
from mpp.console.accounts import AccountError, Role, create_staff, reset_password
from mpp.console.catalogue import CatalogueChangeError, diff_documents, effective_catalogue, revert_change
from mpp.console.models import AuditEntry, StaffUser
from mpp.console.offices import revert_office_change
from mpp.console.privacy import delete_resident

__all__ = ["router"]

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
AdminDep = Annotated[SignedIn, Depends(require(Role.ADMIN))]
EditorDep = Annotated[SignedIn, Depends(require(Role.ADMIN, Role.EDITOR))]


def _ids(value: str) -> list[str]:
    return sorted({x.strip() for x in value.replace(",", " ").split() if x.strip()})


@router.get("/staff", response_class=HTMLResponse)
async def read_staff(request: Request, who: AdminDep, db: DbDep) -> Response:
    """Every account."""
    users = list(db.scalars(select(StaffUser).order_by(StaffUser.email)))
    return render(request, "staff.html", who, users=users, created=None, roles=[r.value for r in Role], error=None)


@router.post("/staff", response_class=HTMLResponse)
async def create_staff_account(
    request: Request,
    who: AdminDep,
    db: DbDep,
    email: Annotated[str, Form(max_length=254)],
    role: Annotated[str, Form(pattern="^(admin|editor|operator|viewer)$")],
    tenants: Annotated[str, Form(max_length=2000)] = "",
    offices: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Create an account; its one-time password is shown once."""
    created, error = None, None
    try:
        user, password = create_staff(db, email, Role(role), _ids(tenants), _ids(offices))
        db.add(
            AuditEntry(
                actor=who.staff.email, action="create", entity="staff", entity_id=user.email, after={"role": role}
            )
        )
        created = (user.email, password)
    except AccountError as exc:
        error = str(exc)
        db.rollback()
    users = list(db.scalars(select(StaffUser).order_by(StaffUser.email)))
    return render(
        request,
        "staff.html",
        who,
        422 if error else 200,
        users=users,
        created=created,
        roles=[r.value for r in Role],
        error=error,
    )


@router.post("/staff/{user_id}/reset", response_class=HTMLResponse)
async def update_staff_password(request: Request, user_id: int, who: AdminDep, db: DbDep) -> Response:
    """A new one-time password (the account is signed out everywhere and unlocked)."""
    user = db.get(StaffUser, user_id)
    if user is None:
        raise HTTPException(404)
    password = reset_password(db, user)
    db.add(AuditEntry(actor=who.staff.email, action="reset_password", entity="staff", entity_id=user.email))
    users = list(db.scalars(select(StaffUser).order_by(StaffUser.email)))
    return render(
        request,
        "staff.html",
        who,
        users=users,
        created=(user.email, password),
        roles=[r.value for r in Role],
        error=None,
    )


@router.post("/staff/{user_id}/active")
async def update_staff_active(
    user_id: int, who: AdminDep, db: DbDep, active: Annotated[str, Form(pattern="^[01]$")]
) -> Response:
    """Deactivate (signs out everywhere) or reactivate an account."""
    user = db.get(StaffUser, user_id)
    if user is None:
        raise HTTPException(404)
    if user.id == who.staff.id:
        raise HTTPException(409, "Tidak bisa menonaktifkan akun sendiri.")
    user.active = active == "1"
    user.session_epoch += 1
    db.add(
        AuditEntry(
            actor=who.staff.email,
            action="activate" if user.active else "deactivate",
            entity="staff",
            entity_id=user.email,
        )
    )
    return RedirectResponse("/console/staff", status_code=303)


@router.get("/privacy", response_class=HTMLResponse)
async def read_privacy(request: Request, who: AdminDep) -> Response:
    """The form for a resident's deletion request."""
    return render(request, "privacy.html", who, result=None)


@router.post("/privacy/delete", response_class=HTMLResponse)
async def delete_privacy(
    request: Request, who: AdminDep, state: StateDep, sender: Annotated[str, Form(min_length=3, max_length=128)]
) -> Response:
    """Delete a resident's data everywhere; the audit keeps only counts and a reference."""
    reference, counts = await asyncio.to_thread(delete_resident, state.engine, sender.strip(), who.staff.email)
    return render(request, "privacy.html", who, result={"reference": reference, "counts": counts})


def _audit_query(who: SignedIn):  # type: ignore[no-untyped-def]
    q = select(AuditEntry).order_by(AuditEntry.id.desc())
    if who.staff.role is not Role.ADMIN:
        q = q.where(
            AuditEntry.entity == "service",
            or_(*[AuditEntry.tenant == t for t in who.staff.tenant_ids] or [AuditEntry.id < 0]),
        )
    return q


@router.get("/audit", response_class=HTMLResponse)
async def read_audit(request: Request, who: EditorDep, db: DbDep, service: str = "") -> Response:
    """Changes, newest first (editors see their tenants' services)."""
    q = _audit_query(who)
    if service:
        q = q.where(AuditEntry.entity_id == service)
    entries = list(db.scalars(q.limit(200)))
    return render(request, "audit.html", who, entries=entries, service=service)


def _entry(db: DbDep, who: SignedIn, entry_id: int) -> AuditEntry:
    entry = db.get(AuditEntry, entry_id)
    if entry is None:
        raise HTTPException(404)
    if who.staff.role is not Role.ADMIN and (
        entry.entity != "service" or not who.staff.can_edit_tenant(entry.tenant or "")
    ):
        raise ForbiddenError("tenant")
    return entry


@router.get("/audit/{entry_id}", response_class=HTMLResponse)
async def read_audit_entry(request: Request, entry_id: int, who: EditorDep, db: DbDep) -> Response:
    """One change with its before/after diff."""
    entry = _entry(db, who, entry_id)
    return render(request, "audit_entry.html", who, e=entry, diff=diff_documents(entry.before, entry.after))


@router.post("/audit/{entry_id}/revert")
async def create_revert(request: Request, entry_id: int, who: EditorDep, db: DbDep, state: StateDep) -> Response:
    """Undo one change (published at once, audited as a new entry)."""
    entry = _entry(db, who, entry_id)
    try:
        if entry.entity in ("office_settings", "office_rule"):
            catalogue = effective_catalogue(db, state.catalogue_dir)
            new = revert_office_change(db, who.staff.email, entry, catalogue)
            await apply_offices(request, db, state)
        else:
            new = revert_change(db, who.staff.email, entry_id, state.catalogue_dir)
    except CatalogueChangeError as exc:
        raise HTTPException(422, "; ".join(exc.messages)) from exc
    return RedirectResponse(f"/console/audit/{new.id}", status_code=303)
