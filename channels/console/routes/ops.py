"""Bookings of the day per office (check-in, no-show, cancel, CSV), closures, and satisfaction reports."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from channels.console._deps import DbDep, ForbiddenError, SignedIn, StateDep, render, require
from channels.schemas import OutMessage
from knowledge_base.offices import WEEKDAYS
from mpp.booking.codes import display_code, normalise_code
from mpp.booking.dates import WITA, format_day, format_time
from mpp.booking.models import Booking, Closure
from mpp.booking.service import BookingError, BookingService, local
from mpp.console.accounts import Role
from mpp.console.catalogue import CatalogueChangeError, effective_catalogue
from mpp.console.models import AuditEntry
from mpp.console.offices import load_effective_offices, publish_office, publish_rule

__all__ = ["apply_offices", "router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
OperatorDep = Annotated[SignedIn, Depends(require(Role.ADMIN, Role.OPERATOR))]
ReportsDep = Annotated[SignedIn, Depends(require(Role.ADMIN, Role.VIEWER))]
AdminDep = Annotated[SignedIn, Depends(require(Role.ADMIN))]
STATUS_LABELS = {
    "active": "terjadwal",
    "checked_in": "hadir",
    "no_show": "tidak datang",
    "cancelled": "dibatalkan",
    "completed": "selesai",
}


def _bookings(request: Request) -> BookingService:
    service = getattr(request.app.state, "bookings", None)
    if service is None:
        from mpp.booking import get_booking_service

        service = get_booking_service()
    return service


def _offices(who: SignedIn, bookings: BookingService) -> list[Any]:
    return [o for o in bookings.directory.offices.values() if who.staff.can_serve_office(o.id)]


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else dt.datetime.now(WITA).date()
    except ValueError as exc:
        raise HTTPException(422, "Tanggal tidak valid.") from exc


def _scoped(who: SignedIn, bookings: BookingService, office: str) -> str | None:
    """The office filter: operators see only their offices (their first one by default)."""
    if office and not who.staff.can_serve_office(office):
        raise ForbiddenError("office")
    if office:
        return office
    if who.staff.role is Role.OPERATOR and who.staff.office_ids:
        return who.staff.office_ids[0]
    return None


@router.get("/bookings", response_class=HTMLResponse)
async def read_bookings(
    request: Request, who: OperatorDep, office: str = "", day: str = "", code: str = "", days: int = 1
) -> Response:
    """Bookings of a day (and the days after it) at an office, or one booking by its code."""
    bookings = _bookings(request)
    office_id = _scoped(who, bookings, office)
    start = _day(day)
    rows: list[Booking] = []
    if code:
        found = bookings.get(normalise_code(code) or code.strip().upper())
        if found is not None and who.staff.can_serve_office(found.office_id):
            rows = [found]
    else:
        for i in range(max(1, min(days, 14))):
            rows.extend(await asyncio.to_thread(bookings.bookings_on, office_id, start + dt.timedelta(days=i)))
    if who.staff.role is Role.OPERATOR and not office_id and who.staff.office_ids:
        rows = [b for b in rows if b.office_id in who.staff.office_ids]
    return render(
        request,
        "bookings.html",
        who,
        rows=rows,
        offices=_offices(who, bookings),
        office=office_id or "",
        day=start.isoformat(),
        days=days,
        code=code,
        labels=STATUS_LABELS,
        display_code=display_code,
        when=lambda b: f"{format_day(b.day)} {format_time(local(b.start_at))}",
    )


@router.get("/bookings.csv")
async def read_bookings_csv(
    request: Request, who: OperatorDep, db: DbDep, office: str = "", day: str = "", days: int = 1
) -> Response:
    """CSV of the bookings shown (personal data: the export is logged in the audit)."""
    bookings = _bookings(request)
    office_id = _scoped(who, bookings, office)
    start = _day(day)
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["kode", "tanggal", "jam", "kantor", "layanan", "nama", "kontak", "status", "alasan_batal"])
    count = 0
    for i in range(max(1, min(days, 31))):
        for b in await asyncio.to_thread(bookings.bookings_on, office_id, start + dt.timedelta(days=i)):
            if not who.staff.can_serve_office(b.office_id):
                continue
            t = local(b.start_at)
            out.writerow(
                [
                    b.code,
                    b.day.isoformat(),
                    t.strftime("%H:%M"),
                    b.office_id,
                    b.service_id,
                    b.name,
                    b.sender,
                    b.status,
                    b.cancel_reason or "",
                ]
            )
            count += 1
    db.add(
        AuditEntry(
            actor=who.staff.email,
            action="export",
            entity="bookings",
            entity_id=office_id or "semua",
            after={"day": start.isoformat(), "days": days, "rows": count},
            note="ekspor data pribadi (CSV booking)",
        )
    )
    log.info("personal data exported", extra={"what": "bookings", "rows": count, "office": office_id})
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="booking-{office_id or "semua"}-{start}.csv"'},
    )


async def _tell(request: Request, sender: str, text: str) -> bool:
    outbound = getattr(request.app.state, "outbound", None)
    if outbound is None:
        return False
    return bool(await outbound.deliver(sender, [OutMessage(text=text)]))


def _own_booking(who: SignedIn, bookings: BookingService, code: str) -> Booking:
    b = bookings.get(normalise_code(code) or code.upper())
    if b is None:
        raise HTTPException(404, "Booking tidak ditemukan.")
    if not who.staff.can_serve_office(b.office_id):
        raise ForbiddenError("office")
    return b


@router.post("/bookings/{code}/{action}")
async def update_booking(
    request: Request,
    code: str,
    action: str,
    who: OperatorDep,
    db: DbDep,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Check-in, no-show, or cancel with a reason (the resident is told on their channel)."""
    bookings = _bookings(request)
    b = _own_booking(who, bookings, code)
    try:
        if action == "checkin":
            await asyncio.to_thread(bookings.set_status, b.code, "checked_in")
        elif action == "no-show":
            await asyncio.to_thread(bookings.set_status, b.code, "no_show")
        elif action == "cancel":
            if not reason.strip():
                raise HTTPException(422, "Alasan pembatalan wajib diisi.")
            await asyncio.to_thread(bookings.cancel, None, b.code, reason.strip())
            when = f"{format_day(b.day)} pukul {format_time(local(b.start_at))}"
            await _tell(
                request,
                b.sender,
                f"Mohon maaf, booking *{display_code(b.code)}* ({when}) dibatalkan oleh petugas MPP.\n"
                f"Alasan: {reason.strip()}\nSilakan buat booking baru bila masih diperlukan. Terima kasih 🙏",
            )
        else:
            raise HTTPException(404)
    except BookingError as exc:
        raise HTTPException(409, "Status booking tidak bisa diubah.") from exc
    db.add(AuditEntry(actor=who.staff.email, action=action, entity="booking", entity_id=b.code, note=reason.strip()))
    return RedirectResponse(f"/console/bookings?office={b.office_id}&day={b.day.isoformat()}", status_code=303)


