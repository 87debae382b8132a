"""Splitting, Telegram formatting, numbered options and callback tokens."""

from __future__ import annotations

import asyncio

import pytest

from channels._options import CallbackTokens, NumberedOptions
from channels._text import split_text, telegram_html, utf16_len
from channels.schemas import Button


@pytest.mark.parametrize("limit", [1600, 4096])
def test_split_keeps_every_word_within_the_limit(limit: int) -> None:
    text = "\n\n".join(f"Paragraf {i}: " + "syarat KTP elektronik 🙏 " * 40 for i in range(30))
    parts = split_text(text, limit)
    assert all(utf16_len(p) <= limit for p in parts)
    assert " ".join(parts).split() == text.split()
    assert all(p == p.strip() for p in parts)


def test_split_counts_utf16_units_and_never_cuts_a_character() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    parts = split_text(text, 4096)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text


def test_split_of_short_and_empty_text() -> None:
    assert split_text("  halo  ", 10) == ["halo"]
    assert split_text("", 10) == []


def test_split_prefers_paragraphs() -> None:
    text = "a" * 900 + "\n\n" + "b" * 900
    assert split_text(text, 1600) == ["a" * 900, "b" * 900]


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Syarat *KTP*: <KK> & akta", "Syarat <b>KTP</b>: &lt;KK&gt; &amp; akta"),
        ("_Catatan_: biaya *gratis*", "<i>Catatan</i>: biaya <b>gratis</b>"),
        ("2 * 3 * 4 dan snake_case_name", "2 * 3 * 4 dan snake_case_name"),
        ("*tidak tertutup", "*tidak tertutup"),
    ],
)
def test_telegram_html(text: str, html: str) -> None:
    assert telegram_html(text) == html


def test_numbered_options_resolve_numbers_and_words() -> None:
    async def check() -> None:
        opts = NumberedOptions()
        buttons = [Button(title="Ya, hadir", payload="/yes"), Button(title="Batal", payload="/no")]
        await opts.remember("whatsapp:+62811", buttons)
        assert await opts.resolve("whatsapp:+62811", "1") == "/yes"
        assert await opts.resolve("whatsapp:+62811", "no. 2") == "/no"
        assert await opts.resolve("whatsapp:+62811", "ya hadir!") == "/yes"
        assert await opts.resolve("whatsapp:+62811", "3") is None
        assert await opts.resolve("whatsapp:+62811", "batal dong") is None
        assert await opts.resolve("whatsapp:+62899", "1") is None

    asyncio.run(check())


def test_callback_tokens_fit_64_bytes_and_round_trip() -> None:
    async def check() -> None:
        tokens = CallbackTokens()
        short = "/menu"
        long = '/choose_service{"service_id":"' + "x" * 80 + '"}'
        assert await tokens.encode(short) == short
        data = await tokens.encode(long)
        assert len(data.encode()) <= 64 and data.startswith("#")
        assert await tokens.decode(data) == long
        assert await tokens.decode("#unknown") is None
        assert await tokens.decode(await tokens.encode("#looks-like-a-token")) == "#looks-like-a-token"

    asyncio.run(check())
