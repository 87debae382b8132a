"""NLU quality: 5-fold cross-validation of the Rasa pipeline on our training data.

Runs `rasa test nlu --cross-validation` in .venv-rasa and prints intent macro-F1 and entity
F1 (DIET) from Rasa's own reports, plus the weakest intents.
Usage: .venv/bin/python bench/nlu_cv.py [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mpp.rasa import rasa_env, rasa_executable
from mpp.settings import PROJECT_ROOT, get_settings


def main() -> None:
    """Run the cross-validation and summarise."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    out = PROJECT_ROOT / "var" / "nlu_cv"
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    subprocess.run(
        [str(rasa_executable()), "test", "nlu", "--nlu", str(PROJECT_ROOT / "nlu"), "--config",
         str(PROJECT_ROOT / "config.yml"), "--cross-validation", "--folds", str(args.folds), "--out", str(out)],
        check=True, cwd=PROJECT_ROOT, env=rasa_env(get_settings()), stdout=subprocess.DEVNULL,
    )  # fmt: skip
    intents = json.loads((out / "intent_report.json").read_text())
    entities = json.loads((out / "DIETClassifier_report.json").read_text())
    print(f"{args.folds}-fold cross-validation in {time.perf_counter() - t:.0f} s")
    print(
        f"intent macro-F1: {intents['macro avg']['f1-score']:.4f}  (weighted {intents['weighted avg']['f1-score']:.4f})"
    )
    print(
        f"entity micro-F1 (DIET): {entities['micro avg']['f1-score']:.4f}  macro {entities['macro avg']['f1-score']:.4f}"
    )
    per = {k: v["f1-score"] for k, v in intents.items() if isinstance(v, dict) and "support" in v and "avg" not in k}
    weakest = sorted(per.items(), key=lambda kv: kv[1])[:5]
    print("weakest intents: " + ", ".join(f"{k} {v:.3f}" for k, v in weakest))
    ent = {k: v["f1-score"] for k, v in entities.items() if isinstance(v, dict) and "support" in v and "avg" not in k}
    print("entities: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(ent.items())))


if __name__ == "__main__":
    main()
