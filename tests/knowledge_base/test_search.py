from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import threading
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from knowledge_base.catalogue import load_catalogue
from knowledge_base.search import SearchConfig, SearchEngine, _rescale, _top_margin
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
    """A second engine loads passage vectors and query models from disk instead of making them again."""
    from knowledge_base import _dense, _e5

    def fail(*_a: object, **_k: object) -> None:
        raise AssertionError("passages were re-encoded")

    import torch

    monkeypatch.setattr(_dense.StEncoder, "passages", fail)
    monkeypatch.setattr(_e5.TunedE5Encoder, "passages", fail)
    monkeypatch.setattr(torch.onnx, "export", fail)  # the query models too were exported once
    engine = SearchEngine(hybrid.catalogue, hybrid.index_dir, hybrid.config)
    assert engine.search("akta kematian").results[0].id == "akta_kematian"
    runtime = hybrid.config.runtime
    assert all(n.endswith(f"@{runtime}") == (runtime != "torch") for n in engine.describe()["dense"])


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


class _FakeEncoder:
    """Deterministic unit vectors per text; counts the texts it embeds."""

    def __init__(self, name: str, dim: int = 16) -> None:
        self.name = name
        self.dim = dim
        self.calls: list[str] = []
        self.threads: set[str] = set()

    def _vec(self, text: str) -> np.ndarray:
        rng = np.random.default_rng(zlib.crc32(f"{self.name}:{text}".encode()))
        v = rng.standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.extend(texts)
        self.threads.add(threading.current_thread().name)
        return np.stack([self._vec(t) for t in texts])

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts])


CASCADE_QUERIES = [
    "syarat bikin ktp baru gmn",
    "paspor sy ilang di kapal",
    "mau perpanjang sim c",
    "bayar pajak motor",
    "izin usaha warung",
    "surat keterangan dari desa",
    "daftar bpjs",
    "akta",
]


def _with_fake_dense(lexical: SearchEngine, margin: float) -> tuple[SearchEngine, _FakeEncoder, _FakeEncoder]:
    engine = copy.copy(lexical)
    first, second = _FakeEncoder("first"), _FakeEncoder("second")
    names = [s.name for s in lexical.services]
    engine.dense = [(first, first.passages(names)), (second, second.passages(names))]
    engine.domain = None
    engine.config = replace(lexical.config, dense="finetuned+e5", cascade_margin=margin)
    return engine, first, second


def test_top_margin_and_rescale() -> None:
    scores = np.array([[0.2, 0.9, 0.5], [1.0, 1.0, 0.0]], dtype=np.float32)
    assert np.allclose(_top_margin(scores), [0.4, 0.0])
    assert np.allclose(_top_margin(scores[:, :1]), [1.0, 1.0])
    r = _rescale(scores)
    assert np.allclose(r[0], [0.0, 1.0, 0.0])  # median -> 0, best -> 1
    assert np.allclose(r[1], 0.0)  # best equals median: no dense evidence either way


def test_cascade_consults_the_second_view_only_on_close_calls(lexical: SearchEngine) -> None:
    """margin 1.0 is the old behaviour (every query); 0.0 never; in between the close calls only."""
    always, _, second_always = _with_fake_dense(lexical, 1.0)
    full = always.search_many(CASCADE_QUERIES)
    assert len(second_always.calls) == len(CASCADE_QUERIES)

    never, _, second_never = _with_fake_dense(lexical, 0.0)
    never.search_many(CASCADE_QUERIES)
    assert second_never.calls == []

    cascade, first, second = _with_fake_dense(lexical, 0.12)
    got = cascade.search_many(CASCADE_QUERIES)
    assert len(first.calls) == len(CASCADE_QUERIES)
    assert 0 < len(second.calls) < len(CASCADE_QUERIES)
    consulted = set(second.calls)
    for query, res, ref in zip(CASCADE_QUERIES, got, full, strict=True):
        if cascade._query_text(query) in consulted:
            assert res.results == ref.results  # the same fusion as before the cascade
        else:
            assert res.margin >= 0.12  # decided without the second view: a clear winner
        assert res.confident == ref.confident  # confidence never depends on the second view


def test_views_on_every_query_run_side_by_side(lexical: SearchEngine) -> None:
    """margin 1.0: the second view runs in the engine's worker thread, with the same results."""

    class Inline:
        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            from concurrent.futures import Future

            done: Future[np.ndarray] = Future()
            done.set_result(fn(*args))
            return done

    parallel, first, second = _with_fake_dense(lexical, 1.0)
    got = parallel.search_many(CASCADE_QUERIES)
    assert first.threads == {threading.current_thread().name}
    assert second.threads and all(t.startswith("search-view") for t in second.threads)
    sequential, _, second_seq = _with_fake_dense(lexical, 1.0)
    sequential._executor = Inline()  # type: ignore[assignment]
    assert sequential.search_many(CASCADE_QUERIES) == got
    assert second_seq.threads == {threading.current_thread().name}


def test_cascade_single_and_batch_agree(lexical: SearchEngine) -> None:
    engine, _, _ = _with_fake_dense(lexical, 0.12)
    batch = engine.search_many(CASCADE_QUERIES)
    assert [engine.search(q) for q in CASCADE_QUERIES] == batch
    assert engine.search_many([]) == []


@pytest.mark.slow
def test_direct_encoder_pass_matches_the_pipeline() -> None:
    """The query fast path gives sentence-transformers' own vectors (packaged base model)."""
    from knowledge_base._dense import StEncoder, base_model_path

    enc = StEncoder(base_model_path())
    assert enc.direct
    texts = ["syarat bikin ktp baru", "perpanjang sim c bisa online?", "akta"]
    assert np.allclose(enc.queries(texts[:1]), enc._pipeline(texts[:1]), atol=1e-5)
    assert np.allclose(enc.queries(texts), enc._pipeline(texts), atol=1e-5)
    assert not StEncoder(base_model_path(), direct=False).direct


def test_passage_vectors_are_cached_per_passage(tmp_path: Path) -> None:
    """A staff edit to one service re-encodes that passage only; the others come from disk."""
    engine = SearchEngine(load_catalogue(REAL), tmp_path, SearchConfig(dense="none"))
    enc = _FakeEncoder("x")
    encoded: list[list[str]] = []
    real = enc.passages

    def passages(texts: Sequence[str]) -> np.ndarray:
        encoded.append(list(texts))
        return real(texts)

    enc.passages = passages  # type: ignore[method-assign]
    first = engine._passage_vectors(enc, ["a", "b", "c"])
    again = engine._passage_vectors(enc, ["a", "B", "c"])
    assert encoded == [["a", "b", "c"], ["B"]]
    assert np.allclose(first[[0, 2]], again[[0, 2]]) and np.allclose(again[1], real(["B"])[0])
    assert np.allclose(SearchEngine._passage_vectors(engine, enc, ["c", "a"]), first[[2, 0]])
    assert encoded == [["a", "b", "c"], ["B"]]
