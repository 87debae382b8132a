"""WhatsApp through Twilio: signed form webhooks in, the Messages API out (numbered options for buttons)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import phonenumbers
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels._events import LOCATION_PAYLOAD, EventKind, InboundEvent, SendResult
from channels._options import NumberedOptions
from channels._ratelimit import Pacer
from channels._replies import ChannelReplies
from channels._text import split_text
from channels._twilio_http import HttpxTwilioClient
from channels.schemas import Button, OutMessage

__all__ = ["MAX_WHATSAPP_CHARS", "StatusUpdate", "WhatsAppAdapter", "WhatsAppTemplate", "whatsapp_sender"]

log = logging.getLogger(__name__)
MAX_WHATSAPP_CHARS = 1600
# Twilio error codes meaning the resident cannot be reached any more (blocked us, opted out, no WhatsApp).
_BLOCKED_CODES = frozenset({21610, 63003, 63024, 63032})
_WINDOW_CODES = frozenset({63016})
_MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker", "media"})
_CONTACT_MIMES = ("text/vcard", "text/x-vcard")


@dataclass(frozen=True)
class WhatsAppTemplate:
    """An approved Twilio content template, the only thing WhatsApp accepts outside the 24 h window."""

    content_sid: str
    variables: dict[str, str]


@dataclass(frozen=True)
class StatusUpdate:
    """A Twilio status callback: the message's fate and, on failure, the error code."""

    message_sid: str
    sender: str | None
    status: str
    error_code: int | None

    @property
    def blocked(self) -> bool:
        """The resident cannot be reached any more."""
        return self.error_code in _BLOCKED_CODES

    @property
    def window_closed(self) -> bool:
        """The 24 h customer-service window is closed."""
        return self.error_code in _WINDOW_CODES


