"""Telegram through python-telegram-bot v22, behind our own webhook route (no Updater, no polling)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder

from channels._events import LOCATION_PAYLOAD, EventKind, InboundEvent, SendResult
from channels._options import CallbackTokens
from channels._ratelimit import Pacer
from channels._replies import ChannelReplies
from channels._text import split_text, telegram_html
from channels.schemas import Button, OutMessage

__all__ = ["ALLOWED_UPDATES", "MAX_TELEGRAM_CHARS", "MemberChange", "TelegramAdapter"]

log = logging.getLogger(__name__)
MAX_TELEGRAM_CHARS = 4096
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup
_MEDIA_FIELDS = ("photo", "voice", "audio", "video", "video_note", "sticker", "document", "animation")


@dataclass(frozen=True)
class MemberChange:
    """The resident blocked (or unblocked) the bot."""

    sender: str
    update_id: int
    blocked: bool


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramAdapter:
    """Everything Telegram-specific: secret check, update parsing, sending through the Bot API."""

    channel = "telegram"

    def __init__(
        self,
        *,
        token: str,
        secret: str,
        api_base_url: str = "https://api.telegram.org",
        tokens: CallbackTokens | None = None,
        replies: ChannelReplies | None = None,
        pacer: Pacer | None = None,
        max_attempts: int = 4,
        backoff_s: float = 0.5,
    ) -> None:
        api = api_base_url.rstrip("/")
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = Application.builder()
        self.application = (
            builder.token(token).updater(None).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot").build()
        )
        self._secret = secret.encode()
        self.tokens = tokens or CallbackTokens()
        self.replies = replies or ChannelReplies()
        # Bot API limits: about one message a second per chat, 30 a second in all.
        self.pacer = pacer or Pacer(per_chat=1.0, per_chat_burst=1, total=30.0, total_burst=30)
        self._attempts = max_attempts
        self.backoff_s = backoff_s

    @property
    def bot(self) -> Any:
        """The python-telegram-bot `Bot`."""
        return self.application.bot

    async def start(self) -> None:
        """Initialise the application; offline start-up only logs (sending works once the API answers)."""
        try:
            await asyncio.wait_for(self.application.initialize(), timeout=10)
        except (TelegramError, TimeoutError) as exc:
            log.warning("telegram getMe failed at start-up", extra={"error": type(exc).__name__})

    async def aclose(self) -> None:
        """Shut the application down."""
        try:
            await self.application.shutdown()
        except (TelegramError, RuntimeError) as exc:
            log.info("telegram shutdown", extra={"error": type(exc).__name__})

    async def set_webhook(self, url: str) -> bool:
        """Register our webhook with its secret token."""
        return bool(
            await self.bot.set_webhook(
                url=url, secret_token=self._secret.decode(), allowed_updates=ALLOWED_UPDATES, max_connections=40
            )
        )

    # Inbound
    def verify(self, header: str | None) -> bool:
        """Constant-time check of `X-Telegram-Bot-Api-Secret-Token`."""
        return header is not None and hmac.compare_digest(header.encode(), self._secret)

    def parse(self, data: dict[str, Any]) -> InboundEvent | MemberChange | None:
        """Turn an `Update` into an event, a block/unblock, or None for updates we do not answer."""
        update = Update.de_json(data, self.bot)
        uid = str(update.update_id)
        member = update.my_chat_member
        if member is not None:
            if member.chat.type != ChatType.PRIVATE:
                return None
            status = member.new_chat_member.status
            blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
            return MemberChange(f"telegram:{member.chat.id}", update.update_id, blocked)
        query = update.callback_query
        if query is not None:
            chat_id = query.message.chat.id if query.message is not None else query.from_user.id
            # A `#token` stays as it is until `resolve`: the webhook answers without touching shared state.
            extra = {"callback_id": query.id}
            return InboundEvent(self.channel, f"telegram:{chat_id}", uid, "button", text=query.data or "", extra=extra)
        msg = update.edited_message or update.message
        if msg is None or msg.chat.type != ChatType.PRIVATE:
            return None
        sender = f"telegram:{msg.chat.id}"

        def ev(kind: EventKind, **kw: Any) -> InboundEvent:
            return InboundEvent(self.channel, sender, uid, kind, **kw)

        if update.edited_message is not None:
            return ev("edited")
        if msg.location is not None:
            return ev("location", lat=msg.location.latitude, lon=msg.location.longitude)
        if msg.contact is not None:
            return ev("contact")  # the number is dropped here: never stored, never logged
        for name in _MEDIA_FIELDS:
            if getattr(msg, name):
                return ev("media", media=name)
        text = msg.text or ""
        if text.split(maxsplit=1)[:1] in (["/start"], ["/mulai"]):
            return ev("start", text="halo")
        if text:
            return ev("text", text=text)
        return None

    async def resolve(self, event: InboundEvent) -> InboundEvent:
        """A button's `#token` becomes the payload it stands for (empty when unknown or expired)."""
        if event.kind != "button" or not event.text.startswith("#"):
            return event
        payload = await self.tokens.decode(event.text)
        return InboundEvent(
            event.channel, event.sender, event.external_id, "button", text=payload or "", extra=event.extra
        )

    async def answer_callback(self, callback_id: str) -> None:
        """Stop the button's spinner (Telegram expects it within seconds)."""
        try:
            await self.bot.answer_callback_query(callback_id)
        except TelegramError as exc:
            log.info("answerCallbackQuery failed", extra={"error": type(exc).__name__})

    # Outbound
    async def _markup(self, buttons: list[Button]) -> tuple[Markup | None, Markup | None]:
        """(inline keyboard, location keyboard) for these buttons."""
        inline = [b for b in buttons if b.payload != LOCATION_PAYLOAD]
        location = [b for b in buttons if b.payload == LOCATION_PAYLOAD]
        inline_markup = None
        if inline:
            wide = any(len(b.title) > 20 for b in inline)
            per_row = 1 if wide else 2
            keys = [
                InlineKeyboardButton(b.title[:64], callback_data=await self.tokens.encode(b.payload)) for b in inline
            ]
            rows = [keys[i : i + per_row] for i in range(0, len(keys), per_row)]
            inline_markup = InlineKeyboardMarkup(rows)
        location_markup = None
        if location:
            location_markup = ReplyKeyboardMarkup(
                [[KeyboardButton(location[0].title[:64] or "📍 Kirim lokasi", request_location=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
            )
        return inline_markup, location_markup

    async def render(self, messages: list[OutMessage]) -> list[tuple[str, Markup | None]]:
        """Bubbles within 4096 characters, the keyboard on the last bubble of its message."""
        out: list[tuple[str, Markup | None]] = []
        for m in messages:
            chunks = split_text(m.text, MAX_TELEGRAM_CHARS) if m.text.strip() else []
            inline, location = await self._markup(m.buttons)
            if not chunks and (inline or location):
                chunks = [self.replies.choose]
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                out.append((chunk, (inline or location) if last else None))
            if inline is not None and location is not None:
                out.append((self.replies.location_hint, location))
        return out

    async def send(self, sender: str, messages: list[OutMessage]) -> SendResult:
        """Send bubbles to `telegram:<chat_id>`; stop at the first failure."""
        chat_id = int(sender.removeprefix("telegram:"))
        for text, markup in await self.render(messages):
            result = await self._send_one(chat_id, text, markup)
            if result != "ok":
                return result
        return "ok"

    async def _send_one(self, chat_id: int, text: str, markup: Markup | None) -> SendResult:
        html = True
        for attempt in range(self._attempts):
            await self.pacer.wait(str(chat_id))
            try:
                await self.bot.send_message(
                    chat_id,
                    telegram_html(text) if html else text,
                    parse_mode=ParseMode.HTML if html else None,
                    reply_markup=markup,
                )
                return "ok"
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except Forbidden:
                return "blocked"
            except BadRequest as exc:
                if html and "entit" in str(exc).lower():
                    html = False  # our markup was refused: send the plain words instead
                    continue
                log.warning("telegram refused a message", extra={"error": str(exc)[:200]})
                return "failed"
            except NetworkError as exc:
                log.info("telegram unreachable", extra={"error": type(exc).__name__, "attempt": attempt + 1})
            except TelegramError as exc:
                log.warning("telegram error", extra={"error": type(exc).__name__})
                return "failed"
            await asyncio.sleep(min(self.backoff_s * 2**attempt, 30.0))
        return "failed"
