"""What a platform update becomes before it reaches the assistant: one small, storable event."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["LOCATION_PAYLOAD", "EventKind", "InboundEvent", "SendResult"]

# A button with this payload asks for the resident's location (Telegram: a `request_location` keyboard).
LOCATION_PAYLOAD = "/share_location"

# What a send attempt came to: delivered, resident blocked us, WhatsApp 24 h window closed, or an API failure.
SendResult = Literal["ok", "blocked", "window", "failed"]

EventKind = Literal[
    "text",  # a typed message (or a numbered answer, already resolved to its payload)
    "button",  # a button press: `text` holds the payload
    "location",  # a shared position
    "contact",  # a shared contact card (the number itself is never kept)
    "media",  # photo, voice note, sticker, video, document
    "edited",  # an edited earlier message
    "start",  # Telegram /start (deep link payload dropped)
    "flood",  # internal: tell the resident to slow down
]


@dataclass
class InboundEvent:
    """One resident message, normalised across platforms (JSON round-trips through the inbox)."""

    channel: str
    sender: str
    external_id: str
    kind: EventKind
    text: str = ""
    lat: float | None = None
    lon: float | None = None
    media: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise for the inbox table."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> InboundEvent:
        """Rebuild from the inbox table."""
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)
