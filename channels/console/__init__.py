"""The staff console under /console: server-rendered pages (Jinja2) and a small JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from channels.console._deps import ForbiddenError, MustChangePasswordError, NotSignedInError, templates
from channels.console._relay import console_relay
from channels.console.routes import admin, auth, inbox, ops, services
from mpp.settings import Settings

__all__ = ["console_relay", "install"]

_STATIC = Path(__file__).parent / "static"
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/console/api/")


def install(app: FastAPI, settings: Settings | None = None) -> None:
    """Add the console's routes, static files, error pages and security headers to the gateway."""
    app.state.console_settings = settings
    for module in (auth, services, inbox, admin, ops):
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=_STATIC), name="console-static")

    @app.exception_handler(NotSignedInError)
    async def not_signed_in(request: Request, _exc: NotSignedInError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Silakan masuk terlebih dahulu."}, status_code=401)
        return RedirectResponse("/console/login", status_code=303)

    @app.exception_handler(MustChangePasswordError)
    async def must_change(request: Request, _exc: MustChangePasswordError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Ganti kata sandi sekali pakai terlebih dahulu."}, status_code=403)
        return RedirectResponse("/console/password", status_code=303)

    @app.exception_handler(ForbiddenError)
    async def forbidden(request: Request, _exc: ForbiddenError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Akses ditolak."}, status_code=403)
        return templates.TemplateResponse(
            request, "forbidden.html", {"who": None, "nav": [], "csrf": ""}, status_code=403
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Staff get a page in Indonesian; everything else keeps FastAPI's JSON errors.
        if not request.url.path.startswith("/console/") or _is_api(request):
            return await http_exception_handler(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
        title = {404: "Tidak ditemukan"}.get(exc.status_code, "Belum bisa diproses")
        return templates.TemplateResponse(
            request,
            "message.html",
            {"who": None, "nav": [], "csrf": "", "title": title, "lines": [detail] if detail else []},
            status_code=exc.status_code,
        )

    @app.middleware("http")
    async def console_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        if request.url.path.startswith("/console"):
            for key, value in _HEADERS.items():
                response.headers.setdefault(key, value)
        return response
