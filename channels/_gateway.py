"""Builds the channels that have credentials, with their shared state (database, Redis, outbound)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging

from redis.asyncio import Redis

from channels._dedupe import Deduper
from channels._dispatch import Dispatcher
from channels._options import CallbackTokens, NumberedOptions
from channels._shared import DbState, RedisState, SharedState
from channels._store import ChannelStore
from channels.chat import ChatService
from channels.outbound import Outbound
from channels.telegram import TelegramAdapter
from channels.whatsapp import WhatsAppAdapter
from mpp.db import engine_for, migrate
from mpp.settings import Settings

__all__ = ["ChannelGateway", "telegram_secret"]

log = logging.getLogger(__name__)


def telegram_secret(cfg: Settings) -> str | None:
    """The webhook secret: TELEGRAM_WEBHOOK_SECRET, or one derived from SECRET_KEY and the bot token."""
    if cfg.telegram_webhook_secret is not None and cfg.telegram_webhook_secret.get_secret_value():
        return cfg.telegram_webhook_secret.get_secret_value()
    if cfg.telegram_bot_token is None or not cfg.telegram_bot_token.get_secret_value():
        return None
    key = cfg.secret_key.get_secret_value().encode()
    return hmac.new(key, cfg.telegram_bot_token.get_secret_value().encode(), hashlib.sha256).hexdigest()


def build_telegram(cfg: Settings) -> TelegramAdapter | None:
    """The Telegram adapter when TELEGRAM_BOT_TOKEN is set."""
    secret = telegram_secret(cfg)
    if cfg.telegram_bot_token is None or not secret:
        return None
    return TelegramAdapter(
        token=cfg.telegram_bot_token.get_secret_value(), secret=secret, api_base_url=cfg.telegram_api_base_url
    )


def build_whatsapp(cfg: Settings) -> WhatsAppAdapter | None:
    """The WhatsApp adapter when the Twilio credentials and PUBLIC_BASE_URL are set."""
    if not (cfg.twilio_account_sid and cfg.twilio_auth_token and cfg.twilio_whatsapp_from):
        return None
    if not cfg.public_base_url:
        log.warning("WhatsApp not started: PUBLIC_BASE_URL is needed to check Twilio signatures")
        return None
    return WhatsAppAdapter(
        account_sid=cfg.twilio_account_sid,
        auth_token=cfg.twilio_auth_token.get_secret_value(),
        from_number=cfg.twilio_whatsapp_from,
        public_base_url=cfg.public_base_url,
        api_base_url=cfg.twilio_api_base_url,
    )


class ChannelGateway:
    """The running channels: adapters, dispatcher and `outbound` (which always exists, possibly empty)."""

    def __init__(
        self,
        outbound: Outbound,
        dispatcher: Dispatcher | None = None,
        redis: Redis | None = None,
    ) -> None:
        self.outbound = outbound
        self.dispatcher = dispatcher
        self.redis = redis

    @property
    def telegram(self) -> TelegramAdapter | None:
        """The Telegram adapter, when configured."""
        return self.outbound.telegram

    @property
    def whatsapp(self) -> WhatsAppAdapter | None:
        """The WhatsApp adapter, when configured."""
        return self.outbound.whatsapp

    @classmethod
    async def start(cls, cfg: Settings, chat: ChatService) -> ChannelGateway:
        """Start whichever channels have credentials; with none, no database or Redis is touched."""
        telegram, whatsapp = build_telegram(cfg), build_whatsapp(cfg)
        if telegram is None and whatsapp is None:
            return cls(Outbound(buttons=chat.buttons))
        engine = engine_for(cfg.sqlalchemy_url)
        await asyncio.to_thread(migrate, engine)
        store = ChannelStore(engine)
        redis = Redis.from_url(cfg.redis_url) if cfg.redis_url else None
        # Offered buttons, numbered options and callback tokens must be seen by every gateway process.
        shared: SharedState = DbState(store)
        if redis is not None:
            shared = RedisState(redis, cfg.redis_prefix, fallback=shared)
        chat.buttons.share(shared)
        if telegram is not None:
            telegram.tokens = CallbackTokens(shared)
        if whatsapp is not None:
            whatsapp.options = NumberedOptions(shared)
        outbound = Outbound(store, telegram=telegram, whatsapp=whatsapp, buttons=chat.buttons)
        dispatcher = Dispatcher(
            chat,
            store,
            Deduper(store, redis, prefix=cfg.redis_prefix),
            outbound,
            redis=redis,
            prefix=cfg.redis_prefix,
            flood_per_minute=cfg.channels_flood_per_minute,
        )
        for adapter in (telegram, whatsapp):
            if adapter is not None:
                await adapter.start()
        await dispatcher.start()
        log.info(
            "channels started",
            extra={"telegram": telegram is not None, "whatsapp": whatsapp is not None, "redis": redis is not None},
        )
        return cls(outbound, dispatcher, redis)

    async def aclose(self) -> None:
        """Drain briefly, then close adapters and connections."""
        if self.dispatcher is not None:
            await self.dispatcher.aclose()
            self.dispatcher.store.engine.dispose()
        for adapter in (self.telegram, self.whatsapp):
            if adapter is not None:
                await adapter.aclose()
        if self.redis is not None:
            await self.redis.aclose()
