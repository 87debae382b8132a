"""Unanswered questions (grouped, resolved by staff) and hand-offs (queue, take over, reply, close)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from channels.console._deps import DbDep, ForbiddenError, SignedIn, StateDep, render, require
from channels.schemas import OutMessage
from mpp.console.accounts import Role
from mpp.console.catalogue import CatalogueChangeError, effective_catalogue
from mpp.console.handoffs import HandoffError, close_handoff, handoff_queue, record_message, take_handoff
from mpp.console.models import HandoffClaim, HandoffMessage, UnansweredQuestion
from mpp.console.privacy import mask_sender
from mpp.console.unanswered import answer_questions, dismiss_questions, group_questions, link_questions
from mpp.models import Handoff

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
EditorDep = Annotated[SignedIn, Depends(require(Role.ADMIN, Role.EDITOR))]
OperatorDep = Annotated[SignedIn, Depends(require(Role.ADMIN, Role.OPERATOR))]


def _open_groups(db: DbDep) -> list[Any]:
    rows = list(
        db.scalars(
            select(UnansweredQuestion)
            .where(UnansweredQuestion.status == "open")
            .order_by(UnansweredQuestion.created_at, UnansweredQuestion.id)
            .limit(2000)
        )
    )
    return group_questions(rows)


@router.get("/unanswered", response_class=HTMLResponse)
async def read_unanswered(request: Request, who: EditorDep, db: DbDep, state: StateDep) -> Response:
    """Open questions grouped by similarity, most asked first."""
    catalogue = effective_catalogue(db, state.catalogue_dir)
    services = [s for s in catalogue.services if who.staff.can_edit_tenant(s.tenant) and not s.retired]
    return render(request, "unanswered.html", who, groups=_open_groups(db), services=services)


@router.get("/api/unanswered")
async def read_api_unanswered(who: EditorDep, db: DbDep) -> dict[str, Any]:
    """The open groups as JSON."""
    return {"groups": [{"ids": g.ids, "count": g.count, "label": g.label, "texts": g.texts} for g in _open_groups(db)]}


@router.post("/unanswered/resolve", response_class=HTMLResponse)
async def update_unanswered(
    request: Request,
    who: EditorDep,
    db: DbDep,
    state: StateDep,
    ids: Annotated[str, Form(max_length=20000)],
    action: Annotated[str, Form(pattern="^(link|answer|dismiss)$")],
    service_id: Annotated[str, Form(max_length=128)] = "",
    answer: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Resolve a group: link to a service (its words become examples, published live), answer, or dismiss."""
    id_list = [int(x) for x in ids.split(",") if x.strip().isdigit()]
    try:
        if action == "link":
            catalogue = effective_catalogue(db, state.catalogue_dir)
            try:
                tenant = catalogue.service(service_id).tenant
            except KeyError as exc:
                raise CatalogueChangeError(["Pilih layanan yang dituju."]) from exc
            if not who.staff.can_edit_tenant(tenant):
                raise ForbiddenError("tenant")
            link_questions(db, who.staff.email, id_list, service_id, state.catalogue_dir)
        elif action == "answer":
            answer_questions(db, who.staff.email, id_list, answer)
        else:
            dismiss_questions(db, who.staff.email, id_list)
    except CatalogueChangeError as exc:
        db.rollback()
        return render(request, "message.html", who, 422, title="Belum bisa diselesaikan", lines=exc.messages)
    return RedirectResponse("/console/unanswered?done=1", status_code=303)


# -- hand-offs -------------------------------------------------------------------------------------


def _show_sender(who: SignedIn, sender: str) -> str:
    # Operators and admins call residents back; everyone else sees a masked number.
    return sender if who.staff.role in (Role.ADMIN, Role.OPERATOR) else mask_sender(sender)


@router.get("/handoffs", response_class=HTMLResponse)
async def read_handoffs(request: Request, who: OperatorDep, db: DbDep) -> Response:
    """Residents waiting for a person, oldest first."""
    items = handoff_queue(db)
    return render(request, "handoffs.html", who, items=items, show=lambda s: _show_sender(who, s))


def _thread(db: DbDep, handoff_id: int) -> tuple[Handoff, list[HandoffMessage], str | None]:
    h = db.get(Handoff, handoff_id)
    if h is None:
        raise HTTPException(404)
    msgs = list(db.scalars(select(HandoffMessage).where(HandoffMessage.handoff_id == h.id).order_by(HandoffMessage.id)))
    claim = db.get(HandoffClaim, h.id)
    return h, msgs, claim.staff_email if claim else None


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
async def read_handoff(request: Request, handoff_id: int, who: OperatorDep, db: DbDep) -> Response:
    """One conversation: the resident's messages and staff replies."""
    h, msgs, taken_by = _thread(db, handoff_id)
    return render(request, "handoff.html", who, h=h, msgs=msgs, taken_by=taken_by, sender=_show_sender(who, h.sender))


@router.post("/handoffs/{handoff_id}/take")
async def update_handoff_take(handoff_id: int, who: OperatorDep, db: DbDep) -> Response:
    """Take over: the resident's messages now come here instead of to the assistant."""
    try:
        take_handoff(db, handoff_id, who.staff.email)
    except HandoffError as exc:
        raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(f"/console/handoffs/{handoff_id}", status_code=303)


@router.post("/handoffs/{handoff_id}/reply")
async def create_handoff_reply(
    request: Request,
    handoff_id: int,
    who: OperatorDep,
    db: DbDep,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    """Send a reply to the resident on their channel (web chat gets it with its next message)."""
    h, _, taken_by = _thread(db, handoff_id)
    if h.status != "open":
        raise HTTPException(409, "Percakapan ini sudah ditutup.")
    if taken_by is None:
        take_handoff(db, handoff_id, who.staff.email)
    outbound = getattr(request.app.state, "outbound", None)
    delivered = False
    if outbound is not None:
        delivered = bool(await outbound.deliver(h.sender, [OutMessage(text=text.strip())]))
    record_message(db, h, "out", text.strip(), who.staff.email, delivered=delivered)
    log.info("staff reply", extra={"handoff": h.id, "delivered": delivered, "channel": h.channel})
    return RedirectResponse(f"/console/handoffs/{handoff_id}", status_code=303)


@router.post("/handoffs/{handoff_id}/close")
async def update_handoff_close(handoff_id: int, who: OperatorDep, db: DbDep) -> Response:
    """Close: the conversation returns to the assistant."""
    try:
        close_handoff(db, handoff_id, who.staff.email)
    except HandoffError as exc:
        raise HTTPException(409, str(exc)) from exc
    return RedirectResponse("/console/handoffs", status_code=303)
