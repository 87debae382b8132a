"""`mpp run` under a service manager: SIGTERM stops the children instead of orphaning them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from mpp.settings import PROJECT_ROOT

SCRIPT = """
import subprocess, sys
from mpp.settings import Settings
from mpp.stack import Stack, stop_on_signals

stack = Stack(Settings())
for name in ("actions", "rasa", "gateway"):
    stack.procs[name] = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print(" ".join(str(p.pid) for p in stack.procs.values()), flush=True)
with stop_on_signals():
    stack.wait()
print("stopped", flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_stops_every_child(sig: signal.Signals) -> None:
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    children = [int(p) for p in parent.stdout.readline().split()]
    assert len(children) == 3 and all(_alive(p) for p in children)
    time.sleep(0.3)  # inside wait()
    parent.send_signal(sig)
    assert parent.wait(timeout=30) == 0
    assert parent.stdout.read().strip() == "stopped"
    assert not any(_alive(p) for p in children)


def test_stop_on_signals_restores_the_handlers() -> None:
    from mpp.stack import stop_on_signals

    before = signal.getsignal(signal.SIGTERM)
    with stop_on_signals():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
