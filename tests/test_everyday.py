"""Issue 13: what a new user hit, and what a GitHub user reaches for.

Each test runs the installed console script (or the same on a pseudo-terminal)
in a real repository, and checks what the user would see or find on disk.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import git, on_terminal

ISSUES = ".issues"


def snapshot(repo: Path) -> dict[str, bytes]:
    """Every file under .issues/ and git's index: what a refused write must not change."""
    files = {str(p.relative_to(repo)): p.read_bytes()
             for p in (repo / ISSUES).rglob("*") if p.is_file()} if (repo / ISSUES).exists() else {}
    files["git-index"] = (repo / ".git" / "index").read_bytes()
    return files


def one_error(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") or lines[0].startswith("Error: ") \
        or lines[0].startswith("Usage:"), proc.stderr
    return lines[0]


def load(repo: Path, issue_id: str) -> dict:
    return yaml.safe_load((repo / ISSUES / f"{issue_id}.yml").read_text(encoding="utf-8"))


# --- bug 1: a write never makes a file the reader refuses -----------------------

def test_new_with_a_body_over_the_readers_limit_writes_nothing(run, repo, tmp_path):
    run("new", "Small")
    big = tmp_path / "big.md"
    big.write_text("x" * 80 + "\n" * 1 + ("y" * 99 + "\n") * 50_000)  # ~5 MB
    before = snapshot(repo)
    proc = run("new", "Big", "-F", str(big), check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    line = one_error(proc)
    assert "1024 KiB" in line and "nothing was written" in line
    assert snapshot(repo) == before
    assert run("ls").returncode == 0


def test_a_comment_that_would_overflow_the_file_is_refused(run, repo, tmp_path):
    issue_id = run("new", "Talk").stdout.strip()
    big = tmp_path / "comment.md"
    big.write_text(("z" * 99 + "\n") * 11_000)  # 1.1 MB
    before = snapshot(repo)
    proc = run("comment", issue_id, "-F", str(big), check=False)
    assert proc.returncode == 1
    assert "1024 KiB" in one_error(proc)
    assert snapshot(repo) == before
    assert run("show", issue_id).returncode == 0
