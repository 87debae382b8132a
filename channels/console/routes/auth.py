"""Sign-in, sign-out (here and everywhere), password change, and the home page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from channels.console._deps import COOKIE, AuthDep, DbDep, SignedIn, StateDep, render, require
from mpp.console.accounts import AccountError, authenticate, change_password, is_locked, sign_out_everywhere
from mpp.console.models import ServiceDraft, StaffUser, UnansweredQuestion
from mpp.models import Handoff

__all__ = ["router"]

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
_PRE = "mpp_console_pre"  # double-submit CSRF token of the sign-in form (no session yet)
PasswordDep = Annotated[SignedIn, Depends(require(allow_password_change=True))]


def _cookie_args(state: StateDep) -> dict[str, object]:
    return {"httponly": True, "secure": state.settings.console_cookie_secure, "samesite": "lax", "path": "/console"}


@router.get("/login", response_class=HTMLResponse)
async def read_login(request: Request, state: StateDep) -> Response:
    """The sign-in form."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, csrf=token, error=None)
    response.set_cookie(_PRE, token, max_age=1800, **_cookie_args(state))  # type: ignore[arg-type]
    return response


@router.post("/login", response_class=HTMLResponse)
async def create_login(
    request: Request,
    state: StateDep,
    db: DbDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=512)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Check the password; too many attempts or failures lock sign-in for a while."""
    pre = request.cookies.get(_PRE, "")
    if not pre or not secrets.compare_digest(pre, csrf_token):
        return render(request, "login.html", None, 403, csrf=pre, error="Sesi formulir habis. Muat ulang halaman.")
    client = request.client.host if request.client else "-"
    if not (state.limiter.hit(f"ip:{client}") and state.limiter.hit(f"email:{email.strip().lower()}")):
        return render(request, "login.html", None, 429, csrf=pre, error="Terlalu banyak percobaan. Coba lagi nanti.")
    user = authenticate(db, email, password)
    if user is None:
        locked = db.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
        msg = (
            "Akun dikunci sementara karena terlalu banyak percobaan gagal."
            if locked is not None and is_locked(locked)
            else "E-mail atau kata sandi salah."
        )
        return render(request, "login.html", None, 401, csrf=pre, error=msg)
    db.commit()
    token, _ = state.sessions.create(user.id, user.session_epoch)
    target = "/console/password" if user.must_change_password else "/console/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, max_age=state.settings.console_session_hours * 3600, **_cookie_args(state))  # type: ignore[arg-type]
    response.delete_cookie(_PRE, path="/console")
    return response


@router.post("/logout")
async def delete_session(who: PasswordDep, state: StateDep) -> Response:
    """Sign out of this browser."""
    state.sessions.delete(who.token)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.post("/logout-all")
async def delete_all_sessions(who: PasswordDep, state: StateDep, db: DbDep) -> Response:
    """Sign out everywhere (every browser and device of this account)."""
    user = db.get(StaffUser, who.staff.id)
    if user is not None:
        sign_out_everywhere(db, user)
    state.sessions.delete(who.token)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/password", response_class=HTMLResponse)
async def read_password(request: Request, who: PasswordDep) -> Response:
    """The password form (forced after a one-time password)."""
    return render(request, "password.html", who, error=None)


@router.post("/password", response_class=HTMLResponse)
async def update_password(
    request: Request,
    who: PasswordDep,
    state: StateDep,
    db: DbDep,
    current: Annotated[str, Form(max_length=512)],
    new: Annotated[str, Form(max_length=512)],
    repeat: Annotated[str, Form(max_length=512)],
) -> Response:
    """Change the password; other sessions end, this one continues."""
    user = db.get(StaffUser, who.staff.id)
    error = "Ulangan kata sandi baru tidak sama." if new != repeat else None
    if user is not None and error is None:
        try:
            change_password(db, user, current, new)
        except AccountError as exc:
            error = str(exc)
    if user is None or error is not None:
        return render(request, "password.html", who, 400, error=error)
    db.commit()
    state.sessions.delete(who.token)
    token, _ = state.sessions.create(user.id, user.session_epoch)
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(COOKIE, token, max_age=state.settings.console_session_hours * 3600, **_cookie_args(state))  # type: ignore[arg-type]
    return response


@router.get("/", response_class=HTMLResponse)
async def read_home(request: Request, who: AuthDep, db: DbDep) -> Response:
    """Home: what is waiting for this role."""
    counts = {
        "unanswered": db.scalar(
            select(func.count()).select_from(UnansweredQuestion).where(UnansweredQuestion.status == "open")
        ),
        "handoffs": db.scalar(select(func.count()).select_from(Handoff).where(Handoff.status == "open")),
        "drafts": db.scalar(select(func.count()).select_from(ServiceDraft)),
    }
    return render(request, "home.html", who, counts=counts)
