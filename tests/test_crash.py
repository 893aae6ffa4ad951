"""``kill -9`` in the middle of commands: the next command works and tells the truth.

Issue files are written to a temporary file and renamed, so a crash leaves the
old file or the new one, never half of one; the index is rebuilt in one SQLite
transaction, so a crash leaves the old index, which the freshness check then
corrects.  Each test compares what ``ls`` says with the files on disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import GIT_ISSUES
from helpers import write_issue

from git_issues.core.model import Issue
from git_issues.fastpaths import can_fork
from git_issues.fileformat.issuefile import dump_issue, load_text

GUARD_S = 60  # hang guard on a shared machine, not a timing assert
MANY = 3000  # above the parallel-rebuild threshold: worker processes are involved
BULK = {"labels": ["bulk"], "body": "Some text\n" * 5}  # a few lines each, as real issues


def start(repo: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([GIT_ISSUES, *args], cwd=repo, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and _is_git_issues(int(entry)):
                found.append(int(entry))
    return found


def _is_git_issues(pid: int) -> bool:
    """A forked worker, not the short-lived git a command runs."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"git-issues" in handle.read()
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def on_disk(repo: Path) -> dict[str, str]:
    """id -> title of every issue file, parsed by the reader (a torn file would fail here)."""
    issues = {}
    for path in (repo / ".issues").glob("*.yml"):
        if path.name != "config.yml":
            issue = load_text(path.read_bytes(), str(path))
            issues[issue.id] = issue.title
    return issues


def listed(run) -> dict[str, str]:
    result = run("ls", "-s", "all", "--json")
    assert result.stderr == "", result.stderr  # no broken file, no torn temp reported
    return {issue["id"]: issue["title"] for issue in json.loads(result.stdout)}


def kill_after(proc: subprocess.Popen, delay: float, *, wait_for_workers: bool) -> list[int]:
    """SIGKILL the command alone (not its workers); returns the workers it had."""
    workers: list[int] = []
    deadline = time.monotonic() + GUARD_S
    while wait_for_workers and not workers and proc.poll() is None:
        assert time.monotonic() < deadline, "the rebuild never started its workers"
        workers = children_of(proc.pid)
        time.sleep(0.005)
    time.sleep(delay)
    workers = workers or children_of(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=GUARD_S)
    return workers


def assert_workers_exit(workers: list[int]) -> None:
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:  # ours: clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert not left, "worker processes outlived their killed parent"


@pytest.fixture
def many(repo: Path, invoke) -> Path:
    assert invoke("init", "--no-hooks").exit_code == 0
    issues = repo / ".issues"
    for n in range(MANY):
        write_issue(issues, f"k{n:07d}", f"Bulk issue {n}", **BULK)
    return issues


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
@pytest.mark.parametrize("command", ["reindex", "ls"])
def test_kill_9_during_a_rebuild_or_refresh(command, many, repo, run):
    run("reindex")
    # (wait for the worker pool?, extra delay): in the parse phase, while rows are
    # being written, later, and before the pool even exists.
    moments = [(True, 0.0), (True, 0.1), (True, 0.3), (False, 0.05), (False, 0.5)]
    for round_, (wait_for_workers, delay) in enumerate(moments):
        # Make the old index wrong in three ways, so a crash that kept it would show.
        (many / f"k{round_:07d}.yml").unlink()
        write_issue(many, f"n{round_:07d}", f"New in round {round_}", **BULK)
        write_issue(many, f"k{MANY - 1 - round_:07d}", f"Retitled in round {round_}",
                    **BULK)
        if command == "ls":  # every file changed: a long incremental refresh
            for path in list(many.glob("k00001*.yml")):
                path.write_text(path.read_text().replace("Bulk issue", "Touched issue"))
        else:
            for stale in (repo / ".git" / "git-issues").glob("index.sqlite*"):
                stale.unlink()
        proc = start(repo, command)
        # Without fork (GIT_ISSUES_PORTABLE=1) the rebuild has no workers to wait for.
        parallel = command == "reindex" and wait_for_workers and can_fork()
        workers = kill_after(proc, delay, wait_for_workers=parallel)
        assert_workers_exit(workers)

        assert listed(run) == on_disk(repo), f"round {round_}"
    run("reindex")
    assert listed(run) == on_disk(repo)


