"""Unanswered questions: redacted on record, grouped by similarity, resolved (link, answer, dismiss)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from knowledge_base.catalogue import load_catalogue
from mpp.console.models import UnansweredQuestion
from mpp.console.unanswered import (
    answer_questions,
    console_answer,
    dismiss_questions,
    group_questions,
    link_questions,
    record_unanswered,
    staff_answer,
)
from mpp.db import engine_for, migrate, session_scope
from tests.console.conftest import write_catalogue


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """A migrated SQLite database and a small catalogue folder."""
    eng = engine_for(f"sqlite:///{tmp_path / 'u.db'}")
    migrate(eng)
    yield eng, write_catalogue(tmp_path / "tenants")
    eng.dispose()


def _rows(eng: Engine) -> list[UnansweredQuestion]:
    with session_scope(eng) as db:
        return list(db.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id)))


def test_recorded_text_is_redacted(store: tuple[Engine, Path]) -> None:
    eng, _ = store
    with session_scope(eng) as db:
        record_unanswered(db, "whatsapp:+6281234567890", "nik sy 6402011234567890 hp 081234567890 gmn", "whatsapp")
    (row,) = _rows(eng)
    assert "6402011234567890" not in row.text and "081234567890" not in row.text
    assert "[NIK]" in row.text and "[PHONE]" in row.text


def test_similar_questions_are_grouped_with_counts(store: tuple[Engine, Path]) -> None:
    eng, _ = store
    texts = [
        "cara mutasi kendaraan dari luar daerah",
        "mutasi kendaraan dr luar daerah gmn caranya",
        "Cara mutasi kendaraan dari luar daerah?",
        "jam buka perpustakaan daerah",
        "perpustakaan daerah buka jam berapa",
        "lowongan kerja satpam",
    ]
    with session_scope(eng) as db:
        for t in texts:
            record_unanswered(db, "web:x", t)
    groups = group_questions(_rows(eng))
    assert [g.count for g in groups] == [3, 2, 1]
    assert "mutasi" in groups[0].label and "perpustakaan" in groups[1].label


def test_linking_makes_the_question_find_the_service(store: tuple[Engine, Path], tmp_path: Path) -> None:
    from knowledge_base.search import SearchConfig, SearchEngine
    from mpp.console.live import LiveCatalogue

    eng, directory = store
    engine = SearchEngine(load_catalogue(directory), tmp_path / "index", SearchConfig(dense="none"))
    live = LiveCatalogue(engine, eng, directory)
    question = "balik nama motor bekas yang baru dibeli"
    before = engine.search(question)
    assert not (before.confident and before.results[0].id == "pajak_kendaraan")
    with session_scope(eng) as db:
        ids = [record_unanswered(db, "web:a", question).id, record_unanswered(db, "web:b", question + " gmn").id]  # type: ignore[union-attr]
    with session_scope(eng) as db:
        link_questions(db, "ed@mpp.id", ids, "pajak_kendaraan", directory)
    assert all(r.status == "linked" and r.service_id == "pajak_kendaraan" for r in _rows(eng))
    live.refresh()
    after = engine.search(question)
    assert after.results[0].id == "pajak_kendaraan"
    assert question in engine.catalogue.service("pajak_kendaraan").keywords


def test_written_answer_is_given_next_time_and_dismiss(store: tuple[Engine, Path]) -> None:
    eng, _ = store
    with session_scope(eng) as db:
        a = record_unanswered(db, "web:a", "apakah ada wifi gratis di mpp")
        b = record_unanswered(db, "web:a", "asdfgh")
        assert a is not None and b is not None
        answer_questions(db, "ed@mpp.id", [a.id], "Ada, *WiFi gratis* di ruang tunggu MPP.")
        dismiss_questions(db, "ed@mpp.id", [b.id])
    with session_scope(eng) as db:
        assert staff_answer(db, "ada wifi gratis di mpp?") == "Ada, *WiFi gratis* di ruang tunggu MPP."
        assert staff_answer(db, "syarat bikin paspor") is None
    assert [r.status for r in _rows(eng)] == ["answered", "dismissed"]


def test_console_answer_records_when_staff_have_no_answer(clean_env: Path) -> None:
    from mpp.db import get_engine

    get_engine.cache_clear()
    try:
        assert console_answer("telegram:42", "kapan pasar malam dibuka") is None
        rows = _rows(get_engine())
        assert [(r.sender, r.channel, r.text) for r in rows] == [
            ("telegram:42", "telegram", "kapan pasar malam dibuka")
        ]
    finally:
        get_engine.cache_clear()


def test_console_reply_knows_linked_and_answered_questions(clean_env: Path) -> None:
    from mpp.console.unanswered import console_reply
    from mpp.db import get_engine

    get_engine.cache_clear()
    try:
        assert console_reply("web:a", "cara daftar kartu prakerja") == ("recorded", None)
        with session_scope(get_engine()) as db:
            row = db.scalars(select(UnansweredQuestion)).one()
            row.status, row.service_id = "linked", "ak1"
        assert console_reply("web:b", "cara daftar kartu prakerja?") == ("linked", "ak1")
        assert len(_rows(get_engine())) == 1  # a linked question is not recorded again
    finally:
        get_engine.cache_clear()
