"""What runs the tuned encoders on queries: torch, ONNX Runtime fp32, ONNX Runtime int8 (two ways).

Usage: .venv/bin/python bench/query_runtime.py [--limit N]
For each tuned encoder of the default search (MiniLM, e5): one query vector at a time over the dev
set, per runtime interleaved query by query (p50/p95 ms, one thread), and the cosine of each
runtime's vectors to torch's. Then the search quality (dev and held-out acc@1/acc@3) with both
encoders on each runtime. int8 variants: `int8-8bit` = ONNX Runtime's dynamic quantisation with
per-channel 8-bit weights; `int8` = the same with 7-bit weights (`reduce_range`, what
`MPP_SEARCH_RUNTIME=onnx-int8` ships). Quantised files go to a temporary folder, not the index.
"""

from __future__ import annotations

import argparse
import copy
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._devset import DEV, HELDOUT, load_cases
from bench.search_quality import evaluate
from knowledge_base._dense import Encoder, StEncoder
from knowledge_base._e5 import TunedE5Encoder
from knowledge_base._onnx import OrtModel
from knowledge_base.search import SearchConfig, SearchEngine


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _on(encoder: Encoder, path: Path, runtime: str) -> Encoder:
    """A copy of an ONNX encoder running another exported file."""
    out = copy.copy(encoder)
    out.ort = OrtModel(path, 1)  # type: ignore[attr-defined]
    out.runtime = runtime  # type: ignore[attr-defined]
    return out


def main() -> None:
    """Measure and print markdown tables."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="only the first N dev-set queries for the timing")
    args = ap.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # ONNX Runtime's quantiser advice
    from onnxruntime.quantization import QuantType, quantize_dynamic

    engine = SearchEngine.from_settings(SearchConfig(runtime="onnx"))
    cfg = engine.config
    tmp = Path(tempfile.mkdtemp())
    encoders: dict[str, dict[str, Encoder]] = {}
    for enc, _ in engine.dense:
        assert isinstance(enc, StEncoder | TunedE5Encoder), "expects the default views"
        fp32 = next(enc.path.glob("query-*[0-9].onnx"))
        runs: dict[str, Encoder] = {"torch": copy.copy(enc), "onnx": enc}
        runs["torch"].ort = None  # type: ignore[attr-defined]
        runs["torch"].runtime = "torch"  # type: ignore[attr-defined]
        for name, reduce in (("int8-8bit", False), ("int8", True)):
            out = tmp / f"{enc.path.name}-{name}.onnx"
            quantize_dynamic(str(fp32), str(out), per_channel=True, reduce_range=reduce, weight_type=QuantType.QInt8)
            runs[name] = _on(enc, out, "onnx-int8")
        encoders[enc.name.split("@")[0]] = runs

    texts = [engine._query_text(c.query) for c in load_cases(DEV)][: args.limit or None]
    print(f"one query vector at a time, {len(texts)} dev-set queries, runtimes interleaved, 1 thread each")
    print("| encoder | runtime | p50 ms | p95 ms | cosine to torch (mean / min) |")
    print("|---|---|---|---|---|")
    for enc_name, runs in encoders.items():
        lat: dict[str, list[float]] = {r: [] for r in runs}
        for i, text in enumerate(texts):
            names = list(runs)
            for r in names[i % len(names) :] + names[: i % len(names)]:
                t = time.perf_counter()
                runs[r].queries([text])
                lat[r].append((time.perf_counter() - t) * 1000)
        ref = runs["torch"].queries(texts)
        for r, values in lat.items():
            cos = (runs[r].queries(texts) * ref).sum(axis=1)
            print(
                f"| {enc_name} | {r} | {statistics.median(values):.2f} | {_pct(values, 95):.2f} "
                f"| {cos.mean():.4f} / {cos.min():.4f} |",
                flush=True,
            )

    print("\nsearch quality, both encoders on the runtime (BM25 + tuned MiniLM + tuned e5, the default fusion)")
    print("(out-of-scope rejection: the domain classifier trained on the default runtime's vectors)")
    print(
        "| runtime | dev acc@1 | dev acc@3 | dev OOS rejected | held-out acc@1 | held-out acc@3 | held-out OOS rejected |"
    )
    print("|---|---|---|---|---|---|---|")
    docs = [vecs for _, vecs in engine.dense]
    sets = {"dev": load_cases(DEV), "heldout": load_cases(HELDOUT)}
    for r in ("torch", "onnx", "int8-8bit", "int8"):
        variant = copy.copy(engine)
        variant.config = replace(cfg)
        variant.dense = [(runs[r], d) for runs, d in zip(encoders.values(), docs, strict=True)]
        m = {name: evaluate(variant, cases) for name, cases in sets.items()}
        print(
            f"| {r} | {m['dev']['acc@1']:.3f} | {m['dev']['acc@3']:.3f} | {m['dev']['oos_rejected']:.3f} "
            f"| {m['heldout']['acc@1']:.3f} | {m['heldout']['acc@3']:.3f} | {m['heldout']['oos_rejected']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
