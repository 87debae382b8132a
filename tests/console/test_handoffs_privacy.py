"""Hand-off takeover through the gateway, staff replies, closing; privacy delete; the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner

from channels.schemas import OutMessage
from mpp.console.models import AuditEntry, HandoffMessage, UnansweredQuestion
from mpp.console.unanswered import record_unanswered
from mpp.db import session_scope
from mpp.models import Handoff
from tests.console.conftest import Console


class FakeOutbound:
    """Records what staff send; Telegram delivers, the web chat cannot be pushed to."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[OutMessage]]] = []

    async def deliver(self, sender: str, messages: list[OutMessage], **_: Any) -> bool:
        self.sent.append((sender, messages))
        return sender.startswith("telegram:")


def _handoff(console: Console, sender: str, channel: str) -> int:
    with session_scope(console.state.engine) as db:
        h = Handoff(sender=sender, channel=channel, reason="request", last_message="mau tanya petugas", status="open")
        db.add(h)
        db.flush()
        return h.id


def test_takeover_reply_and_return_to_assistant(console: Console) -> None:
    outbound = FakeOutbound()
    console.client.app.state.outbound = outbound  # type: ignore[attr-defined]
    hid = _handoff(console, "web:warga1", "web")
    tg = _handoff(console, "telegram:777", "telegram")
    csrf = console.act_as("operator@mpp.id")
    queue = console.client.get("/console/handoffs")
    assert queue.status_code == 200 and "web:warga1" in queue.text and "telegram:777" in queue.text
    console.client.post(f"/console/handoffs/{hid}/take", data={"csrf_token": csrf})
    # The resident writes: the message goes to the console thread, Rasa (unreachable here) is not asked.
    r = console.client.post("/api/chat", json={"sender": "warga1", "text": "halo pak, KTP saya hilang"})
    assert r.status_code == 200 and r.json() == {"messages": []}
    console.client.post(f"/console/handoffs/{hid}/reply", data={"csrf_token": csrf, "text": "Baik, silakan bawa KK."})
    console.client.post(f"/console/handoffs/{tg}/reply", data={"csrf_token": csrf, "text": "Halo dari petugas"})
    assert [(s, m[0].text) for s, m in outbound.sent] == [
        ("web:warga1", "Baik, silakan bawa KK."),
        ("telegram:777", "Halo dari petugas"),
    ]
    # The web chat gets the waiting reply with the resident's next message.
    r = console.client.post("/api/chat", json={"sender": "warga1", "text": "terima kasih"})
    assert [m["text"] for m in r.json()["messages"]] == ["Baik, silakan bawa KK."]
    thread = console.client.get(f"/console/handoffs/{hid}").text
    assert "KTP saya hilang" in thread and "terima kasih" in thread
    console.client.post(f"/console/handoffs/{hid}/close", data={"csrf_token": csrf})
    r = console.client.post("/api/chat", json={"sender": "warga1", "text": "halo lagi"})
    assert "gangguan" in r.json()["messages"][0]["text"]  # back to the assistant (unreachable in this test)


def test_phone_numbers_are_masked_for_roles_that_do_not_need_them() -> None:
    from mpp.console.privacy import mask_sender

    assert mask_sender("whatsapp:+6281234567890") == "whatsapp:+62••••••••890"
    assert "1234567" not in mask_sender("telegram:1234567890")


def test_privacy_delete_removes_every_row_of_the_sender(console: Console) -> None:
    hid = _handoff(console, "whatsapp:+6281299990000", "whatsapp")
    _handoff(console, "web:someone-else", "web")
    with session_scope(console.state.engine) as db:
        db.add(HandoffMessage(handoff_id=hid, sender="whatsapp:+6281299990000", direction="in", text="x"))
        record_unanswered(db, "whatsapp:+6281299990000", "pertanyaan")
    csrf = console.act_as("admin@mpp.id")
    r = console.client.post("/console/privacy/delete", data={"csrf_token": csrf, "sender": "whatsapp:+6281299990000"})
    assert r.status_code == 200 and "referensi" in r.text
    with session_scope(console.state.engine) as db:
        assert db.scalar(select(func.count()).select_from(Handoff)) == 1
        assert db.scalar(select(func.count()).select_from(HandoffMessage)) == 0
        assert db.scalar(select(func.count()).select_from(UnansweredQuestion)) == 0
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "privacy_delete")).one()
        assert "6281299990000" not in json.dumps([entry.entity_id, entry.after, entry.note])
        assert entry.after["rows"]["handoffs"] == 1


def test_cli_staff_add_and_privacy_delete(clean_env: Path) -> None:
    from mpp.cli import app
    from mpp.db import get_engine

    get_engine.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["staff", "add", "Kepala@MPP.id", "--role", "admin"])
        assert r.exit_code == 0 and "kepala@mpp.id" in r.output and "sekali pakai" in r.output
        otp = r.output.split("Kata sandi sekali pakai: ", 1)[1].split()[0]
        assert len(otp) == 16
        assert runner.invoke(app, ["staff", "add", "kepala@mpp.id", "--role", "admin"]).exit_code == 1
        assert runner.invoke(app, ["staff", "add", "e@mpp.id", "--role", "editor"]).exit_code == 1  # needs --tenant
        r = runner.invoke(app, ["privacy", "delete", "--sender", "web:nobody", "--yes"])
        assert r.exit_code == 0 and json.loads(r.output)["total"] == 0
    finally:
        get_engine.cache_clear()


def test_first_admin_hint(clean_env: Path) -> None:
    from mpp.console._cli import first_admin_hint
    from mpp.db import get_engine

    get_engine.cache_clear()
    try:
        assert "mpp staff add" in (first_admin_hint() or "")
    finally:
        get_engine.cache_clear()


def test_cli_kb_export_and_import(clean_env: Path) -> None:
    from knowledge_base.catalogue import load_catalogue
    from mpp.cli import app
    from mpp.db import get_engine
    from mpp.settings import get_settings

    get_engine.cache_clear()
    try:
        runner = CliRunner()
        out = clean_env / "export"
        r = runner.invoke(app, ["kb", "export", "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert load_catalogue(out) == load_catalogue(get_settings().catalogue_dir)  # same data, same format
        path = out / "samsat.yaml"
        text = path.read_text(encoding="utf-8")
        first = load_catalogue(out).service("pkb_tahunan").requirements[0]
        path.write_text(text.replace(f"- {first}", f"- {first} (asli)", 1), encoding="utf-8")
        r = runner.invoke(app, ["kb", "import", str(path)])
        assert r.exit_code == 0 and "1 layanan diterbitkan: pkb_tahunan" in r.output, r.output
        with session_scope(get_engine()) as db:
            entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
            assert entry.entity_id == "pkb_tahunan" and entry.actor.startswith("cli:")
    finally:
        get_engine.cache_clear()
