"""The leak test this product exists for (DESIGN.md §3).

An earlier tracker cached its engine with ``lru_cache`` keyed on a path read
from the environment, and its test suite died of OOM.  Here one process runs
the CLI in-process through click's CliRunner in 200 fresh workspaces, one
after another, and must end with the file descriptors, child processes and
memory it had after the first ten, with no engine and no ``git.Repo`` alive.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from git_issues.cli import cli

WORKSPACES = 200
WARMUP = 10
RSS_BUDGET = 8 * 1024 * 1024


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def children() -> list[str]:
    """Live (or unreaped) child processes of every thread of this process."""
    found = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as handle:
                found += handle.read().split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
    return found


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def live(type_name: str, module: str) -> list[object]:
    """Instances of ``module.type_name`` still reachable, if the module was ever imported."""
    if module not in sys.modules:
        return []
    cls = sys.modules[module]
    for part in type_name.split("."):
        cls = getattr(cls, part)
    return [obj for obj in gc.get_objects() if isinstance(obj, cls)]  # type: ignore[arg-type]


def snapshot() -> dict[str, object]:
    gc.collect()
    return {
        "fds": open_fds(),
        "children": children(),
        "engines": live("engine.Engine", "sqlalchemy"),
        "repos": live("Repo", "git"),
        "rss": rss(),
    }


def invoke(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_two_hundred_workspaces_leak_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    template = tmp_path / "template"
    subprocess.run(["git", "init", "-q", "-b", "main", str(template)], check=True)
    runner = CliRunner()
    baseline: dict[str, object] = {}
    for n in range(WORKSPACES):
        workspace = tmp_path / f"ws{n:03d}"
        shutil.copytree(template, workspace, symlinks=True)  # a fresh `git init`, faster
        monkeypatch.chdir(workspace)
        if n % 2:
            monkeypatch.setenv("ISSUES_DB_PATH", str(tmp_path / f"index-{n:03d}.sqlite"))
        else:
            monkeypatch.delenv("ISSUES_DB_PATH", raising=False)

        invoke(runner, "init")
        first = invoke(runner, "new", f"Leak check {n}", "-l", "bug", "-p", "1").strip()
        invoke(runner, "new", "Second issue", "-m", "with a body\nof two lines")
        listed = invoke(runner, "ls")
        assert first in listed and f"Leak check {n}" in listed
        assert first in invoke(runner, "ls", "-q", "leak", "--json")
        assert f"Leak check {n}" in invoke(runner, "show", first[:6])
        invoke(runner, "show", first, "--json")
        invoke(runner, "reindex")
        # Each workspace's index is where that workspace says, never a cached one.
        if n % 2:
            assert (tmp_path / f"index-{n:03d}.sqlite").is_file()
            assert not (workspace / ".git" / "git-issues" / "index.sqlite").exists()
        else:
            assert (workspace / ".git" / "git-issues" / "index.sqlite").is_file()

        if n + 1 == WARMUP:
            baseline = snapshot()
            assert baseline["engines"] == [] and baseline["repos"] == []

    after = snapshot()
    assert after["children"] == [], "child processes left behind"
    assert after["engines"] == [], "SQLAlchemy engines still alive"
    assert after["repos"] == [], "git.Repo objects still alive"
    assert after["fds"] <= baseline["fds"], f"file descriptors: {baseline['fds']} -> {after['fds']}"
    growth = after["rss"] - baseline["rss"]  # type: ignore[operator]
    assert growth < RSS_BUDGET, f"RSS grew by {growth / 1024 / 1024:.1f} MB"
