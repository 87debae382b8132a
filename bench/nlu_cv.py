"""NLU quality: k-fold cross-validation of the Rasa pipeline on our training data.

Runs `rasa test nlu --cross-validation` in .venv-rasa and prints intent macro-F1 and entity F1
from Rasa's own reports, plus the weakest intents and the most frequent confusions.
Button-payload intents (`choose_service`: residents reach it only by pressing a button, whose
payload `/choose_service{...}` bypasses the NLU) are left out of the folds by default.
Usage: .venv/bin/python bench/nlu_cv.py [--folds 5] [--config config.yml] [--keep-payload-intents]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mpp.rasa import rasa_env, rasa_executable
from mpp.settings import PROJECT_ROOT, get_settings

# Reached only through button payloads (see above); their text examples are filler for validation.
PAYLOAD_INTENTS = ("choose_service",)


class _Block(yaml.SafeDumper):
    """Writes multi-line strings as `|` blocks, the way Rasa training data is written."""


def _block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Block.add_representer(str, _block)


def nlu_without(intents: tuple[str, ...], target: Path) -> Path:
    """Copy nlu/ into `target`, dropping the examples of `intents` (synonyms, lookups kept)."""
    target.mkdir(parents=True, exist_ok=True)
    for src in sorted((PROJECT_ROOT / "nlu").glob("*.yml")):
        data: dict[str, Any] = yaml.safe_load(src.read_text(encoding="utf-8")) or {}
        data["nlu"] = [item for item in data.get("nlu") or [] if item.get("intent") not in intents]
        (target / src.name).write_text(yaml.dump(data, Dumper=_Block, allow_unicode=True, sort_keys=False))
    return target


def _f1s(report: dict[str, Any]) -> dict[str, float]:
    return {k: v["f1-score"] for k, v in report.items() if isinstance(v, dict) and "support" in v and "avg" not in k}


def main() -> None:
    """Run the cross-validation and summarise."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    ap.add_argument("--keep-payload-intents", action="store_true", help="score choose_service too")
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "var" / "nlu_cv")
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nlu_cv_") as tmp:
        data = PROJECT_ROOT / "nlu"
        if not args.keep_payload_intents:
            data = nlu_without(PAYLOAD_INTENTS, Path(tmp) / "nlu")
        t = time.perf_counter()
        subprocess.run(
            [str(rasa_executable()), "test", "nlu", "--nlu", str(data), "--config", str(args.config),
             "--cross-validation", "--folds", str(args.folds), "--out", str(out)],
            check=True, cwd=PROJECT_ROOT, env=rasa_env(get_settings()), stdout=subprocess.DEVNULL,
        )  # fmt: skip
        elapsed = time.perf_counter() - t
    intents = json.loads((out / "intent_report.json").read_text())
    reports = sorted(out.glob("*Extractor_report.json")) + sorted(out.glob("DIETClassifier_report.json"))
    scope = "all intents" if args.keep_payload_intents else f"without payload-only {', '.join(PAYLOAD_INTENTS)}"
    print(f"{args.folds}-fold cross-validation in {elapsed:.0f} s ({args.config.name}, {scope})")
    print(
        f"intent macro-F1: {intents['macro avg']['f1-score']:.4f}  (weighted {intents['weighted avg']['f1-score']:.4f})"
    )
    per = _f1s(intents)
    print("weakest intents: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(per.items(), key=lambda kv: kv[1])[:5]))
    confusions: Counter[tuple[str, str]] = Counter()
    for name, row in intents.items():
        if isinstance(row, dict) and "confused_with" in row:
            for other, n in row["confused_with"].items():
                confusions[(name, other)] += int(n)
    print("top confusions: " + ", ".join(f"{a}->{b} {n}" for (a, b), n in confusions.most_common(8)))
    for path in reports:
        entities = json.loads(path.read_text())
        extractor = path.name.removesuffix("_report.json")
        print(
            f"entity micro-F1 ({extractor}): {entities['micro avg']['f1-score']:.4f}  "
            f"macro {entities['macro avg']['f1-score']:.4f}"
        )
        print("entities: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(_f1s(entities).items())))


if __name__ == "__main__":
    main()
