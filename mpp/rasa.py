"""Running Rasa from its own Python 3.10 environment (.venv-rasa): training, serving, parsing."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
from pathlib import Path

from mpp.settings import PROJECT_ROOT, Settings

__all__ = ["MODEL_DIR", "MODEL_PATH", "rasa_env", "rasa_executable", "serve_command", "train", "training_fingerprint"]

MODEL_DIR = PROJECT_ROOT / "models"
MODEL_PATH = MODEL_DIR / "mpp.tar.gz"
_FINGERPRINT = MODEL_DIR / "mpp.fingerprint"
TRAINING_INPUTS = ("config.yml", "bot/domain", "bot/rules", "bot/stories", "nlu")  # stories optional


def rasa_executable() -> Path:
    """The `rasa` script of .venv-rasa."""
    return PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for Rasa processes: offline, quiet, endpoints filled from the settings."""
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "ACTION_SERVER_PORT": str(settings.action_server_port),
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def training_fingerprint() -> str:
    """Hash of every training input and the Rasa version pin: same hash, same model."""
    h = hashlib.sha256()
    files: list[Path] = []
    for rel in TRAINING_INPUTS:
        p = PROJECT_ROOT / rel
        if p.is_dir():
            files.extend(sorted(p.rglob("*.yml")))
        elif p.exists():
            files.append(p)
    for f in files:
        h.update(str(f.relative_to(PROJECT_ROOT)).encode())
        h.update(f.read_bytes())
    h.update((PROJECT_ROOT / "requirements" / "rasa.in").read_bytes())
    return h.hexdigest()[:16]


def train(settings: Settings, *, force: bool = False) -> tuple[bool, Path]:
    """Train when the data changed (or forced). Returns (trained, model path)."""
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    # One training at a time: parallel test runs would otherwise write the same model file.
    with open(MODEL_DIR / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _train_locked(settings, force)


def _train_locked(settings: Settings, force: bool) -> tuple[bool, Path]:
    fp = training_fingerprint()
    if not force and MODEL_PATH.exists() and _FINGERPRINT.exists() and _FINGERPRINT.read_text().strip() == fp:
        return False, MODEL_PATH
    data = [str(PROJECT_ROOT / p) for p in ("nlu", "bot/rules", "bot/stories") if (PROJECT_ROOT / p).exists()]
    cmd = [
        str(rasa_executable()), "train", "--config", str(PROJECT_ROOT / "config.yml"),
        "--domain", str(PROJECT_ROOT / "bot" / "domain"), "--data", *data,
        "--out", str(MODEL_DIR), "--fixed-model-name", "mpp", "--force",
    ]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=PROJECT_ROOT, env=rasa_env(settings))
    _FINGERPRINT.write_text(fp)
    (MODEL_DIR / "mpp.json").write_text(json.dumps({"fingerprint": fp}))
    return True, MODEL_PATH


def serve_command(settings: Settings, port: int = 5005) -> list[str]:
    """Command line of the Rasa server: REST channel and HTTP API on 127.0.0.1 only."""
    return [
        str(rasa_executable()), "run", "--model", str(MODEL_PATH), "--enable-api",
        "--interface", "127.0.0.1", "--port", str(port),
        "--credentials", str(PROJECT_ROOT / "bot" / "credentials.yml"),
        "--endpoints", str(PROJECT_ROOT / "bot" / "endpoints.yml"),
    ]  # fmt: skip