def test_kill_9_during_new(repo, run, invoke):
    assert invoke("init", "--no-hooks").exit_code == 0
    invoke("new", "Before the crashes")
    for delay in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
        proc = start(repo, "new", "Maybe written", "-m", "body\n" * 1000)
        kill_after(proc, delay, wait_for_workers=False)
        assert listed(run) == on_disk(repo)  # whole files only; temp files ignored
        run("show", run("new", "After a crash").stdout.strip())
    assert listed(run) == on_disk(repo)


@pytest.mark.parametrize("command", [("edit", "--title", "Edited title"),
                                     ("close", "-m", "closing words\n" * 500),
                                     ("comment", "-m", "a comment\n" * 500)], ids=lambda c: c[0])
def test_kill_9_during_a_change_leaves_old_or_new(command, repo, run, invoke):
    assert invoke("init", "--no-hooks").exit_code == 0
    issue_id = invoke("new", "Original title").stdout.strip()
    path = repo / ".issues" / f"{issue_id}.yml"
    for delay in (0.0, 0.1, 0.2, 0.3):
        before = path.read_bytes()
        proc = start(repo, command[0], issue_id, *command[1:])
        kill_after(proc, delay, wait_for_workers=False)
        after = path.read_bytes()
        load_text(after, str(path))  # never half a file
        assert listed(run) == on_disk(repo)
        if after != before:  # it finished: the change is whole
            assert b"Edited title" in after or b"closing words" in after or b"a comment" in after


def torn_temporary(repo: Path, issue_id: str = "torn0001") -> Path:
    """What a writer killed mid-write leaves: half an issue under a dotted temp name."""
    issue = Issue(id=issue_id, title="Half written", status="open",
                  created="2026-01-01T00:00:00Z", body="x\n" * 100)
    tmp = repo / ".issues" / f".{issue_id}.yml.{4_000_000}.tmp"
    tmp.write_text(dump_issue(issue)[:60])
    return tmp


def test_torn_temporary_is_ignored_and_swept_once_stale(repo, run, invoke):
    assert invoke("init", "--no-hooks").exit_code == 0
    good = invoke("new", "Good").stdout.strip()
    tmp = torn_temporary(repo)

    assert listed(run) == {good: "Good"}  # not listed, not reported
    run("reindex")
    assert listed(run) == {good: "Good"}

    run("new", "A write that sweeps")
    assert tmp.exists(), "a fresh temporary may belong to a running writer"

    hours_ago = time.time() - 2 * 3600
    os.utime(tmp, (hours_ago, hours_ago))
    run("ls")
    assert tmp.exists(), "reads never delete anything"
    run("new", "A write a moment after the last sweep")
    assert tmp.exists(), "a write sweeps once a minute at most (250,000 names to list)"
    os.utime(repo / ".git" / "git-issues" / "swept", (hours_ago, hours_ago))  # time passes
    run("new", "Another write that sweeps")
    assert not tmp.exists()
    assert len(listed(run)) == 4


def test_a_half_written_index_is_rebuilt(repo, run, invoke):
    """An index file cut short (a crash of the file system, a full disk) is rebuilt."""
    assert invoke("init", "--no-hooks").exit_code == 0
    ids = {invoke("new", f"Issue {n}").stdout.strip() for n in range(5)}
    run("ls")
    db = repo / ".git" / "git-issues" / "index.sqlite"
    run("reindex")  # checkpointed into the main file
    for wal in db.parent.glob("index.sqlite-*"):
        wal.unlink()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    assert set(listed(run)) == ids
    db.write_bytes(b"\0" * 4096)
    assert set(listed(run)) == ids
