"""Drafts, publishing, validation in Indonesian, audit and revert, export/import, live re-index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from knowledge_base.catalogue import load_catalogue
from mpp.console.catalogue import (
    CatalogueChangeError,
    catalogue_version,
    effective_catalogue,
    export_catalogue,
    import_catalogue,
    publish_draft,
    retire_service,
    revert_change,
    save_draft,
    service_document,
)
from mpp.console.models import AuditEntry
from mpp.db import engine_for, migrate, session_scope
from tests.console.conftest import write_catalogue


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """A migrated database and a small catalogue folder."""
    eng = engine_for(db_url)
    migrate(eng)
    yield eng, write_catalogue(tmp_path / "tenants")
    eng.dispose()


def _doc(eng: Engine, directory: Path, sid: str) -> dict:
    with session_scope(eng) as db:
        return service_document(effective_catalogue(db, directory).service(sid))


def test_validation_messages_are_indonesian(store: tuple[Engine, Path]) -> None:
    eng, directory = store
    doc = _doc(eng, directory, "ktp_baru") | {"requirements": [], "fee": {"amount": "Rp50.000"}}
    with session_scope(eng) as db, pytest.raises(CatalogueChangeError) as err:
        save_draft(db, "a@mpp.id", doc, effective_catalogue(db, directory), is_new=False)
    assert "Persyaratan: wajib diisi minimal satu baris." in err.value.messages
    assert "Biaya yang tidak gratis wajib mencantumkan dasar hukumnya." in err.value.messages
    new = _doc(eng, directory, "ktp_baru") | {"id": "KTP Baru!"}
    with session_scope(eng) as db, pytest.raises(CatalogueChangeError) as err:
        save_draft(db, "a@mpp.id", new, effective_catalogue(db, directory), is_new=True)
    assert any("huruf kecil" in m for m in err.value.messages)
    taken = _doc(eng, directory, "ktp_baru")
    with session_scope(eng) as db, pytest.raises(CatalogueChangeError) as err:
        save_draft(db, "a@mpp.id", taken, effective_catalogue(db, directory), is_new=True)
    assert "sudah dipakai" in err.value.messages[0]


def test_draft_then_publish_then_revert(store: tuple[Engine, Path]) -> None:
    eng, directory = store
    doc = _doc(eng, directory, "ktp_baru")
    doc["requirements"] = ["KK asli", "Surat pengantar RT"]
    with session_scope(eng) as db:
        save_draft(db, "ed@mpp.id", doc, effective_catalogue(db, directory), is_new=False)
    assert _doc(eng, directory, "ktp_baru")["requirements"] == ["KK asli"]  # a draft changes nothing live
    with session_scope(eng) as db:
        entry = publish_draft(db, "ed@mpp.id", "ktp_baru", directory)
        entry_id = entry.id
        assert catalogue_version(db) == 1
    assert _doc(eng, directory, "ktp_baru")["requirements"] == ["KK asli", "Surat pengantar RT"]
    with session_scope(eng) as db:
        e = db.get(AuditEntry, entry_id)
        assert e is not None and e.actor == "ed@mpp.id" and e.action == "publish" and e.tenant == "disdukcapil"
        assert e.before["requirements"] == ["KK asli"] and e.after["requirements"][-1] == "Surat pengantar RT"
        revert_change(db, "admin@mpp.id", entry_id, directory)
        assert catalogue_version(db) == 2
    assert _doc(eng, directory, "ktp_baru")["requirements"] == ["KK asli"]


def test_new_service_retire_and_revert_of_create(store: tuple[Engine, Path]) -> None:
    eng, directory = store
    doc = _doc(eng, directory, "ktp_baru") | {"id": "ktp_rusak", "name": "KTP-el rusak"}
    with session_scope(eng) as db:
        save_draft(db, "ed@mpp.id", doc, effective_catalogue(db, directory), is_new=True)
        created = publish_draft(db, "ed@mpp.id", "ktp_rusak", directory).id
        retire_service(db, "ed@mpp.id", "akta_kelahiran", directory)
    with session_scope(eng) as db:
        cat = effective_catalogue(db, directory)
        assert cat.service("ktp_rusak").name == "KTP-el rusak" and cat.service("akta_kelahiran").retired
        revert_change(db, "ed@mpp.id", created, directory)
    with session_scope(eng) as db, pytest.raises(KeyError):
        effective_catalogue(db, directory).service("ktp_rusak")


def test_audit_log_is_append_only(store: tuple[Engine, Path]) -> None:
    eng, directory = store
    with session_scope(eng) as db:
        retire_service(db, "ed@mpp.id", "ktp_baru", directory)
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), eng.begin() as conn:
            conn.execute(text(sql))
    with session_scope(eng) as db:
        entry = db.query(AuditEntry).one()
        entry.actor = "someone else"
        with pytest.raises(PermissionError):
            db.flush()
        db.rollback()


def test_export_is_the_repo_format_and_import_publishes_differences(store: tuple[Engine, Path], tmp_path: Path) -> None:
    eng, directory = store
    with session_scope(eng) as db:
        retire_service(db, "ed@mpp.id", "pajak_kendaraan", directory)
        live = effective_catalogue(db, directory)
    out = tmp_path / "export"
    export_catalogue(live, out)
    assert load_catalogue(out) == live  # loads back to exactly the live catalogue
    text_ = (out / "disdukcapil.yaml").read_text(encoding="utf-8").replace("- KK asli", "- KK asli (fotokopi)", 1)
    with session_scope(eng) as db:
        changed = import_catalogue(db, "admin@mpp.id", {"disdukcapil.yaml": text_}, directory)
    assert changed == ["ktp_baru"]
    assert _doc(eng, directory, "ktp_baru")["requirements"] == ["KK asli (fotokopi)"]
    with session_scope(eng) as db, pytest.raises(CatalogueChangeError):
        import_catalogue(db, "admin@mpp.id", {"x.yaml": "tenant: [unclosed"}, directory)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_publish_reindexes_the_live_search(store: tuple[Engine, Path], tmp_path: Path) -> None:
    from knowledge_base.search import SearchConfig, SearchEngine
    from mpp.console.live import LiveCatalogue

    eng, directory = store
    engine = SearchEngine(load_catalogue(directory), tmp_path / "index", SearchConfig(dense="none"))
    seen: list[object] = []
    live = LiveCatalogue(engine, eng, directory, on_change=[seen.append])
    assert live.refresh() is False  # nothing published yet: one cheap query, no re-index
    doc = _doc(eng, directory, "pajak_kendaraan")
    doc["requirements"] = ["STNK asli", "KTP pemilik"]
    doc["aliases"] = [*doc["aliases"], "perpanjang stnk tahunan"]
    with session_scope(eng) as db:
        save_draft(db, "ed@mpp.id", doc, effective_catalogue(db, directory), is_new=False)
        publish_draft(db, "ed@mpp.id", "pajak_kendaraan", directory)
    assert live.refresh() is True and live.version == 1
    assert seen == [engine.catalogue]  # the hooks (booking service) get the same catalogue
    assert engine.catalogue.service("pajak_kendaraan").requirements == ("STNK asli", "KTP pemilik")
    assert engine.search("perpanjang stnk tahunan").results[0].id == "pajak_kendaraan"
    with session_scope(eng) as db:
        retire_service(db, "ed@mpp.id", "pajak_kendaraan", directory)
    live.refresh()
    assert "pajak_kendaraan" not in [h.id for h in engine.search("perpanjang stnk tahunan").results]


def test_booking_service_follows_the_published_catalogue(clean_env: Path) -> None:
    from mpp.booking import get_booking_service
    from mpp.console.live import follow_in_bookings
    from mpp.settings import get_settings

    get_booking_service.cache_clear()
    try:
        base = load_catalogue(get_settings().catalogue_dir)
        ktp = base.service("ktp_baru")
        changed = ktp.model_copy(update={"requirements": (*ktp.requirements, "Surat pengantar RT")})
        retired = base.service("pkb_tahunan").model_copy(update={"retired": True})
        swap = {"ktp_baru": changed, "pkb_tahunan": retired}
        follow_in_bookings(base.model_copy(update={"services": tuple(swap.get(s.id, s) for s in base.services)}))
        directory = get_booking_service().directory
        assert directory.service("ktp_baru").requirements[-1] == "Surat pengantar RT"  # type: ignore[union-attr]
        assert directory.service("pkb_tahunan") is None  # retired: no longer bookable
    finally:
        get_booking_service.cache_clear()
