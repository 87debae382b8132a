"""The reminder worker: the day before a visit, a reminder through the channel the booking came from."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Protocol

from channels.schemas import OutMessage
from channels.whatsapp import WhatsAppTemplate
from mpp.booking import BookingService
from mpp.booking.notices import booking_fields, notice
from mpp.settings import Settings

__all__ = ["Deliverer", "ReminderWorker"]

log = logging.getLogger(__name__)


class Deliverer(Protocol):
    """What the worker needs of channels.outbound.Outbound."""

    async def deliver(
        self, sender: str, messages: list[OutMessage], *, template: WhatsAppTemplate | None = None
    ) -> bool: ...


class ReminderWorker:
    """Claims due reminders from the database (exactly once across processes) and sends them."""

    def __init__(self, bookings: BookingService, outbound: Deliverer | None, settings: Settings) -> None:
        self.bookings = bookings
        self.outbound = outbound
        self.hour = settings.booking_reminder_hour
        self.content_sid = settings.whatsapp_reminder_content_sid
        self._task: asyncio.Task[None] | None = None

    def _template(self, fields: dict[str, str]) -> WhatsAppTemplate | None:
        # Outside WhatsApp's 24-hour window only an approved template may be sent; its variables
        # are numbered in the order the template was approved with.
        if not self.content_sid:
            return None
        return WhatsAppTemplate(
            self.content_sid,
            {
                "1": fields["day"],
                "2": fields["time"],
                "3": fields["service"],
                "4": fields["office"],
                "5": fields["code"],
            },
        )

    async def run_once(self, now: dt.datetime | None = None) -> tuple[int, int]:
        """Send every due reminder once; returns (claimed, delivered)."""
        claimed = await asyncio.to_thread(self.bookings.claim_reminders, now, self.hour)
        delivered = 0
        for b in claimed:
            text = notice("reminder", self.bookings.directory, b)
            ok = False
            if self.outbound is not None:
                template = (
                    self._template(booking_fields(self.bookings.directory, b)) if b.channel == "whatsapp" else None
                )
                try:
                    ok = await self.outbound.deliver(b.sender, [OutMessage(text=text)], template=template)
                except Exception:  # one resident's failure must not stop the others' reminders
                    log.exception("reminder failed", extra={"channel": b.channel})
            delivered += ok
            log.info("reminder", extra={"channel": b.channel, "delivered": ok, "office": b.office_id})
        return len(claimed), delivered

    async def _loop(self, interval_s: float) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("reminder round failed")
            await asyncio.sleep(interval_s)

    def start(self, interval_s: float = 60.0) -> None:
        """Run in the background of the gateway's event loop."""
        self._task = asyncio.create_task(self._loop(interval_s))

    async def stop(self) -> None:
        """Stop the background loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