@router.get("/closures", response_class=HTMLResponse)
async def read_closures(request: Request, who: OperatorDep, db: DbDep) -> Response:
    """Upcoming closures and the form to add one."""
    bookings = _bookings(request)
    today = dt.datetime.now(WITA).date()
    rows = [
        c
        for c in db.scalars(select(Closure).where(Closure.day >= today).order_by(Closure.day))
        if c.office_id is None or who.staff.can_serve_office(c.office_id)
    ]
    return render(request, "closures.html", who, rows=rows, offices=_offices(who, bookings), told=None)


@router.post("/closures", response_class=HTMLResponse)
async def create_closure(
    request: Request,
    who: OperatorDep,
    db: DbDep,
    office_id: Annotated[str, Form(max_length=64)],
    day: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(min_length=3, max_length=300)],
) -> Response:
    """Close a day: no new bookings; active bookings on it are cancelled and the residents told."""
    bookings = _bookings(request)
    if not who.staff.can_serve_office(office_id):
        raise ForbiddenError("office")
    closed_day = _day(day)
    try:
        affected = await asyncio.to_thread(bookings.add_closure, office_id, closed_day, reason.strip(), who.staff.email)
    except BookingError as exc:
        raise HTTPException(422, "Kantor tidak dikenal.") from exc
    except IntegrityError as exc:
        raise HTTPException(409, "Tanggal itu sudah ditutup untuk kantor ini.") from exc
    office = bookings.directory.get(office_id)
    told = 0
    for b in affected:
        try:
            await asyncio.to_thread(bookings.cancel, None, b.code, f"kantor tutup: {reason.strip()}")
        except BookingError:
            continue
        told += await _tell(
            request,
            b.sender,
            f"Mohon maaf, *{office.name if office else office_id}* tutup pada {format_day(closed_day)} ({reason.strip()}).\n"
            f"Booking *{display_code(b.code)}* dibatalkan. Silakan buat booking baru untuk hari lain. Terima kasih 🙏",
        )
    db.add(
        AuditEntry(
            actor=who.staff.email,
            action="close_day",
            entity="office",
            entity_id=office_id,
            after={"day": closed_day.isoformat(), "reason": reason.strip(), "cancelled": len(affected), "told": told},
        )
    )
    return render(
        request,
        "closures.html",
        who,
        rows=[],
        offices=_offices(who, bookings),
        told={"cancelled": len(affected), "told": told, "day": closed_day.isoformat()},
    )


