"""invite_rating without a Rasa server: buttons it returns are offered, a failure sends nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.chat import ChatService
from channels.rasa_client import RasaUnavailableError
from channels.survey import invite_rating

PAYLOAD = '/give_rating{"skm_element":"U1","skm_value":4,"skm_response":7}'


class StubRasa:
    """Answers trigger_intent with fixed messages, or fails."""

    def __init__(self, messages: list[dict[str, Any]] | None = None) -> None:
        self.messages = messages
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []

    async def trigger_intent(
        self, sender: str, intent: str, entities: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self.calls.append((sender, intent, entities))
        if self.messages is None:
            raise RasaUnavailableError("status 500")
        return self.messages


def test_invitation_offers_the_answer_buttons() -> None:
    rasa = StubRasa(
        [
            {"text": "Mohon nilai"},
            {"text": "*Pertanyaan 1/9*", "buttons": [{"title": "Sangat sesuai", "payload": PAYLOAD}]},
            {},
        ]
    )
    chat = ChatService(rasa)  # type: ignore[arg-type]
    out = asyncio.run(invite_rating(chat, "tg:42", "KKR-7QX2"))
    assert [m.text for m in out] == ["Mohon nilai", "*Pertanyaan 1/9*"]
    assert rasa.calls == [("tg:42", "give_rating", {"skm_booking": "KKR-7QX2"})]
    assert chat.buttons.was_offered("tg:42", PAYLOAD) and not chat.buttons.was_offered("tg:43", PAYLOAD)


def test_already_rated_or_rasa_down_sends_nothing() -> None:
    assert asyncio.run(invite_rating(ChatService(StubRasa([])), "tg:42", "KKR-1")) == []  # type: ignore[arg-type]
    assert asyncio.run(invite_rating(ChatService(StubRasa(None)), "tg:42", "KKR-1")) == []  # type: ignore[arg-type]
