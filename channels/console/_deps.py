"""Console dependencies: the signed-in staff member, role checks, CSRF, page rendering."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from channels.console._state import ConsoleState
from mpp.console._messages import FIELD_LABELS
from mpp.console.accounts import Role, StaffView
from mpp.console.models import StaffUser
from mpp.console.sessions import SessionData
from mpp.db import session_scope

__all__ = [
    "COOKIE",
    "AuthDep",
    "ConsoleError",
    "DbDep",
    "ForbiddenError",
    "MustChangePasswordError",
    "NotSignedInError",
    "SignedIn",
    "StateDep",
    "render",
    "require",
    "templates",
]

COOKIE = "mpp_console"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
_BOLD_RE = re.compile(r"\*([^*\n]+)\*")


def _chat_html(text: str) -> Markup:
    """A chat text as WhatsApp and Telegram show it: *bold* in bold, the rest escaped."""
    parts = _BOLD_RE.split(text)  # odd positions are the bold parts
    return Markup("").join(Markup("<strong>{}</strong>").format(p) if i % 2 else escape(p) for i, p in enumerate(parts))


def _value_html(value: object) -> Markup:
    """A field value of a service document, readable: lists numbered, mappings as lines."""
    if value is None or value == [] or value == {}:
        return Markup("–")
    if isinstance(value, list):
        return Markup("<ol>{}</ol>").format(Markup("").join(Markup("<li>{}</li>").format(_plain(v)) for v in value))
    if isinstance(value, dict):
        return Markup("<br>").join(Markup("{}: {}").format(k, _plain(v)) for k, v in value.items() if v is not None)
    return escape(str(value))


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
    return str(value)


templates.env.filters["chat"] = _chat_html
templates.env.filters["value"] = _value_html
templates.env.filters["label"] = lambda name: FIELD_LABELS.get(str(name), str(name))

NAV: list[tuple[str, str, frozenset[Role]]] = [
    ("/console/", "Beranda", frozenset(Role)),
    ("/console/services", "Layanan", frozenset({Role.ADMIN, Role.EDITOR})),
    ("/console/unanswered", "Belum terjawab", frozenset({Role.ADMIN, Role.EDITOR})),
    ("/console/handoffs", "Petugas", frozenset({Role.ADMIN, Role.OPERATOR})),
    ("/console/bookings", "Booking", frozenset({Role.ADMIN, Role.OPERATOR})),
    ("/console/offices", "Kantor", frozenset({Role.ADMIN, Role.OPERATOR})),
    ("/console/reports", "Kepuasan", frozenset({Role.ADMIN, Role.VIEWER})),
    ("/console/audit", "Riwayat", frozenset({Role.ADMIN, Role.EDITOR})),
    ("/console/staff", "Akun", frozenset({Role.ADMIN})),
    ("/console/privacy", "Privasi", frozenset({Role.ADMIN})),
]


class ConsoleError(Exception):
    """Base of the console's request errors (handled in channels/console/__init__.py)."""


class NotSignedInError(ConsoleError):
    """No valid session: pages redirect to the sign-in form, the API answers 401."""


class MustChangePasswordError(ConsoleError):
    """A one-time password is in use: everything but the password form redirects there."""


class ForbiddenError(ConsoleError):
    """Signed in, but the role (or tenant/office) does not allow this."""


def _state(request: Request) -> ConsoleState:
    state = getattr(request.app.state, "console", None)
    if state is None:
        state = ConsoleState.create(getattr(request.app.state, "console_settings", None))
        request.app.state.console = state
    return state


StateDep = Annotated[ConsoleState, Depends(_state)]


def _db(state: StateDep) -> Iterator[Session]:
    with session_scope(state.engine) as db:
        yield db


DbDep = Annotated[Session, Depends(_db)]


@dataclass(frozen=True)
class SignedIn:
    """The staff member behind a request and their session."""

    staff: StaffView
    session: SessionData
    token: str


def _signed_in(request: Request, state: StateDep) -> SignedIn:
    token = request.cookies.get(COOKIE)
    data = state.sessions.get(token) if token else None
    if token is None or data is None:
        raise NotSignedInError
    with session_scope(state.engine) as db:
        user = db.get(StaffUser, data.user_id)
        if user is None or not user.active or user.session_epoch != data.epoch:
            raise NotSignedInError
        staff = StaffView.of(user)
    return SignedIn(staff, data, token)


async def _check_csrf(request: Request, who: SignedIn) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get("csrf_token") or "")
    if not sent or not secrets.compare_digest(sent, who.session.csrf):
        raise ForbiddenError("csrf")


def require(*roles: Role, allow_password_change: bool = False) -> Callable[..., Any]:
    """A dependency: signed in, one of these roles (all roles when none given), CSRF checked on writes."""
    allowed = frozenset(roles or Role)

    async def dep(request: Request, who: Annotated[SignedIn, Depends(_signed_in)]) -> SignedIn:
        if who.staff.must_change_password and not allow_password_change:
            raise MustChangePasswordError
        if who.staff.role not in allowed:
            raise ForbiddenError("role")
        await _check_csrf(request, who)
        return who

    return dep


AuthDep = Annotated[SignedIn, Depends(require())]


def render(request: Request, name: str, who: SignedIn | None, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """A console page with the navigation of the staff member's role."""
    nav = [(href, label) for href, label, roles in NAV if who is not None and who.staff.role in roles]
    context = {"who": who, "nav": nav, "csrf": who.session.csrf if who else ctx.pop("csrf", ""), **ctx}
    return templates.TemplateResponse(request, name, context, status_code=status_code)
