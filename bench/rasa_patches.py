"""What the fixes applied before `rasa run` (mpp/rasa.py, `_SERVE_SCRIPT`) save per turn, measured in Rasa's env.

Rasa keeps trackers as JSON (in memory or in Redis) and turns every stored event back into an
object on each turn. This times that step (`InMemoryTrackerStore.deserialise_tracker`) for
conversations of several lengths, first with Rasa as shipped, then after the same fixes as the
server gets, in one process: medians of repeated runs, and the ratio.
Usage: .venv/bin/python bench/rasa_patches.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mpp.rasa import _SERVE_SCRIPT, rasa_executable

_MEASURE = """
import json, statistics, time
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

domain = Domain.from_dict({"slots": {"service_id": {"type": "text", "mappings": [{"type": "custom"}]}}})
store = InMemoryTrackerStore(domain)


def tracker(turns):
    t = DialogueStateTracker("bench", domain.slots)
    t.update(ActionExecuted("action_listen"))
    for i in range(turns):
        t.update(UserUttered(f"syarat ktp {i}", {"name": "ask_service", "confidence": 0.9}, []))
        t.update(ActionExecuted("action_answer_service"))
        t.update(SlotSet("service_id", "ktp_baru"))
        t.update(BotUttered(f"jawaban {i}"))
        t.update(ActionExecuted("action_listen"))
    return InMemoryTrackerStore.serialise_tracker(t)


def measure(label):
    out = {}
    for turns in (5, 20, 50):
        data = tracker(turns)
        times = []
        for _ in range(REPEAT):
            s = time.perf_counter()
            store.deserialise_tracker("bench", data)
            times.append((time.perf_counter() - s) * 1000)
        out[turns] = statistics.median(times)
    print(json.dumps({"label": label, "ms": out}), flush=True)
    return out
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    fixes = _SERVE_SCRIPT.split("from rasa.__main__ import main")[0]
    code = (
        f"REPEAT = {args.repeat}\n{_MEASURE}\nbefore = measure('Rasa 3.6 as shipped')\n{fixes}\n"
        "after = measure('with the fixes of mpp/rasa.py')\n"
        "for k in before: print(f'{k} turns: {before[k]:.3f} -> {after[k]:.3f} ms per deserialisation, "
        "x{after[k] / before[k]:.2f}')\n"
    )
    env_python = str(rasa_executable().with_name("python"))
    sys.exit(subprocess.run([env_python, "-c", code], check=False).returncode)


if __name__ == "__main__":
    main()
