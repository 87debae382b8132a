"""Starting and stopping the three processes: action server, Rasa server, gateway."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from mpp.rasa import rasa_env, serve_command
from mpp.settings import PROJECT_ROOT, Settings

__all__ = ["Stack", "stop_on_signals", "wait_http"]

log = logging.getLogger(__name__)


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """Poll a URL until it answers 200 (False on timeout or when the process died)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return True
        time.sleep(0.3)
    return False


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt, so that `Stack.wait`/`start` stop the children.

    Without it a service manager's SIGTERM ended `mpp run` at once and left the action server, Rasa
    and the gateway running, holding their ports. A second signal while stopping is ignored.
    """

    def interrupt(signum: int, _frame: object) -> None:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass
class Stack:
    """The assistant's processes: action server, one or more Rasa servers, gateway."""

    settings: Settings
    rasa_port: int = 0  # 0: the port of RASA_URL
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Seconds from start() until each part answered (cold start figures for the benchmarks).
    ready_s: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.rasa_port:
            self.rasa_port = urlsplit(self.settings.rasa_url.split(",")[0]).port or 5005

    def _env(self, base: dict[str, str] | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The children see the same settings as this process, ports included."""
        s = self.settings
        env = dict(base or os.environ)
        env.update(
            {
                "ACTION_SERVER_PORT": str(s.action_server_port),
                "RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
                "GATEWAY_HOST": s.gateway_host,
                "GATEWAY_PORT": str(s.gateway_port),
                "MPP_DATA_DIR": str(s.data_dir),
                "DATABASE_URL": s.sqlalchemy_url,
            }
        )
        if s.redis_url:
            env["REDIS_URL"] = s.redis_url
        env.update(extra or {})
        return env

    def _spawn(
        self, name: str, cmd: list[str], env: dict[str, str] | None = None, extra: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log_path = self.settings.data_dir / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        out = log_path.open("ab")
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=self._env(env, extra), stdout=out, stderr=out)
        self.procs[name] = proc
        return proc

    @property
    def rasa_ports(self) -> list[int]:
        """Ports of the Rasa processes (consecutive from `rasa_port`)."""
        return [self.rasa_port + i for i in range(self.settings.rasa_processes)]

    @property
    def rasa_urls(self) -> list[str]:
        """Base URLs of the Rasa processes."""
        return [f"http://127.0.0.1:{p}" for p in self.rasa_ports]

    def start(self, *, gateway: bool = True, timeout_s: float = 180.0) -> None:
        """Start action server, Rasa and (optionally) the gateway; wait until each answers."""
        try:
            self._start(gateway, timeout_s)
        except BaseException:
            self.stop()  # never leave a half-started stack holding its ports
            raise

    def _start(self, gateway: bool, timeout_s: float) -> None:
        s = self.settings
        started = time.monotonic()
        # Rasa needs the action server only on the first turn, not to load its model: both load at
        # once, which halves the cold start.
        actions = self._spawn("actions", [sys.executable, "-m", "mpp.cli", "actions"])
        rasas = {
            port: self._spawn("rasa" if i == 0 else f"rasa{i + 1}", serve_command(s, port), rasa_env(s))
            for i, port in enumerate(self.rasa_ports)
        }
        if not wait_http(f"http://127.0.0.1:{s.action_server_port}/health", timeout_s, actions):
            raise RuntimeError("the action server did not start (see var/logs/actions.log)")
        self.ready_s["actions"] = time.monotonic() - started
        for port, rasa in rasas.items():
            if not wait_http(f"http://127.0.0.1:{port}/status", timeout_s, rasa):
                raise RuntimeError("the Rasa server did not start (see var/logs/rasa*.log)")
        self.ready_s["rasa"] = time.monotonic() - started
        if gateway:
            gw = self._spawn(
                "gateway",
                [sys.executable, "-m", "uvicorn", "channels.app:create_app", "--factory",
                 "--host", s.gateway_host, "--port", str(s.gateway_port), "--no-access-log"],
                extra={"RASA_URL": ",".join(self.rasa_urls)},
            )  # fmt: skip
            if not wait_http(f"http://{s.gateway_host}:{s.gateway_port}/health", 60, gw):
                raise RuntimeError("the gateway did not start (see var/logs/gateway.log)")
            self.ready_s["gateway"] = time.monotonic() - started

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each running process in MB (Linux /proc; empty elsewhere)."""
        out: dict[str, float] = {}
        for name, proc in self.procs.items():
            with contextlib.suppress(OSError, ValueError):
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out[name] = int(line.split()[1]) / 1024
        return out

    def stop(self) -> None:
        """Stop every process (gateway first)."""
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    @contextlib.contextmanager
    def running(self, *, gateway: bool = True) -> Iterator[Stack]:
        """Context manager: started on enter, stopped on exit."""
        try:
            self.start(gateway=gateway)
            yield self
        finally:
            self.stop()

    def wait(self) -> None:
        """Block until one process exits or Ctrl-C."""
        try:
            while all(p.poll() is None for p in self.procs.values()):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
