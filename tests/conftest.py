"""Shared fixtures: a sealed git environment and real repositories in temporary folders.

Every test runs with its own HOME and no system git config, so the user's
settings (hooks paths, aliases, editors) can neither help nor break a test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import hypothesis
import hypothesis.configuration
import pytest
import sealed
from click.testing import CliRunner, Result
from helpers import GIT_ISSUES, SCRIPTS, git, make_repo

from git_issues.cli import COMPLETE_VAR, cli

# Property tests draw the same examples on every run and every machine: a
# submission never fails on a random draw (issue 23).  What a draw once found is
# kept as an explicit @example.  `pytest --hypothesis-profile=explore` draws
# afresh, to look for new failures on purpose.
hypothesis.settings.register_profile("deterministic", derandomize=True, database=None,
                                     print_blob=False)
hypothesis.settings.register_profile("explore", derandomize=False, database=None)
hypothesis.settings.load_profile("deterministic")


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis keeps its Unicode tables in a folder of its own: a temporary one,
    never .hypothesis/ in the source tree (a run writes nothing outside tmp)."""
    folder = tempfile.mkdtemp(prefix="git-issues-hypothesis-")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    hypothesis.configuration.set_hypothesis_home_dir(folder)


# The longest tests, measured (--durations), start first: pytest-xdist hands the
# tests out in collection order, so one that starts last would keep the whole
# run waiting for it while the other workers sit idle.  Prefixes of test ids; a
# renamed test merely loses its place.
LONGEST_FIRST = (
    "tests/test_leaks.py::test_two_hundred_workspaces_leak_nothing",
    "tests/test_serve_leaks.py::",
    "tests/test_format.py::test_any_valid_issue_round_trips",
    "tests/test_fuzz.py::test_random_operations_match_a_model",
    "tests/test_import_kill.py::",
    "tests/test_sync_kill.py::",
    "tests/test_import_fastyaml.py::test_the_plain_rule_is_pyyamls",
    "tests/test_crash.py::",
    "tests/test_import_files.py::test_a_real_beads_tracker",
    "tests/test_import_limits.py::test_an_issue_over_a_mebibyte",
    "tests/test_index.py::test_concurrent_writers_and_readers",
    "tests/test_concurrency.py::",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the longest tests first (LONGEST_FIRST order), the rest as collected."""
    def rank(item: pytest.Item) -> int:
        return next((n for n, prefix in enumerate(LONGEST_FIRST)
                     if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))
    items.sort(key=rank)


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


@pytest.fixture
def repo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
         monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real repository with one commit; the test runs inside it.

    A copy of one made by git for this worker (make_repo) costs half of making
    it again; git's index is refreshed after the copy, so that the stat data
    in it are the copy's own, as in a repository git made."""
    template = tmp_path_factory.getbasetemp() / "template-repo"
    if not template.exists():
        make_repo(tmp_path_factory.mktemp("template") / "repo").rename(template)
    path = tmp_path / "repo"
    shutil.copytree(template, path, symlinks=True)
    git(path, "update-index", "-q", "--refresh")
    monkeypatch.chdir(path)
    return path


Run = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def run(repo: Path, request: pytest.FixtureRequest) -> Run:
    """Run a command as a user would, inside ``repo``: the installed console script
    in a process of its own, or, in a test marked ``in_process`` (a file's
    ``pytestmark``), the same command line in this process (click's CliRunner),
    which spares the interpreter's start.  A test that needs a real process
    (hooks, a terminal, a kill, its own environment read at start) is marked
    ``subprocess``; the closest mark decides.  Either way the result is a
    CompletedProcess: returncode, stdout, stderr."""
    if closest_mark(request.node, ("in_process", "subprocess")) == "in_process":
        return in_process(repo)
    assert GIT_ISSUES, "the git-issues console script is not installed (pip install .)"

    def _run(*args: str, input: str | None = None, check: bool = True,
             cwd: Path | None = None, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess:
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run([GIT_ISSUES, *args], cwd=cwd or repo, input=input,
                              capture_output=True, text=True, env=full_env)
        return checked(proc, check, args)

    return _run


def closest_mark(node: pytest.Item, names: tuple[str, ...]) -> str | None:
    """Which of ``names`` marks ``node`` closest (the test, then its class, its file)."""
    return next((mark.name for mark in node.iter_markers() if mark.name in names), None)


def checked(proc: subprocess.CompletedProcess, check: bool,
            args: tuple[str, ...]) -> subprocess.CompletedProcess:
    """``proc``, or an AssertionError with its stderr when ``check`` and it failed."""
    if check and proc.returncode != 0:
        raise AssertionError(
            f"git issues {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def in_process(repo: Path) -> Run:
    """``run``'s twin in this process: the command line goes through ``cli.main`` as
    the console script's ``main`` sends it (same program name, same completion
    variable), with ``cwd`` and ``env`` in force for the call only."""

    def _run(*args: str, input: str | None = None, check: bool = True,
             cwd: Path | None = None, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess:
        completing = COMPLETE_VAR in {**os.environ, **(env or {})}
        old = os.getcwd()
        os.chdir(cwd or repo)
        try:
            result = CliRunner(env=env).invoke(
                cli, list(args), input=input, catch_exceptions=False,
                prog_name="git-issues" if completing else "git issues",
                complete_var=COMPLETE_VAR)
        finally:
            os.chdir(old)
        proc = subprocess.CompletedProcess(list(args), result.exit_code, result.stdout,
                                           result.stderr)
        return checked(proc, check, args)

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
