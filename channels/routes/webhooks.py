"""Platform webhooks: `POST /webhooks/telegram`, `/webhooks/twilio/whatsapp`, `/webhooks/twilio/status`."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from channels._dispatch import Dispatcher
from channels._gateway import ChannelGateway
from channels.telegram import MemberChange, TelegramAdapter
from channels.whatsapp import WhatsAppAdapter

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"], include_in_schema=False)
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _gateway(request: Request) -> ChannelGateway | None:
    gateway: ChannelGateway | None = getattr(request.app.state, "channels", None)
    return gateway


GatewayDep = Annotated[ChannelGateway | None, Depends(_gateway)]


class FormParams(dict[str, str]):
    """Form fields as Twilio signed them: every field, blanks kept, repeated keys available via `getlist`."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._lists: dict[str, list[str]] = {}
        for key, value in pairs:
            self._lists.setdefault(key, []).append(value)

    def getlist(self, key: str) -> list[str]:
        """All values of a field (the signature covers each of them)."""
        return self._lists.get(key, [])


def _forbidden() -> Response:
    return Response(status_code=403)


def _parts(gateway: ChannelGateway | None) -> tuple[Dispatcher, TelegramAdapter | None, WhatsAppAdapter | None]:
    if gateway is None or gateway.dispatcher is None:
        raise HTTPException(status_code=404)
    return gateway.dispatcher, gateway.telegram, gateway.whatsapp


@router.post("/webhooks/telegram")
async def telegram_webhook(request: Request, gateway: GatewayDep) -> Response:
    """Accept one Telegram update: check the secret, store it, answer later."""
    dispatcher, telegram, _ = _parts(gateway)
    if telegram is None:
        raise HTTPException(status_code=404)
    if not telegram.verify(request.headers.get("x-telegram-bot-api-secret-token")):
        return _forbidden()
    try:
        data: Any = json.loads(await request.body())
        parsed = telegram.parse(data) if isinstance(data, dict) else None
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("unreadable telegram update", extra={"error": type(exc).__name__})
        return Response(status_code=200)  # a retry would be just as unreadable
    if isinstance(parsed, MemberChange):
        await dispatcher.member_change(parsed)
    elif parsed is not None:
        await dispatcher.accept(parsed)
    return Response(status_code=200)


class _BadSignatureError(Exception):
    """The signature did not match."""


async def _twilio_request(
    request: Request, gateway: ChannelGateway | None
) -> tuple[Dispatcher, WhatsAppAdapter, FormParams | None]:
    """(dispatcher, adapter, form params or None for a JSON body) of a request whose signature is valid."""
    dispatcher, _, whatsapp = _parts(gateway)
    if whatsapp is None:
        raise HTTPException(status_code=404)
    body = (await request.body()).decode("utf-8", errors="replace")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("x-twilio-signature")
    if request.headers.get("content-type", "").startswith("application/json"):
        if not whatsapp.verify(path, body, signature):
            raise _BadSignatureError
        return dispatcher, whatsapp, None
    params = FormParams(parse_qsl(body, keep_blank_values=True))
    if not whatsapp.verify(path, params, signature):
        raise _BadSignatureError
    return dispatcher, whatsapp, params


def _twiml() -> Response:
    return Response(content=_EMPTY_TWIML, media_type="application/xml")


@router.post("/webhooks/twilio/whatsapp")
async def twilio_whatsapp_webhook(request: Request, gateway: GatewayDep) -> Response:
    """Accept one WhatsApp message from Twilio: check the signature, store it, answer later."""
    try:
        dispatcher, whatsapp, params = await _twilio_request(request, gateway)
    except _BadSignatureError:
        return _forbidden()
    event = whatsapp.parse_message(params) if params is not None else None
    if event is not None:
        await dispatcher.accept(event)
    return _twiml()


@router.post("/webhooks/twilio/status")
async def twilio_status_webhook(request: Request, gateway: GatewayDep) -> Response:
    """Delivery reports: remember residents who blocked us or whose 24 h window closed."""
    try:
        dispatcher, whatsapp, params = await _twilio_request(request, gateway)
    except _BadSignatureError:
        return _forbidden()
    if params is not None:
        status = whatsapp.parse_status(params)
        if status.sender is not None and status.status in ("failed", "undelivered"):
            store = dispatcher.store
            if status.blocked:
                await asyncio.to_thread(
                    store.set_blocked, status.sender, "whatsapp", True, f"twilio {status.error_code}"
                )
            elif status.window_closed:
                await asyncio.to_thread(store.close_window, status.sender)
            log.info("whatsapp message not delivered", extra={"status": status.status, "code": status.error_code})
    return _twiml()
