"""Query vectors on ONNX Runtime: the tuned encoders' own vectors, exported once, torch when in doubt."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from bench._devset import DEV, load_cases
from knowledge_base import _onnx
from knowledge_base._dense import StEncoder, base_model_path
from knowledge_base._e5 import TunedE5Encoder, finetune_e5

QUERIES = [*[c.query for c in load_cases(DEV)][:40], "a", "KTP-el\thilang!!", "😀 paspor", "syarat ktp " * 400]


@pytest.fixture(scope="module")
def e5_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    groups = [
        ("Akta kematian. Pencatatan orang meninggal", ["bapak saya meninggal", "urus surat mati"]),
        ("Izin usaha. NIB untuk UMKM", ["bikin izin warung", "daftar usaha kecil"]),
    ]
    path = tmp_path_factory.mktemp("e5") / "m"
    finetune_e5(groups, [[0, 1]], path, layers=2, epochs=1)
    return path


@pytest.fixture(scope="module")
def minilm_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged MiniLM copied out of site-packages: the exported files go beside the weights."""
    path = tmp_path_factory.mktemp("st") / "m"
    shutil.copytree(base_model_path(), path)
    return path


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


@pytest.mark.parametrize("kind", ["e5", "minilm"])
def test_onnx_gives_torch_vectors(kind: str, e5_model: Path, minilm_model: Path) -> None:
    make = (
        (lambda **kw: TunedE5Encoder(e5_model, **kw)) if kind == "e5" else (lambda **kw: StEncoder(minilm_model, **kw))
    )
    ref = make(runtime="torch")
    fp32, int8 = make(runtime="onnx", threads=1), make(runtime="onnx-int8", threads=1)
    assert (fp32.runtime, int8.runtime, ref.runtime) == ("onnx", "onnx-int8", "torch")
    assert fp32.name == f"{ref.name}@onnx" and int8.name == f"{ref.name}@onnx-int8"
    want = ref.queries(QUERIES)
    batch = fp32.queries(QUERIES)
    single = np.vstack([fp32.queries([q]) for q in QUERIES[:8]])
    assert _cos(batch, want).min() > 0.9999
    assert _cos(single, want[:8]).min() > 0.9999
    q8 = int8.queries(QUERIES)
    assert 0.95 < _cos(q8, want).min() < 0.99999  # int8 weights: close, not identical
    assert np.allclose(np.linalg.norm(q8, axis=1), 1.0, atol=1e-4)
    # Passages stay in torch at fp32 whatever runs the queries.
    assert np.array_equal(int8.passages(QUERIES[:3]), ref.passages(QUERIES[:3]))
    assert int8.queries([]).shape[0] == 0


def test_exported_once_and_reused(e5_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    TunedE5Encoder(e5_model, runtime="onnx-int8")
    files = sorted(p.name for p in e5_model.glob("*.onnx"))
    assert files == ["query-q2-int8.onnx", "query-q2.onnx"]
    assert not list(e5_model.glob("*.tmp"))
    import torch

    def fail(*_a: object, **_k: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(torch.onnx, "export", fail)
    assert TunedE5Encoder(e5_model, runtime="onnx-int8").runtime == "onnx-int8"


def test_falls_back_to_torch_when_onnx_cannot_be_trusted(
    e5_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_onnx, "agrees", lambda *_a: False)
    enc = TunedE5Encoder(e5_model, runtime="onnx")
    assert enc.runtime == "torch" and enc.ort is None and "@" not in enc.name
    assert "disagrees" in caplog.text
    monkeypatch.undo()
    # A model folder that cannot take the exported file: torch answers, nothing crashes.
    broken = tmp_path / "m"
    shutil.copytree(e5_model, broken)
    for f in broken.glob("*.onnx"):
        f.unlink()
    (broken / "query-q2.onnx").mkdir()  # in the way of the export
    enc = TunedE5Encoder(broken, runtime="onnx-int8")
    assert enc.runtime == "torch"
    assert enc.queries(["syarat ktp"]).shape == (1, 384)


@pytest.mark.parametrize("kind", ["e5", "minilm"])
def test_int8_query_vector_does_not_depend_on_its_batch(kind: str, e5_model: Path, minilm_model: Path) -> None:
    """One activation scale per call: int8 runs queries one at a time, so batch and single agree."""
    enc = (
        TunedE5Encoder(e5_model, runtime="onnx-int8") if kind == "e5" else StEncoder(minilm_model, runtime="onnx-int8")
    )
    alone = np.vstack([enc.queries([q]) for q in QUERIES])
    assert np.array_equal(enc.queries(QUERIES), alone)


def test_queries_from_several_threads_agree(e5_model: Path) -> None:
    enc = TunedE5Encoder(e5_model, runtime="onnx-int8", threads=1)
    want = enc.queries(QUERIES)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda q: enc.queries([q])[0], QUERIES))
    assert np.allclose(np.vstack(got), want, atol=1e-5)