@router.get("/reports", response_class=HTMLResponse)
async def read_reports(request: Request, who: ReportsDep, state: StateDep, period: str = "month") -> Response:
    """IKM (SKM) overall and per office, tenant, service and period; the complaints inbox."""
    from mpp.survey.report import build_report
    from mpp.survey.store import list_complaints, load_responses

    if period not in ("day", "month", "quarter", "year"):
        period = "month"
    records = await asyncio.to_thread(load_responses, engine=state.engine)
    report = build_report(records, period=period)  # type: ignore[arg-type]
    complaints = await asyncio.to_thread(list_complaints, None, state.engine)
    return render(request, "reports.html", who, report=report, complaints=complaints[:100], period=period)


@router.post("/complaints/{complaint_id}")
async def update_complaint(
    complaint_id: int,
    who: AdminDep,
    state: StateDep,
    status: Annotated[str, Form(pattern="^(open|in_progress|closed)$")],
) -> Response:
    """Move a complaint through the inbox: open, in progress, closed."""
    from mpp.survey.store import set_complaint_status

    if not await asyncio.to_thread(set_complaint_status, complaint_id, status, state.engine):
        raise HTTPException(404)
    log.info("complaint status", extra={"complaint": complaint_id, "status": status, "by": who.staff.role.value})
    return RedirectResponse("/console/reports#complaints", status_code=303)


@router.get("/offices", response_class=HTMLResponse)
async def read_offices(request: Request, who: OperatorDep) -> Response:
    """Offices with their opening hours, counters and per-service schedules and quotas."""
    bookings = _bookings(request)
    directory = bookings.directory
    offices = _offices(who, bookings)
    rules = {o.id: [(i, r) for i, r in enumerate(directory.rules) if r.office == o.id] for o in offices}
    return render(request, "offices.html", who, offices=offices, rules=rules, weekdays=WEEKDAYS, error=None)


async def apply_offices(request: Request, db: DbDep, state: StateDep) -> None:
    """This process's booking service takes the change at once (the action server polls for it)."""
    bookings = getattr(request.app.state, "bookings", None)
    if bookings is not None:
        catalogue = effective_catalogue(db, state.catalogue_dir)
        bookings.directory = load_effective_offices(db, catalogue)


def _hours(value: str) -> str | None:
    value = value.strip().replace(".", ":").replace("–", "-")
    return value or None


@router.post("/offices/{office_id}", response_class=HTMLResponse)
async def update_office(request: Request, office_id: str, who: OperatorDep, db: DbDep, state: StateDep) -> Response:
    """Change opening hours per weekday, counters and slot length (bookings follow at once)."""
    if not who.staff.can_serve_office(office_id):
        raise ForbiddenError("office")
    form = await request.form()
    hours = {d: h for d in WEEKDAYS if (h := _hours(str(form.get(f"hours_{d}") or "")))}
    try:
        values: dict[str, Any] = {
            "hours": hours,
            "counters": int(str(form.get("counters") or "0")),
            "slot_minutes": int(str(form.get("slot_minutes") or "0")),
        }
        publish_office(db, who.staff.email, office_id, values, effective_catalogue(db, state.catalogue_dir))
    except ValueError as exc:  # CatalogueChangeError included
        db.rollback()
        lines = exc.messages if isinstance(exc, CatalogueChangeError) else ["Jumlah loket dan menit slot harus angka."]
        return render(request, "message.html", who, 422, title="Belum bisa disimpan", lines=lines)
    await apply_offices(request, db, state)
    return RedirectResponse(f"/console/offices#office-{office_id}", status_code=303)


@router.post("/offices/rules/{index}", response_class=HTMLResponse)
async def update_office_rule(request: Request, index: int, who: OperatorDep, db: DbDep, state: StateDep) -> Response:
    """Change the weekdays, hours or daily quota of a service schedule."""
    rules = _bookings(request).directory.rules
    if not 0 <= index < len(rules):
        raise HTTPException(404)
    if not who.staff.can_serve_office(rules[index].office):
        raise ForbiddenError("office")
    form = await request.form()
    quota = str(form.get("daily_quota") or "").strip()
    try:
        values: dict[str, Any] = {
            "weekdays": [d for d in WEEKDAYS if d in form.getlist("weekdays")],
            "hours": _hours(str(form.get("hours") or "")),
            "daily_quota": int(quota) if quota else None,
        }
        publish_rule(db, who.staff.email, index, values, effective_catalogue(db, state.catalogue_dir))
    except ValueError as exc:
        db.rollback()
        lines = exc.messages if isinstance(exc, CatalogueChangeError) else ["Kuota harus angka."]
        return render(request, "message.html", who, 422, title="Belum bisa disimpan", lines=lines)
    await apply_offices(request, db, state)
    return RedirectResponse(f"/console/offices#office-{rules[index].office}", status_code=303)
