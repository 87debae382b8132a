"""Search quality on the dev set: acc@1, acc@3, MRR, out-of-scope rejection, per method.

Runs the lexical and dense baselines and the hybrids in the same go, on the same index.
Usage: .venv/bin/python bench/search_quality.py [--set dev|heldout|both] [--json OUT]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._devset import DEV, HELDOUT, Case, load_cases
from knowledge_base.search import SearchConfig, SearchEngine

METHODS: dict[str, SearchConfig] = {
    "lexical (BM25 + analyzer)": SearchConfig(dense="none"),
    "dense e5-small (packaged)": SearchConfig(dense="e5", alpha=0.0),
    "dense e5-small tuned (4 layers)": SearchConfig(dense="e5tuned", alpha=0.0),
    "dense MiniLM base (no tuning)": SearchConfig(dense="base", alpha=0.0),
    "dense MiniLM fine-tuned": SearchConfig(dense="finetuned", alpha=0.0),
    "hybrid lexical + e5": SearchConfig(dense="e5"),
    "hybrid lexical + tuned e5": SearchConfig(dense="e5tuned"),
    "hybrid lexical + fine-tuned": SearchConfig(dense="finetuned"),
    "hybrid lexical + fine-tuned + e5 on every query": SearchConfig(dense="finetuned+e5", cascade_margin=1.0),
    "hybrid lexical + fine-tuned + e5 when close (previous default)": SearchConfig(
        dense="finetuned+e5", cascade_margin=0.12
    ),
    "hybrid lexical + fine-tuned + tuned e5 when close (0.3)": SearchConfig(cascade_margin=0.3),
    "hybrid lexical + fine-tuned + tuned e5, queries in torch": SearchConfig(runtime="torch"),
    "hybrid lexical + fine-tuned + tuned e5, queries on ONNX Runtime int8": SearchConfig(runtime="onnx-int8"),
    "hybrid lexical + fine-tuned + tuned e5 (default: queries on ONNX Runtime fp32)": SearchConfig(),
}


def evaluate(engine: SearchEngine, cases: list[Case]) -> dict[str, Any]:
    """Metrics of one engine on one set."""
    results = engine.search_many([c.query for c in cases], k=5)
    n_in = sum(c.in_scope for c in cases)
    n_out = len(cases) - n_in
    acc1 = acc3 = mrr = rejected = false_reject = 0.0
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for c, r in zip(cases, results, strict=True):
        ids = [h.id for h in r.results]
        if not c.in_scope:
            rejected += not r.confident
            continue
        rank = next((i + 1 for i, sid in enumerate(ids) if sid in c.gold), None)
        acc1 += rank == 1
        acc3 += rank is not None and rank <= 3
        mrr += 1.0 / rank if rank else 0.0
        false_reject += not r.confident
        per_kind[c.kind][0] += rank == 1
        per_kind[c.kind][1] += 1
        if rank != 1:
            misses.append({"query": c.query, "gold": list(c.gold), "got": ids[:3]})
    return {
        "in_scope": n_in,
        "out_of_scope": n_out,
        "acc@1": round(acc1 / max(n_in, 1), 4),
        "acc@3": round(acc3 / max(n_in, 1), 4),
        "mrr": round(mrr / max(n_in, 1), 4),
        "oos_rejected": round(rejected / max(n_out, 1), 4),
        "in_scope_rejected": round(false_reject / max(n_in, 1), 4),
        "per_kind_acc@1": {k: round(v[0] / v[1], 3) for k, v in sorted(per_kind.items())},
        "misses": misses,
    }


def _variant(base: SearchEngine, cfg: SearchConfig) -> SearchEngine:
    """An engine for `cfg`; fusion-only variants share the loaded models instead of loading them again."""
    if (cfg.dense, cfg.runtime) == (base.config.dense, base.config.runtime):
        engine = copy.copy(base)
        engine.config = cfg
        return engine
    return SearchEngine(base.catalogue, base.index_dir, replace(cfg))


def main() -> None:
    """Run every method on the chosen sets and print a markdown table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["dev", "heldout", "both"], default="both")
    ap.add_argument("--methods", default="all", help="comma-separated substrings of method names")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    sets = {"dev": DEV, "heldout": HELDOUT}
    chosen = [s for s in sets if args.set in (s, "both") and sets[s].exists()]
    base = SearchEngine.from_settings()
    out: dict[str, dict[str, dict[str, Any]]] = {}
    print("| method | set | acc@1 | acc@3 | MRR | OOS rejected | in-scope rejected |")
    print("|---|---|---|---|---|---|---|")
    for name, cfg in METHODS.items():
        if args.methods != "all" and not any(m in name for m in args.methods.split(",")):
            continue
        t0 = time.perf_counter()
        engine = base if cfg == base.config else _variant(base, cfg)
        for set_name in chosen:
            m = evaluate(engine, load_cases(sets[set_name]))
            out.setdefault(name, {})[set_name] = m
            print(
                f"| {name} | {set_name} ({m['in_scope']}+{m['out_of_scope']}) | {m['acc@1']:.3f} | {m['acc@3']:.3f} "
                f"| {m['mrr']:.3f} | {m['oos_rejected']:.3f} | {m['in_scope_rejected']:.3f} |",
                flush=True,
            )
        out[name]["seconds"] = {"total": round(time.perf_counter() - t0, 1)}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
