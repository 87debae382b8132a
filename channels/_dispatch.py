"""Acknowledge fast, answer later: inbox, dedupe, flood control and one ordered worker per resident."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from channels._dedupe import Deduper
from channels._events import InboundEvent
from channels._replies import ChannelReplies
from channels._store import ChannelStore, FloodLimit
from channels.chat import ChatService
from channels.outbound import Outbound
from channels.schemas import OutMessage
from channels.telegram import MemberChange

__all__ = ["Dispatcher"]

log = logging.getLogger(__name__)
_Item = tuple[int | None, InboundEvent, bool]  # (inbox id, event, re-send the stored reply)


class Dispatcher:
    """Takes accepted events to the assistant and the answers back, in order per resident."""

    def __init__(
        self,
        chat: ChatService,
        store: ChannelStore,
        deduper: Deduper,
        outbound: Outbound,
        *,
        redis: Redis | None = None,
        prefix: str = "mpp:",
        flood_per_minute: float = 20.0,
        flood_burst: float = 10.0,
        max_concurrency: int = 32,
        sweep_every_s: float = 30.0,
        replies: ChannelReplies | None = None,
        max_send_attempts: int = 6,
        retry_backoff_s: float = 60.0,
    ) -> None:
        self.chat = chat
        self.store = store
        self.deduper = deduper
        self.outbound = outbound
        self.redis = redis
        self.prefix = prefix
        self.replies = replies or ChannelReplies()
        # Counted on the inbox, which every gateway process shares (a bucket in memory would be per process).
        self.flood = FloodLimit.per_minute(flood_per_minute, flood_burst)
        # A reply the platform refused is re-sent by the sweep: 1, 2, 4, 8, 16 minutes later, then given up.
        self.max_send_attempts = max_send_attempts
        self.retry_backoff_s = retry_backoff_s
        self._slots = asyncio.Semaphore(max_concurrency)
        self._queues: dict[str, deque[_Item]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._queued: set[int] = set()
        self._sweep_every = sweep_every_s
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False
        self.processed = 0  # answered events, for tests and benchmarks

    # Accepting (inside the webhook request)
    async def accept(self, event: InboundEvent) -> str:
        """Dedupe, flood-check and persist one event, then queue it; returns queued, duplicate or flood."""
        key = f"{event.channel}:{event.external_id}"
        in_redis = await self.deduper.claim_redis(key)
        if in_redis is False:
            return "duplicate"
        try:
            # Without Redis the dedupe key is claimed in the inbox write's own transaction: one commit per message.
            # Either way the inbox's unique (channel, external id) refuses a message it holds already.
            accepted = await asyncio.to_thread(
                self.store.inbox_accept, event, None if in_redis else key, self.deduper.ttl_s, self.flood
            )
        except Exception:
            if in_redis:
                await self.deduper.release(key)  # not stored: the platform's retry must get through
            raise
        if accepted is None:
            return "duplicate"
        if accepted.status == "flood":
            if accepted.notify:
                self._enqueue(None, InboundEvent(event.channel, event.sender, event.external_id, "flood"))
            return "flood"
        self._enqueue(accepted.id, event)
        return "queued"

    async def member_change(self, change: MemberChange) -> None:
        """Record a Telegram block or unblock."""
        if await self.deduper.claim(f"telegram:{change.update_id}"):
            await asyncio.to_thread(
                self.store.set_blocked,
                change.sender,
                "telegram",
                change.blocked,
                "blocked the bot" if change.blocked else "",
            )

    # Workers
    def _enqueue(self, item_id: int | None, event: InboundEvent, retry: bool = False) -> None:
        if item_id is not None:
            if item_id in self._queued:
                return
            self._queued.add(item_id)
        self._queues.setdefault(event.sender, deque()).append((item_id, event, retry))
        if event.sender not in self._workers:
            self._workers[event.sender] = asyncio.create_task(self._work(event.sender))

    async def _work(self, sender: str) -> None:
        queue = self._queues[sender]
        try:
            while queue:
                item_id, event, retry = queue.popleft()
                try:
                    async with self._slots, self._sender_lock(sender):
                        await (self._resend(item_id, event) if retry and item_id else self._process(item_id, event))
                finally:
                    if item_id is not None:
                        self._queued.discard(item_id)
        finally:
            # No await between the last check and here, so nothing queued meanwhile is stranded.
            self._workers.pop(sender, None)
            if not queue:
                self._queues.pop(sender, None)
            elif sender not in self._workers and not self._closing:
                self._workers[sender] = asyncio.create_task(self._work(sender))

    @contextlib.asynccontextmanager
    async def _sender_lock(self, sender: str) -> AsyncIterator[None]:
        """With Redis, a lock so two gateway processes never interleave one resident's messages."""
        if self.redis is None:
            yield
            return
        lock = self.redis.lock(f"{self.prefix}chlock:{sender}", timeout=120, blocking_timeout=60)
        try:
            acquired = await lock.acquire()
        except (RedisError, OSError):
            acquired = False
        try:
            yield
        finally:
            if acquired:
                with contextlib.suppress(RedisError, OSError):
                    await lock.release()

    async def _process(self, item_id: int | None, event: InboundEvent) -> None:
        if item_id is not None and not await asyncio.to_thread(self.store.inbox_claim, item_id):
            return  # another process answered it, or is answering it
        messages: list[OutMessage] = []
        result = "failed"
        try:
            messages = await self._answer(event)
            result = await self.outbound.reply(event.sender, messages) if messages else "ok"
        except Exception:
            log.exception("channel message failed", extra={"channel": event.channel, "kind": event.kind})
        finally:
            await self._settle(item_id, event, messages, result)
            self.processed += 1

    async def _resend(self, item_id: int, event: InboundEvent) -> None:
        """Send again a reply the platform refused earlier (the assistant is not asked twice)."""
        raw = await asyncio.to_thread(self.store.inbox_claim_reply, item_id)
        if raw is None:
            return  # another process re-sent it, or it is not due
        messages = [OutMessage.model_validate(m) for m in json.loads(raw)]
        result = "failed"
        try:
            result = await self.outbound.reply(event.sender, messages)
        except Exception:
            log.exception("channel reply retry failed", extra={"channel": event.channel, "inbox_id": item_id})
        finally:
            await self._settle(item_id, event, messages, result)

    async def _settle(self, item_id: int | None, event: InboundEvent, messages: list[OutMessage], result: str) -> None:
        """Record the outcome; a reply that could not be sent is kept for a later retry while attempts remain."""
        if item_id is None:
            return
        if result == "ok":
            await asyncio.to_thread(self.store.inbox_done, item_id, "done")
            return
        if result != "failed" or not messages:
            await asyncio.to_thread(self.store.inbox_done, item_id, result)
            return
        reply = json.dumps([m.model_dump() for m in messages], ensure_ascii=False)
        again = await asyncio.to_thread(
            self.store.inbox_retry_later, item_id, reply, self.max_send_attempts, self.retry_backoff_s
        )
        # Only ids and the channel: the reply and the resident stay out of the logs.
        if again:
            log.info("reply not delivered, will retry", extra={"channel": event.channel, "inbox_id": item_id})
        else:
            log.warning("reply not delivered, giving up", extra={"channel": event.channel, "inbox_id": item_id})

    async def _answer(self, event: InboundEvent) -> list[OutMessage]:
        """What the resident gets for this event."""
        channel, sender = event.channel, event.sender
        adapter = self.outbound.adapter(channel)
        if adapter is not None:
            event = await adapter.resolve(event)  # WhatsApp "1"/"2", Telegram `#token`: from the shared state
        if event.kind == "button" and "callback_id" in event.extra and self.outbound.telegram is not None:
            await self.outbound.telegram.answer_callback(event.extra["callback_id"])
        fixed = {
            "media": self.replies.media,
            "contact": self.replies.contact,
            "edited": self.replies.edited,
            "flood": self.replies.flood,
        }.get(event.kind)
        if fixed is not None:
            return [OutMessage(text=fixed)]
        if event.kind == "location" and event.lat is not None and event.lon is not None:
            return await self.chat.handle_location(sender, event.lat, event.lon, channel)
        if event.kind == "button" and not event.text:
            return [OutMessage(text=self.replies.expired_button)]
        if event.text.startswith("/"):
            await self.chat.buttons.refresh(sender)  # the offer may have been made by another gateway process
        return await self.chat.handle_text(sender, event.text, channel)

    # Recovery and shutdown
    async def recover(self, older_than_s: float = 0.0) -> int:
        """Queue inbox rows nobody answered (a process died); returns how many were queued."""
        items = await asyncio.to_thread(self.store.inbox_pending, older_than_s)
        for item in items:
            self._enqueue(item.id, item.event, item.retry)
        if items:
            log.info("recovered unanswered messages", extra={"count": len(items)})
        return len(items)

    async def _sweep(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(self._sweep_every)
            rounds += 1
            try:
                await self.recover(older_than_s=max(60.0, 2 * self._sweep_every))
                if rounds % 120 == 1:
                    await asyncio.to_thread(self.store.prune)
            except Exception:
                log.exception("inbox sweep failed")

    async def start(self) -> None:
        """Answer what was left over, then sweep the inbox periodically."""
        await self.recover()
        self._sweeper = asyncio.create_task(self._sweep())

    async def idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queue is empty (True) or the timeout passes (False)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._workers:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """Stop sweeping, let queues drain briefly; what is left stays in the inbox for the next start."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        await self.idle(timeout_s)
        for task in list(self._workers.values()):
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)
