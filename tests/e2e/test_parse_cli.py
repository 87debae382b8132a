"""`mpp parse --json` against the running Rasa server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mpp.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_parse_json_gives_intent_confidence_entities(stack_urls: dict[str, str]) -> None:
    env = dict(os.environ, RASA_URL=stack_urls["rasa"])
    res = subprocess.run(
        [sys.executable, "-m", "mpp.cli", "parse", "biaya bikin paspor brp?", "--json"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, check=True,
    )  # fmt: skip
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["intent"] == "ask_service"
    assert 0.0 < out["confidence"] <= 1.0
    assert {"entity": "aspect", "value": "biaya"}.items() <= out["entities"][0].items()
