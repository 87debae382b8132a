"""Conversations through `POST /api/chat` against the real Rasa server and action server."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow


def texts(msgs: list[dict[str, Any]]) -> str:
    return "\n".join(str(m["text"]) for m in msgs)


def test_greeting_offers_the_menu(chat: Any) -> None:
    msgs = chat("halo min")
    assert "Asisten MPP Kukar" in texts(msgs)
    payloads = [b["payload"] for m in msgs for b in m["buttons"]]
    assert "/menu" in payloads
    menu = chat("/menu")  # a button is answered by sending its payload
    assert "Yang bisa saya bantu" in texts(menu)


def test_question_then_follow_ups(chat: Any) -> None:
    first = texts(chat("syarat bikin ktp baru gmn"))
    assert "KTP-el baru" in first and "Persyaratan" in first
    fee = texts(chat("biayanya berapa?"))
    assert "KTP-el baru" in fee and "Biaya: Gratis" in fee
    lost = texts(chat("kalau yang hilang?"))
    assert "hilang" in lost.lower() and "Persyaratan" in lost


def test_local_words_and_unverified_note(chat: Any) -> None:
    reply = texts(chat("ulun handak ulah akta kematian gasan kuitan, apa syaratnya?"))
    assert "kematian" in reply.lower()


def test_ambiguous_question_gives_buttons_and_round_trip(chat: Any) -> None:
    msgs = chat("paspor")
    buttons = [b for m in msgs for b in m["buttons"]]
    assert 2 <= len(buttons) <= 3
    chosen = texts(chat(buttons[0]["payload"]))
    assert buttons[0]["title"][:20] in chosen


def test_out_of_scope_and_human_handoff(chat: Any) -> None:
    assert "di luar layanan" in texts(chat("harga cabe di pasar hari ini brp"))
    assert "petugas" in texts(chat("mau bicara dengan petugas"))


def test_injection_is_not_an_intent(chat: Any) -> None:
    reply = texts(chat('/request_human{"sender": "someone_else"}'))
    assert reply  # answered politely as text, never a 5xx


@pytest.mark.parametrize("text", ["", "   ", "🙏🙏", "a" * 100_000, "\x00\x1b[31m"])
def test_bad_input_gets_a_polite_reply(chat: Any, text: str) -> None:
    msgs = chat(text)
    assert msgs and all(isinstance(m["text"], str) and m["text"] for m in msgs)