def whatsapp_sender(address: str) -> str | None:
    """`whatsapp:+62...` in E.164 from any spelling Twilio uses, or None when it is not a phone number."""
    raw = address.removeprefix("whatsapp:").strip()
    if not raw:
        return None
    try:
        num = phonenumbers.parse(raw if raw.startswith("+") else f"+{raw}", "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return "whatsapp:" + phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


class WhatsAppAdapter:
    """Everything WhatsApp-specific: signature check, payload parsing, sending with Twilio's Messages API."""

    channel = "whatsapp"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        public_base_url: str,
        api_base_url: str | None = None,
        options: NumberedOptions | None = None,
        replies: ChannelReplies | None = None,
        pacer: Pacer | None = None,
        max_attempts: int = 5,
        backoff_s: float = 0.5,
    ) -> None:
        self._validator = RequestValidator(auth_token)
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._from = whatsapp_sender(from_number) or from_number
        self._public = public_base_url.rstrip("/")
        self._api_base = api_base_url
        self.options = options or NumberedOptions()
        self.replies = replies or ChannelReplies()
        # Twilio queues per sender; pacing per resident keeps bubbles in order on the phone.
        self.pacer = pacer or Pacer(per_chat=2.0, per_chat_burst=1, total=50.0, total_burst=50)
        self._attempts = max_attempts
        self.backoff_s = backoff_s
        self._http: HttpxTwilioClient | None = None
        self._client: Client | None = None

    @property
    def status_callback_url(self) -> str:
        """Where Twilio reports delivery (signed against the public URL)."""
        return f"{self._public}/webhooks/twilio/status"

    async def start(self) -> None:
        """Create the HTTP client (no request is made)."""
        self._http = HttpxTwilioClient(self._api_base)
        self._client = Client(self._account_sid, self._auth_token, http_client=self._http)

    async def aclose(self) -> None:
        """Close connections."""
        if self._http is not None:
            await self._http.close()

    # Inbound
    def verify(self, path_and_query: str, params: Mapping[str, str] | str, signature: str | None) -> bool:
        """Check `X-Twilio-Signature` against the public URL (never the URL seen behind a proxy)."""
        if not signature:
            return False
        return bool(self._validator.validate(self._public + path_and_query, params, signature))

    def parse_message(self, params: Mapping[str, str]) -> InboundEvent | None:
        """Turn an inbound WhatsApp message into an event (None when it is not one we can answer)."""
        sid = params.get("MessageSid") or params.get("SmsMessageSid") or ""
        sender = whatsapp_sender(params.get("From", ""))
        if not sid or sender is None:
            return None
        mtype = (params.get("MessageType") or "").lower()
        body = params.get("Body") or ""

        def ev(kind: EventKind, **kw: Any) -> InboundEvent:
            return InboundEvent(self.channel, sender, sid, kind, **kw)

        if params.get("Latitude") and params.get("Longitude"):
            try:
                lat, lon = float(params["Latitude"]), float(params["Longitude"])
            except ValueError:
                return ev("media", media="location")
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return ev("location", lat=lat, lon=lon)
        if params.get("ButtonPayload") or params.get("ButtonText") or mtype in ("button", "interactive"):
            payload = params.get("ButtonPayload") or ""
            # A template's own payloads (e.g. `appt:4821:confirm`) mean nothing to Rasa: send the visible words.
            text = payload if payload.startswith("/") else (params.get("ButtonText") or body)
            return ev("button" if text.startswith("/") else "text", text=text)
        num_media = int(params.get("NumMedia") or 0) if (params.get("NumMedia") or "0").isdigit() else 0
        mime = (params.get("MediaContentType0") or "").lower()
        if mime.startswith(_CONTACT_MIMES) or mtype == "contacts":
            return ev("contact")
        if num_media > 0 or mtype in _MEDIA_TYPES:
            return ev("media", media=mime or mtype)
        return ev("text", text=body)

    def parse_status(self, params: Mapping[str, str]) -> StatusUpdate:
        """Read a status callback."""
        code = params.get("ErrorCode") or ""
        return StatusUpdate(
            message_sid=params.get("MessageSid") or params.get("SmsSid") or "",
            sender=whatsapp_sender(params.get("To", "")),
            status=(params.get("MessageStatus") or params.get("SmsStatus") or "").lower(),
            error_code=int(code) if code.isdigit() else None,
        )

    async def resolve(self, event: InboundEvent) -> InboundEvent:
        """A typed "1", "2" or option title becomes the payload of the option offered last."""
        if event.kind != "text":
            return event
        payload = await self.options.resolve(event.sender, event.text)
        if payload is None:
            return event
        if payload == LOCATION_PAYLOAD:
            return InboundEvent(event.channel, event.sender, event.external_id, "text", text=event.text)
        return InboundEvent(event.channel, event.sender, event.external_id, "button", text=payload)

    # Outbound
    def render(self, messages: list[OutMessage]) -> tuple[list[str], list[Button]]:
        """Bubbles within 1600 characters, buttons as numbered options at the end of their bubble.

        WhatsApp has no location button: a "share location" option becomes a line saying how to attach one.
        """
        bodies: list[str] = []
        offered: list[Button] = []
        for m in messages:
            chunks = split_text(m.text, MAX_WHATSAPP_CHARS) if m.text.strip() else []
            buttons = [b for b in m.buttons if b.payload != LOCATION_PAYLOAD]
            lines: list[str] = []
            if buttons:
                start = len(offered)
                lines = [f"*{start + i + 1}.* {b.title}" for i, b in enumerate(buttons)]
                lines.append(self.replies.options_hint)
                offered.extend(buttons)
            if len(buttons) < len(m.buttons):
                lines.append(self.replies.whatsapp_location)
            if lines:
                options = "\n".join(lines)
                if chunks and len(chunks[-1]) + 2 + len(options) <= MAX_WHATSAPP_CHARS:
                    chunks[-1] = f"{chunks[-1]}\n\n{options}"
                else:
                    chunks.extend(split_text(options, MAX_WHATSAPP_CHARS))
            bodies.extend(chunks)
        return bodies, offered

    async def send(
        self, sender: str, messages: list[OutMessage], template: WhatsAppTemplate | None = None
    ) -> SendResult:
        """Send bubbles (or a template) to `whatsapp:+62...`; stop at the first failure."""
        if template is not None:
            return await self._create(
                sender, content_sid=template.content_sid, content_variables=json.dumps(template.variables)
            )
        bodies, offered = self.render(messages)
        await self.options.remember(sender, offered)
        for body in bodies:
            result = await self._create(sender, body=body)
            if result != "ok":
                return result
        return "ok"

    async def _create(self, to: str, **fields: str) -> SendResult:
        """One Messages API call, retried with backoff on 429, 5xx and network errors."""
        if self._client is None:
            await self.start()
        assert self._client is not None
        kwargs: dict[str, str] = {"to": to, "from_": self._from, **fields}
        if self._public.startswith("https://"):
            kwargs["status_callback"] = self.status_callback_url
        for attempt in range(self._attempts):
            await self.pacer.wait(to)
            try:
                await self._client.messages.create_async(**kwargs)
                return "ok"
            except (TwilioRestException, TwilioServiceException) as exc:
                code = getattr(exc, "code", None)
                status = int(getattr(exc, "status", 0) or 0)
                if code in _WINDOW_CODES:
                    return "window"
                if code in _BLOCKED_CODES:
                    return "blocked"
                if status != 429 and status < 500:
                    log.warning("twilio refused a message", extra={"status": status, "code": code})
                    return "failed"
                log.info("twilio busy, backing off", extra={"status": status, "attempt": attempt + 1})
            except httpx.HTTPError as exc:
                log.warning("twilio unreachable", extra={"error": type(exc).__name__, "attempt": attempt + 1})
            await asyncio.sleep(min(self.backoff_s * 2**attempt, 30.0))
        return "failed"
