"""``kill -9`` of a ``sync`` at one of its writes, for the crash tests of each forge.

The stand-in calls ``write_delay`` with each write before applying it: at the
``after``-th one the sync is killed, then the write is applied (the forge has
it, the client never hears of it), as when a run dies with the answer on its way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from conftest import GIT_ISSUES


def killed_sync(stand_in: Any, args: list[str], cwd: Path, env: dict[str, str],
                after: int) -> None:
    """Run ``git-issues sync ARGS`` and kill it at the stand-in's ``after``-th write."""
    seen = 0
    killed = threading.Event()

    def kill_there(target: str) -> None:
        nonlocal seen
        if killed.is_set():
            return
        seen += 1
        if seen == after:
            os.kill(proc.pid, signal.SIGKILL)
            killed.set()
            time.sleep(0.1)

    stand_in.write_delay = kill_there
    proc = subprocess.Popen([GIT_ISSUES, "sync", *args], cwd=cwd, env={**os.environ, **env},
                            stderr=subprocess.PIPE, text=True)
    proc.communicate(timeout=120)
    time.sleep(0.2)  # the killed write is applied 0.1 s after the kill: let it land first
    stand_in.write_delay = None
    assert killed.is_set() and proc.returncode == -signal.SIGKILL
