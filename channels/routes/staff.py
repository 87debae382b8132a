"""Staff API for bookings (token from settings until console accounts take over): list, check-in, no-show, cancel, closures."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, Field

from channels.schemas import OutMessage
from mpp.booking import Booking, BookingError, BookingService, BookingStatus
from mpp.booking.codes import display_code, normalise_code
from mpp.booking.notices import notice
from mpp.booking.service import local

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/staff", tags=["staff"])
_ERRORS = {
    "not_found": (404, "Kode booking tidak ditemukan."),
    "not_active": (409, "Status pemesanan tidak bisa diubah dari status sekarang."),
    "unknown": (404, "Kantor tidak dikenal."),
    "bad_status": (422, "Status tidak dikenal."),
}


def _staff(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """Require `Authorization: Bearer <STAFF_API_TOKEN>` (constant-time compare)."""
    expected = request.app.state.settings.staff_api_token.get_secret_value()
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="Perlu kredensial petugas.")
    return "staff-token"


def _bookings(request: Request) -> BookingService:
    service: BookingService = request.app.state.bookings
    return service


StaffDep = Annotated[str, Depends(_staff)]
BookingsDep = Annotated[BookingService, Depends(_bookings)]


class BookingPublic(BaseModel):
    """A booking as staff see it (the resident's name, never their phone number)."""

    code: str
    office_id: str
    service_id: str
    day: dt.date
    time: str
    name: str
    status: str
    channel: str


class CancelBody(BaseModel):
    """Why staff cancel."""

    reason: str = Field(min_length=3, max_length=300)


class ClosureBody(BaseModel):
    """A day an office (or all, office_id null) is closed."""

    office_id: str | None = None
    day: dt.date
    reason: str = Field(min_length=3, max_length=300)


def _public(b: Booking) -> BookingPublic:
    return BookingPublic(
        code=display_code(b.code),
        office_id=b.office_id,
        service_id=b.service_id,
        day=b.day,
        time=f"{local(b.start_at):%H:%M}",
        name=b.name,
        status=b.status,
        channel=b.channel,
    )


def _code(raw: str) -> str:
    code = normalise_code(raw if raw.upper().startswith("MPP") else f"MPP-{raw}")
    if code is None:
        raise HTTPException(status_code=404, detail=_ERRORS["not_found"][1])
    return code


def _fail(exc: BookingError) -> HTTPException:
    status, detail = _ERRORS.get(exc.kind, (422, "Permintaan tidak valid."))
    return HTTPException(status_code=status, detail=detail)


async def _tell(request: Request, b: Booking, text: str) -> bool:
    outbound = getattr(request.app.state, "outbound", None)
    if outbound is None:
        return False
    return bool(await outbound.deliver(b.sender, [OutMessage(text=text)]))


async def _invite_rating(request: Request, b: Booking) -> bool:
    """Ask the resident for the SKM rating of this visit, through their channel."""
    from channels.survey import invite_rating

    outbound = getattr(request.app.state, "outbound", None)
    if outbound is None:
        return False
    try:
        messages = await invite_rating(request.app.state.chat, b.sender, b.code)
        return bool(messages) and bool(await outbound.deliver(b.sender, messages))
    except Exception:  # the check-in itself stands even if the invitation cannot go out
        log.exception("rating invitation failed", extra={"channel": b.channel})
        return False


@router.get("/bookings", response_model=list[BookingPublic])
async def read_bookings(
    _: StaffDep, bookings: BookingsDep, day: dt.date | None = None, office: str | None = None
) -> list[BookingPublic]:
    """Bookings of a day (today by default) at an office (all by default), by time."""
    rows = await asyncio.to_thread(bookings.bookings_on, office, day or bookings.today())
    return [_public(b) for b in rows]


@router.get("/bookings/{code}", response_model=BookingPublic)
async def read_booking(code: str, _: StaffDep, bookings: BookingsDep) -> BookingPublic:
    """One booking by code."""
    b = await asyncio.to_thread(bookings.get, _code(code))
    if b is None:
        raise HTTPException(status_code=404, detail=_ERRORS["not_found"][1])
    return _public(b)


@router.post("/bookings/{code}/cancel", response_model=BookingPublic)
async def cancel_booking(
    code: str, body: CancelBody, request: Request, _: StaffDep, bookings: BookingsDep
) -> BookingPublic:
    """Cancel with a reason; the resident is told on their channel."""
    try:
        b = await asyncio.to_thread(bookings.cancel, None, _code(code), body.reason)
    except BookingError as exc:
        raise _fail(exc) from exc
    await _tell(request, b, notice("staff_cancelled", bookings.directory, b, reason=body.reason))
    return _public(b)


@router.post("/bookings/{code}/{action}", response_model=BookingPublic)
async def update_booking(
    code: str,
    action: Literal["check-in", "no-show", "complete"],
    request: Request,
    _: StaffDep,
    bookings: BookingsDep,
) -> BookingPublic:
    """Check a resident in, mark a no-show, or complete the visit (check-in and completion invite a rating)."""
    status = {
        "check-in": BookingStatus.CHECKED_IN,
        "no-show": BookingStatus.NO_SHOW,
        "complete": BookingStatus.COMPLETED,
    }
    try:
        b = await asyncio.to_thread(bookings.set_status, _code(code), status[action])
    except BookingError as exc:
        raise _fail(exc) from exc
    log.info("booking status", extra={"status": b.status, "office": b.office_id})
    if action in ("check-in", "complete"):
        await _invite_rating(request, b)
    return _public(b)


@router.post("/closures")
async def create_closure(body: ClosureBody, request: Request, _: StaffDep, bookings: BookingsDep) -> dict[str, int]:
    """Close a day for new bookings and tell the residents already booked on it."""
    try:
        affected = await asyncio.to_thread(bookings.add_closure, body.office_id, body.day, body.reason, "staff-token")
    except BookingError as exc:
        raise _fail(exc) from exc
    told = 0
    for b in affected:
        told += await _tell(request, b, notice("closure", bookings.directory, b, reason=body.reason))
    return {"affected": len(affected), "told": told}
