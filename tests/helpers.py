"""Helpers the test files share: repositories, issues, commits, and reading them back.

One definition each, imported by the tests (``from helpers import new, load``),
so that a change to how an issue is made or read is made once.  Fixtures live
in conftest.py and use these.  Everything here works on real files and the
real git binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from git_issues.core.model import Issue
from git_issues.fileformat.issuefile import dump_issue

SCRIPTS = Path(sys.executable).parent
GIT_ISSUES = shutil.which("git-issues", path=f"{SCRIPTS}{os.pathsep}{os.environ.get('PATH', '')}")
CREATED = "2026-01-01T00:00:00Z"


def git(cwd: Path, *args: str, check: bool = True) -> str:
    """Run git in ``cwd`` and return its output; a failure fails the test with git's words."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def make_repo(path: Path) -> Path:
    """A real repository at ``path`` on branch main, with one commit."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Ada Tester")
    git(path, "config", "user.email", "ada@example.com")
    (path / "README").write_text("hello\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "initial")
    return path


def new(run, title: str, *args: str) -> str:
    """Make an issue with the ``new`` command (``run`` or ``invoke``); its id."""
    return run("new", title, *args).stdout.strip()


def path_of(repo: Path, issue_id: str) -> Path:
    """Where the issue ``issue_id`` of ``repo`` lives."""
    return repo / ".issues" / f"{issue_id}.yml"


def load(repo: Path, issue_id: str) -> dict:
    """An issue file as plain YAML data, read the way a person would check it."""
    return yaml.safe_load(path_of(repo, issue_id).read_text(encoding="utf-8"))


def write_issue(folder: Path, issue_id: str, title: str, **fields: Any) -> Path:
    """Write an open issue canonically into the issues ``folder``, by hand (no command)."""
    folder.mkdir(parents=True, exist_ok=True)
    issue = Issue(id=issue_id, title=title, status=fields.pop("status", "open"),
                  created=fields.pop("created", CREATED), **fields)
    path = folder / f"{issue_id}.yml"
    path.write_text(dump_issue(issue), encoding="utf-8")
    return path


def staged(repo: Path) -> list[str]:
    """The paths staged in git's index (``git diff --cached``)."""
    return git(repo, "diff", "--cached", "--name-only").split()


def ids(proc: subprocess.CompletedProcess) -> list[str]:
    """The ids an ``ls`` printed, in its order."""
    return [line.split("\t")[0] for line in proc.stdout.splitlines()]


def snapshot(repo: Path) -> dict[str, bytes]:
    """Every file under .issues/ and git's index file: what a refused write must not change."""
    folder = repo / ".issues"
    files = {str(p.relative_to(repo)): p.read_bytes()
             for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}
    files["<git index>"] = (repo / ".git" / "index").read_bytes()
    return files


def last_line(proc: subprocess.CompletedProcess) -> str:
    """The last line a command wrote to stderr (its summary or its error)."""
    return proc.stderr.strip().splitlines()[-1]
