"""Query-time runtime for the tuned encoders: their torch layers exported to ONNX, run by ONNX Runtime.

A search query is one short text, where torch's per-operator dispatch costs about as much as the
arithmetic: ONNX Runtime runs the same graph, with the same vectors, in about half the time (the
default), and with int8 weights (dynamic quantisation, per output channel) in about a third, with
vectors 0.99 cosine to fp32 (docs/SEARCH.md, "Query runtime"). Only query vectors come from here:
passages are encoded once, in batches, by torch at fp32.

The exported files sit beside the tuned weights they were made from (the folder is named by the
content hash of the training data, so a file never outlives its model) and are written atomically,
since several processes may load the same index at once.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = [
    "PROBES",
    "Export",
    "OrtModel",
    "Runtime",
    "agrees",
    "export_query_model",
    "load_query_model",
    "query_chunk",
    "runtime_name",
]

log = logging.getLogger(__name__)
Runtime = Literal["torch", "onnx", "onnx-int8"]
# How to export a query model: (torch module, example inputs, input names, dynamic axes).
Export = tuple[Any, tuple[Any, ...], list[str], dict[str, dict[int, str]]]
_EXPORT_VERSION = "q2"  # bump when the exported graph or its quantisation changes
# Texts that check a faster pass (direct, ONNX) against the reference one when a model loads.
PROBES = ("syarat bikin ktp baru", "perpanjang sim c di mana, bisa online?", "akta lahir anak hilang gmn urusnya")


def export_query_model(
    folder: Path,
    runtime: Runtime,
    build: Callable[[], Export],
) -> Path:
    """The ONNX file of `runtime` for the model in `folder`, exported (and quantised) when missing.

    `build` returns (torch module, example inputs, input names, dynamic axes); it is called only
    when the fp32 file has to be written.
    """
    fp32 = folder / f"query-{_EXPORT_VERSION}.onnx"
    if not fp32.exists():
        import torch

        module, example, names, axes = build()
        tmp = fp32.with_name(f"{fp32.stem}.{os.getpid()}.tmp")
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
            torch.onnx.export(
                module,
                example,
                str(tmp),
                input_names=names,
                output_names=["vector"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        tmp.replace(fp32)
    if runtime == "onnx":
        return fp32
    int8 = folder / f"query-{_EXPORT_VERSION}-int8.onnx"
    if not int8.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = int8.with_name(f"{int8.stem}.{os.getpid()}.tmp")
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # its advice to pre-process is logged on the root logger, every time
        try:
            # 7-bit weights (reduce_range): without VNNI (AVX2 only, as here) the u8 x s8 products
            # of full 8-bit weights can saturate, which cost held-out accuracy (docs/SEARCH.md), and
            # the vectors would differ between CPUs with and without VNNI.
            quantize_dynamic(str(fp32), str(tmp), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
        tmp.replace(int8)
    return int8


class OrtModel:
    """One ONNX Runtime session on the CPU, `threads` threads for each call (0: the runtime's default)."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads > 0:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, **inputs: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.session.run(None, inputs)[0]
        return out.astype(np.float32, copy=False)


def runtime_name(name: str, runtime: Runtime) -> str:
    """An encoder's name for this runtime: caches keyed by the name keep each runtime's vectors apart."""
    return name if runtime == "torch" else f"{name}@{runtime}"


def query_chunk(runtime: Runtime) -> int:
    """How many queries go through the runtime in one call.

    The int8 graph quantises activations with one scale per call, so a query in a batch would get a
    (slightly) different vector than alone: int8 takes them one at a time, and a question gets the
    same answer from `search` and `search_many`.
    """
    return 1 if runtime == "onnx-int8" else 64


def agrees(got: np.ndarray, reference: np.ndarray, runtime: Runtime) -> bool:
    """True when the runtime's vectors are close enough to torch's fp32 ones to rank with."""
    cos = (got * reference).sum(axis=1)
    floor = 0.999 if runtime == "onnx" else 0.95
    return bool(cos.min() >= floor)


def load_query_model(
    folder: Path,
    runtime: Runtime,
    threads: int,
    build: Callable[[], Export],
    compare: Callable[[OrtModel], tuple[np.ndarray, np.ndarray]],
) -> OrtModel | None:
    """The query model on ONNX Runtime, or None (queries then run in torch) when it cannot be trusted.

    `compare` returns (this model's vectors, torch's vectors) for a few probe texts.
    """
    try:
        model = OrtModel(export_query_model(folder, runtime, build), threads)
        got, reference = compare(model)
    except Exception as exc:  # noqa: BLE001 - any export or runtime failure: torch still answers
        log.warning(
            "ONNX query model unavailable; queries run in torch",
            extra={"model": folder.name, "runtime": runtime, "error": repr(exc)[:300]},
        )
        return None
    if not agrees(got, reference, runtime):
        log.warning("ONNX query model disagrees with torch; queries run in torch", extra={"model": folder.name})
        return None
    return model
