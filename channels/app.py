"""Assembles the gateway: settings, logging, routers, static web chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse

from channels import console
from channels._gateway import ChannelGateway
from channels.chat import ChatService
from channels.rasa_client import RasaClient
from channels.reminders import ReminderWorker
from channels.routes import chat, health, staff, webhooks
from mpp.booking import booking_service_for
from mpp.console.live import watch_offices
from mpp.logging import configure_logging
from mpp.settings import Settings, get_settings

__all__ = ["create_app"]

_STATIC = Path(__file__).parent / "static"
MAX_BODY_BYTES = 256 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI application (no I/O until the lifespan starts)."""
    cfg = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(cfg.log_level)
        rasa = RasaClient(cfg.rasa_url)
        app.state.chat = ChatService(rasa)
        app.state.chat.relay = console.console_relay(app)
        app.state.channels = await ChannelGateway.start(cfg, app.state.chat)
        app.state.outbound = app.state.channels.outbound
        app.state.bookings = await asyncio.to_thread(booking_service_for, cfg)
        # Office settings and services published in the console, now (after a restart too) and
        # whenever another process publishes: reminders and the office pages read this directory.
        offices = await asyncio.to_thread(watch_offices, app.state.bookings, cfg.catalogue_dir)
        reminders = ReminderWorker(app.state.bookings, app.state.outbound, cfg)
        if cfg.booking_reminders:
            reminders.start()
        try:
            yield
        finally:
            await asyncio.to_thread(offices.stop)
            await reminders.stop()
            await app.state.channels.aclose()
            await rasa.aclose()

    app = FastAPI(title="Asisten MPP Kukar", version="0.1.0", lifespan=lifespan)
    app.state.settings = cfg

    @app.middleware("http")
    async def limit_body(request: Request, call_next):  # type: ignore[no-untyped-def]
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse({"detail": "Pesan terlalu besar."}, status_code=413)
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return JSONResponse({"detail": "Format pesan tidak valid.", "errors": errors}, status_code=422)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(_STATIC / "index.html")

    app.include_router(chat.router)
    app.include_router(health.router)
    console.install(app, cfg)
    app.include_router(webhooks.router)
    app.include_router(staff.router)
    return app
