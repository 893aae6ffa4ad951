"""Running processes: timed whole cold processes (wall time and peak RSS), and untimed helpers."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sealed  # tests/sealed.py: the environment the tests run in

from gibench.common import TIMEOUT, BenchError


@dataclass
class Sample:
    seconds: float
    rss_kb: int


def run_timed(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Sample:
    """One whole process: wall time from spawn to reap, and its peak RSS.

    ``os.wait4`` gives the child's own rusage (ru_maxrss, in KiB on Linux),
    which ``subprocess`` does not expose.  A watchdog kills a hung child.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        watchdog = threading.Timer(TIMEOUT, proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        if proc.returncode != 0:
            err.seek(0)
            text = err.read().decode("utf-8", "replace").strip().splitlines()
            tail = text[-1] if text else "(no message)"
            raise BenchError(f"`{' '.join(argv)}` exited {proc.returncode}: {tail}")
    return Sample(seconds, usage.ru_maxrss)


def run(argv: Sequence[str], cwd: Path, env: dict[str, str], *,
        check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    """An untimed helper process (setup, warm-ups)."""
    proc = subprocess.run(list(argv), cwd=cwd, env=env, input=input, capture_output=True,
                          text=True, timeout=TIMEOUT)
    if check and proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip()
        raise BenchError(f"`{' '.join(argv)}` in {cwd} exited {proc.returncode}: {msg}")
    return proc


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return run(["git", *args], cwd, env).stdout


def sealed_env(home: Path, scripts: Path) -> dict[str, str]:
    """The user's settings (hooks paths, editors, ISSUES_DB_PATH) must not leak in.

    The scripts directory goes first on PATH so that hooks calling ``git issues``
    reach the real script, not a pyenv shim.
    """
    env = {k: v for k, v in os.environ.items() if k not in sealed.DROP}
    env.update(sealed.settings(home, scripts, "Bench Runner", "bench@example.com"))
    env.update({
        "GIT_EDITOR": "false",  # a command that opens an editor fails instead of hanging
        "NO_COLOR": "1",
    })
    return env
