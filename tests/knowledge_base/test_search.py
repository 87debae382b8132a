from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from knowledge_base.catalogue import load_catalogue
from knowledge_base.search import SearchConfig, SearchEngine
from mpp.settings import PROJECT_ROOT, get_settings

REAL = PROJECT_ROOT / "knowledge_base" / "data" / "tenants"

CLEAR_CASES = [
    ("syarat bikin ktp baru gmn", "ktp_baru"),
    ("paspor sy ilang di kapal", "paspor_hilang"),
    ("mau perpanjang sim c", "sim_c_perpanjang"),
    ("surat kelakuan baik buat lamar kerja", "skck_baru"),
    ("bapak sy meninggal, mau urus akta kematian", "akta_kematian"),
]
OUT_OF_SCOPE = ["harga cabe hari ini", "siapa juara liga inggris tahun ini", "resep nasi kuning enak"]


@pytest.fixture(scope="module")
def lexical() -> SearchEngine:
    return SearchEngine(load_catalogue(REAL), Path("/nonexistent"), SearchConfig(dense="none"))


@pytest.fixture(scope="module")
def hybrid() -> SearchEngine:
    """The default engine on the index that `make index` built and cached."""
    return SearchEngine.from_settings()


@pytest.mark.parametrize(("query", "gold"), CLEAR_CASES)
def test_lexical_finds_clear_questions(lexical: SearchEngine, query: str, gold: str) -> None:
    """Lexical-only mode ranks them right (its confidence is weaker: see docs/BENCHMARKS.md)."""
    assert lexical.search(query).results[0].id == gold


@pytest.mark.parametrize("query", OUT_OF_SCOPE)
def test_lexical_claims_nothing_out_of_scope(lexical: SearchEngine, query: str) -> None:
    assert not lexical.search(query).confident


def test_result_shape(lexical: SearchEngine) -> None:
    d = lexical.search("akta kelahiran").to_dict()
    assert set(d) == {"query", "confident", "results"}
    assert len(d["results"]) == 5
    assert set(d["results"][0]) == {"id", "name", "tenant", "score"}
    scores = [r["score"] for r in d["results"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query", ["", "   ", "🙏🙏", "?!?", "a" * 5000])
def test_degenerate_queries(lexical: SearchEngine, query: str) -> None:
    res = lexical.search(query)
    assert not res.confident


@pytest.mark.slow
@pytest.mark.parametrize(("query", "gold"), CLEAR_CASES)
def test_hybrid_finds_clear_questions(hybrid: SearchEngine, query: str, gold: str) -> None:
    res = hybrid.search(query)
    assert res.results[0].id == gold and res.confident


@pytest.mark.slow
@pytest.mark.parametrize("query", OUT_OF_SCOPE)
def test_hybrid_claims_nothing_out_of_scope(hybrid: SearchEngine, query: str) -> None:
    assert not hybrid.search(query).confident


@pytest.mark.slow
def test_dev_set_floor(hybrid: SearchEngine) -> None:
    """A regression guard well under the benchmarked figures (docs/BENCHMARKS.md)."""
    from bench._devset import DEV, load_cases
    from bench.search_quality import evaluate

    m = evaluate(hybrid, load_cases(DEV))
    assert m["acc@1"] >= 0.90, m["misses"][:10]
    assert m["acc@3"] >= 0.95
    assert m["oos_rejected"] >= 0.80


@pytest.mark.slow
def test_live_reindex_sees_a_changed_service(hybrid: SearchEngine, tmp_path: Path) -> None:
    """Staff publish: a new alias is found after reindex, with no model reload."""
    cat_dir = tmp_path / "tenants"
    shutil.copytree(REAL, cat_dir)
    engine = SearchEngine(load_catalogue(REAL), get_settings().index_dir, hybrid.config)
    encoder_before = engine.encoder
    query = "urus kartu sakti mandraguna"
    assert engine.search(query).results[0].id != "kia"
    path = cat_dir / "disdukcapil.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for s in data["services"]:
        if s["id"] == "kia":
            s["aliases"] = [*s.get("aliases", []), "kartu sakti mandraguna"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    engine.reindex(catalogue_dir=cat_dir)
    assert engine.search(query).results[0].id == "kia"
    assert engine.encoder is encoder_before


@pytest.mark.slow
def test_index_is_cached_on_disk(hybrid: SearchEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second engine loads passage vectors from disk instead of encoding them again."""
    from knowledge_base import _dense

    def fail(*_a: object, **_k: object) -> None:
        raise AssertionError("passages were re-encoded")

    monkeypatch.setattr(_dense.StEncoder, "passages", fail)
    engine = SearchEngine(hybrid.catalogue, hybrid.index_dir, hybrid.config)
    assert engine.search("akta kematian").results[0].id == "akta_kematian"


def _mpp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mpp.cli", *args], capture_output=True, text=True, cwd=PROJECT_ROOT)


@pytest.mark.slow
def test_cli_search_json_and_batch(tmp_path: Path) -> None:
    one = _mpp("search", "perpanjang paspor", "--json")
    assert one.returncode == 0, one.stderr
    obj = json.loads(one.stdout)
    assert obj["query"] == "perpanjang paspor" and obj["results"][0]["id"] == "paspor_ganti"
    batch = tmp_path / "q.txt"
    queries = ["akta lahir anak", "harga cabe hari ini", "bayar pajak motor"]
    batch.write_text("\n".join(queries), encoding="utf-8")
    res = _mpp("search", "--batch", str(batch), "--json")
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["query"] for x in lines] == queries
    assert [x["confident"] for x in lines] == [True, False, True]
