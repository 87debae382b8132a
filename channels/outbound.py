"""Proactive messages (reminders, staff replies, rating invitations) to a resident on whatever channel they use."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from channels._buttons import OfferedButtons
from channels._events import SendResult
from channels._store import ChannelStore, utcnow
from channels.schemas import OutMessage
from channels.telegram import TelegramAdapter
from channels.whatsapp import WhatsAppAdapter, WhatsAppTemplate, whatsapp_sender

__all__ = ["WINDOW", "Outbound", "WhatsAppTemplate"]

log = logging.getLogger(__name__)
# WhatsApp's customer-service window, minus a margin so a message sent at the edge is not refused.
WINDOW = dt.timedelta(hours=24) - dt.timedelta(minutes=5)


class Outbound:
    """Sends to `telegram:<chat_id>` or `whatsapp:+62...`; knows who blocked us and whose window is open."""

    def __init__(
        self,
        store: ChannelStore | None = None,
        *,
        telegram: TelegramAdapter | None = None,
        whatsapp: WhatsAppAdapter | None = None,
        buttons: OfferedButtons | None = None,
    ) -> None:
        self.store = store
        self.telegram = telegram
        self.whatsapp = whatsapp
        self.buttons = buttons

    async def deliver(
        self, sender: str, messages: list[OutMessage], *, template: WhatsAppTemplate | None = None
    ) -> bool:
        """Send unprompted; False when it cannot be delivered (blocked, window closed without template, web, API failure)."""
        channel, _, _ = sender.partition(":")
        if channel == "whatsapp":
            sender = whatsapp_sender(sender) or sender
        if self.store is None or self.adapter(channel) is None:
            return False
        state = await asyncio.to_thread(self.store.user, sender)
        if state.blocked:
            return False
        if channel == "whatsapp":
            assert self.whatsapp is not None
            open_window = state.last_inbound_at is not None and utcnow() - state.last_inbound_at < WINDOW
            if not open_window and template is None:
                return False
            await self._offer(sender, messages)
            result = await self.whatsapp.send(sender, messages, None if open_window else template)
        else:
            await self._offer(sender, messages)
            result = await self._send(sender, messages)
        await self._record(sender, result)
        return result == "ok"

    async def reply(self, sender: str, messages: list[OutMessage]) -> SendResult:
        """Answer a message the resident just sent (the window is open by definition)."""
        if self.buttons is not None:
            await self.buttons.flush(sender)  # the offer must be shared before the resident can press it
        result = await self._send(sender, messages)
        await self._record(sender, result)
        return result

    async def _offer(self, sender: str, messages: list[OutMessage]) -> None:
        """Offer the buttons to the payload guard before sending: the answer may reach another gateway process."""
        payloads = [b.payload for m in messages for b in m.buttons]
        if self.buttons is not None:
            self.buttons.offer(sender, payloads)
            await self.buttons.flush(sender)

    def adapter(self, channel: str) -> TelegramAdapter | WhatsAppAdapter | None:
        """The adapter of `telegram` or `whatsapp`, when configured."""
        return {"telegram": self.telegram, "whatsapp": self.whatsapp}.get(channel)

    async def _send(self, sender: str, messages: list[OutMessage]) -> SendResult:
        adapter = self.adapter(sender.partition(":")[0])
        if adapter is None:
            return "failed"
        return await adapter.send(sender, messages)

    async def _record(self, sender: str, result: SendResult) -> None:
        """Remember what the platform told us about this resident."""
        if self.store is None:
            return
        channel = sender.partition(":")[0]
        if result == "blocked":
            log.info("resident unreachable, no more proactive messages", extra={"channel": channel})
            await asyncio.to_thread(self.store.set_blocked, sender, channel, True, "send refused")
        elif result == "window":
            await asyncio.to_thread(self.store.close_window, sender)
