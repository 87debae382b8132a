"""Channel tables: the inbox of inbound messages, the dedupe fallback, and what we know of each resident's chat."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from mpp.models import Base

__all__ = ["ChannelDedupe", "ChannelInbox", "ChannelState", "ChannelUser"]


class ChannelInbox(Base):
    """An inbound message, stored before the webhook is acknowledged and marked once answered."""

    __tablename__ = "channel_inbox"
    __table_args__ = (
        Index("ix_channel_inbox_status_id", "status", "id"),
        # The durable dedupe record: a redelivery is refused here even when Redis forgot (or never saw) the key.
        Index("uq_channel_inbox_channel_external_id", "channel", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(128), index=True)
    external_id: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A reply the platform refused (status "retry"): re-sent by the sweep, never re-asked from the assistant.
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    retry_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ChannelDedupe(Base):
    """Keys of updates already accepted, used when Redis is not configured or not reachable."""

    __tablename__ = "channel_dedupe"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class ChannelState(Base):
    """Short-lived state shared by gateway processes when Redis is not configured (offered buttons, options)."""

    __tablename__ = "channel_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class ChannelUser(Base):
    """A resident's chat on one platform: when they last wrote (WhatsApp 24 h window) and whether they blocked us."""

    __tablename__ = "channel_users"

    sender: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_reason: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
