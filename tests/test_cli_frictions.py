"""Small frictions of the command line (issue 21): several ids at once, a mistyped
command, a link without its relation.  Run through the installed console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import GIT_ISSUES
from helpers import new

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run


def status(repo: Path, issue_id: str) -> str:
    return yaml.safe_load((repo / ".issues" / f"{issue_id}.yml").read_text())["status"]


def comments(repo: Path, issue_id: str) -> list[str]:
    data = yaml.safe_load((repo / ".issues" / f"{issue_id}.yml").read_text())
    return [c["body"] for c in data.get("comments", [])]


def test_close_and_reopen_take_several_ids(run, repo):
    first, second, third = (new(run, f"Issue {n}") for n in (1, 2, 3))
    proc = run("close", first[:5], second, third, "-m", "Fixed in the rewrite.")
    lines = proc.stderr.splitlines()
    assert lines[0::2] == [f"Closed {first}: Issue 1", f"Closed {second}: Issue 2",
                           f"Closed {third}: Issue 3"]
    assert [line.split(" (")[0] for line in lines[1::2]] == [
        f"Commented on {i}" for i in (first, second, third)]
    assert {status(repo, i) for i in (first, second, third)} == {"closed"}
    assert all(comments(repo, i) == ["Fixed in the rewrite."] for i in (first, second, third))
    proc = run("reopen", first, second)
    assert proc.stderr.splitlines() == [f"Reopened {first}: Issue 1",
                                        f"Reopened {second}: Issue 2"]
    assert (status(repo, first), status(repo, second), status(repo, third)) == (
        "open", "open", "closed")


@pytest.mark.parametrize("command", ["close", "reopen"])
def test_one_bad_id_among_several_is_named_and_the_others_are_done(run, repo, command):
    first, second = new(run, "First"), new(run, "Second")
    if command == "reopen":
        run("close", first)
        run("close", second)
    proc = run(command, first, "zzzz", second, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    done = "Closed" if command == "close" else "Reopened"
    assert proc.stderr.splitlines() == [f"{done} {first}: First",
                                        "error: no issue matches 'zzzz'",
                                        f"{done} {second}: Second"]
    wanted = "closed" if command == "close" else "open"
    assert status(repo, first) == status(repo, second) == wanted


def test_close_without_an_id_is_a_usage_error(run, repo):
    proc = run("close", check=False)
    assert proc.returncode == 2 and "Missing argument 'ID...'" in proc.stderr


@pytest.mark.parametrize(("typed", "meant"), [("lst", "ls"), ("shwo", "show"),
                                              ("reopne", "reopen"), ("lis", "ls")])
def test_a_mistyped_command_gets_the_one_it_likely_meant(run, repo, typed, meant):
    proc = run(typed, check=False)
    assert proc.returncode == 2
    assert f"No such command '{typed}'. (Did you mean '{meant}'?)" in proc.stderr
    proc = run("frobnicate", check=False)  # like nothing: no guess
    assert proc.returncode == 2 and "No such command 'frobnicate'." in proc.stderr
    assert "Did you mean" not in proc.stderr


@pytest.mark.parametrize("command", ["link", "unlink"])
def test_link_with_two_ids_names_the_relation_flags(run, repo, command):
    first, second = new(run, "First"), new(run, "Second")
    proc = run(command, first, second, check=False)
    assert proc.returncode == 2
    assert (f"Error: say how {first} and {second} are linked: git issues {command} {first} "
            f"--blocks {second}, --blocked-by {second} or --related {second}") in proc.stderr


def test_a_removed_current_folder_is_one_line_not_a_traceback(tmp_path):
    """A shell still standing in a folder someone removed: the read says so and exits 1."""
    gone = tmp_path / "gone"
    gone.mkdir()
    script = ("import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
              "os.execvp(sys.argv[2], [sys.argv[2], 'ls'])")
    proc = subprocess.run([sys.executable, "-c", script, str(gone), GIT_ISSUES],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == "error: the current folder no longer exists (removed since the shell " \
        "entered it?)\n"
