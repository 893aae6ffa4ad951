"""Shared fixtures: a sealed git environment and real repositories in temporary folders.

Every test runs with its own HOME and no system git config, so the user's
settings (hooks paths, aliases, editors) can neither help nor break a test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sealed
from click.testing import CliRunner, Result

from git_issues.cli import cli

SCRIPTS = Path(sys.executable).parent
GIT_ISSUES = shutil.which("git-issues", path=f"{SCRIPTS}{os.pathsep}{os.environ.get('PATH', '')}")



@pytest.fixture(autouse=True)
def sealed_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    for name in sealed.DROP:
        monkeypatch.delenv(name, raising=False)
    for name, value in sealed.settings(home, SCRIPTS, "Ada Tester", "ada@example.com").items():
        monkeypatch.setenv(name, value)
    # No test may reach GitHub: one that forgets to point at its stand-in gets a
    # refused connection on loopback, never api.github.com, and no real token.
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Ada Tester")
    git(path, "config", "user.email", "ada@example.com")
    (path / "README").write_text("hello\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real repository with one commit; the test runs inside it."""
    path = make_repo(tmp_path / "repo")
    monkeypatch.chdir(path)
    return path


Run = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def run(repo: Path) -> Run:
    """Run the installed console script as a user would, inside ``repo``."""
    assert GIT_ISSUES, "the git-issues console script is not installed (pip install .)"

    def _run(*args: str, input: str | None = None, check: bool = True,
             cwd: Path | None = None, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess:
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run([GIT_ISSUES, *args], cwd=cwd or repo, input=input,
                              capture_output=True, text=True, env=full_env)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"git issues {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    return _run


@pytest.fixture
def invoke(repo: Path) -> Callable[..., Result]:
    """Run a command in-process through click's CliRunner, inside ``repo``."""
    runner = CliRunner()

    def _invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return _invoke


def on_terminal(repo: Path, *args: str, env: dict[str, str],
                typed: str | None = None) -> tuple[int, str]:
    """Run git-issues with stdin, stdout and stderr on a pseudo-terminal, as a person
    at a terminal would; returns the exit code and what the screen showed.
    ``typed`` is what the person types (answers to prompts).

    Needs ``pty`` (POSIX only): where it is missing the calling test is skipped.
    It is imported here, not at the top, so that the suite still collects on Windows.
    """
    pty = pytest.importorskip("pty", reason="needs a pseudo-terminal (the pty module), "
                              "which this platform lacks")
    leader, follower = pty.openpty()
    full_env = {**os.environ, "TERM": "dumb", "COLUMNS": "100", **env}
    proc = subprocess.Popen([GIT_ISSUES, *args], cwd=repo, stdin=follower, stdout=follower,
                            stderr=follower, env=full_env, close_fds=True)
    os.close(follower)
    if typed:
        os.write(leader, typed.encode("utf-8"))
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
