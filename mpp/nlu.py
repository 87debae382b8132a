"""Parsing messages with the trained NLU model."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import httpx

from mpp.rasa import MODEL_PATH, rasa_env
from mpp.settings import PROJECT_ROOT, Settings

__all__ = ["parse_texts"]

_SCRIPT = """
import json, sys, asyncio, logging
logging.disable(logging.WARNING)
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
out = []
for text in json.load(sys.stdin):
    r = asyncio.run(agent.parse_message(text))
    out.append(r)
print(json.dumps(out))
"""


def _shape(r: dict[str, Any]) -> dict[str, Any]:
    intent = r.get("intent") or {}
    return {
        "text": r.get("text", ""),
        "intent": intent.get("name"),
        "confidence": round(float(intent.get("confidence") or 0.0), 4),
        "entities": [
            {"entity": e.get("entity"), "value": e.get("value"), "start": e.get("start"), "end": e.get("end")}
            for e in r.get("entities") or []
        ],
    }


def parse_texts(settings: Settings, texts: list[str]) -> list[dict[str, Any]]:
    """Ask the running Rasa server; without one, load the model in .venv-rasa once for all texts."""
    try:
        with httpx.Client(base_url=settings.rasa_url, timeout=10) as client:
            return [_shape(client.post("/model/parse", json={"text": t}).raise_for_status().json()) for t in texts]
    except httpx.HTTPError:
        pass
    proc = subprocess.run(
        [str(PROJECT_ROOT / ".venv-rasa" / "bin" / "python"), "-c", _SCRIPT, str(MODEL_PATH)],
        input=json.dumps(texts), capture_output=True, text=True, env=rasa_env(settings), check=True,
    )  # fmt: skip
    return [_shape(r) for r in json.loads(proc.stdout.strip().splitlines()[-1])]
