"""No write makes a file the reader refuses, no read runs away, no crash blocks writes.

Issue 26: control characters in pasted text made issues vanish from ``ls``; a
committed link to ``/dev/zero`` exhausted memory in ``check``, ``init``,
``import`` and ``sync``; a full disk or a read-only checkout gave a traceback;
a ``kill -9`` at the wrong moment left a lock that blocked every write to the
issue.  Issue 21: titles of any length were written.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import GIT_ISSUES

from git_issues.errors import GitIssuesError
from git_issues.ops import write
from git_issues.repo import locks
from git_issues.repo.workspace import open_workspace

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

COLOURED_LOG = ("\x1b[1m\x1b[31mERROR\x1b[0m test_x failed\r\n"
                "\x1b]0;build\x07progress \x1b[2K\x1b[1G42%\x07\n")
GUARD_S = 60  # hang guard on a shared machine, not a timing assert
MEMORY_LIMIT = 1 << 30  # a read of /dev/zero hits this in a second; an honest command never


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def issue_files(repo: Path) -> list[str]:
    return sorted(p.name for p in (repo / ".issues").glob("*.yml") if p.name != "config.yml")


# --- item 4: control characters in pasted text ----------------------------------------------


def test_a_pasted_coloured_log_is_written_readably_everywhere(run, repo):
    """Body, comment, close comment and edited body: each readable by ls, show and close."""
    made = run("new", "Build broke", "-m", COLOURED_LOG)
    assert "note: the body held terminal escape sequences" in made.stderr
    issue_id = made.stdout.strip()
    run("comment", issue_id, "-m", "again: " + COLOURED_LOG)
    run("edit", issue_id, "-m", "ding\x07 and \x1b[32mgreen\x1b[0m")
    run("close", issue_id, "-m", "fixed \x1b[1mnow\x1b[0m")

    assert issue_id in run("ls", "-s", "all").stdout
    shown = run("show", issue_id).stdout
    assert "\x1b" not in shown and "\x07" not in shown
    assert "ERROR test_x failed" in shown and "ding\u2407 and green" in shown
    assert "fixed now" in shown and "progress 42%\u2407" in shown
    assert run("check").stdout == ""


def test_the_web_view_writes_pasted_text_readably(repo, run):
    """The web forms write through the write library, as the CLI does."""
    issue_id = run("new", "From the web").stdout.strip()
    with open_workspace(repo) as ws:
        write.comment(ws, issue_id, "\x1b[31mred\x1b[0m bell\x07 nel\x85 esc\x1b")
    shown = run("show", issue_id).stdout
    assert "red bell\u2407 nel\ufffd esc\u241b" in shown


def test_the_writer_refuses_bytes_the_reader_would_refuse(repo, run):
    """Every write ends in the store: bytes the reader refuses never reach the rename,
    whoever made them (an importer, a future command)."""
    run("new", "Exists")
    with open_workspace(repo) as ws:
        with pytest.raises(GitIssuesError, match="would not be readable.*control character"):
            ws.store.write_text("abcd2345", "id: abcd2345\ntitle: t\nstatus: open\n"
                                "created: '2026-01-01T00:00:00Z'\nbody: \"a\\eb\"\n")
        with pytest.raises(GitIssuesError, match="would not be readable"):
            ws.store.write_text("abcd2346", "id: abcd2346\ntitle: t\nstatus: open\n"
                                "created: '2026-01-01T00:00:00Z'\nbody: \"\\a\"\n", bulk=True)
    assert not (repo / ".issues" / "abcd2345.yml").exists()
    assert not (repo / ".issues" / "abcd2346.yml").exists()
    assert not [p for p in (repo / ".issues").iterdir() if p.name.endswith(".tmp")]


# --- issue 21: the title's limit -----------------------------------------------------------


def test_a_title_over_256_characters_is_refused_in_new_and_edit(run, repo):
    refused = one_error_line(run("new", "x" * 257, check=False))
    assert "256" in refused and issue_files(repo) == []
    issue_id = run("new", "y" * 256).stdout.strip()
    before = (repo / ".issues" / f"{issue_id}.yml").read_bytes()
    assert "256" in one_error_line(run("edit", issue_id, "--title", "z" * 300, check=False))
    assert (repo / ".issues" / f"{issue_id}.yml").read_bytes() == before


def test_check_reports_a_file_with_a_long_title(run, repo):
    run("new", "Fine")
    (repo / ".issues" / "abcd2345.yml").write_text(
        f"id: abcd2345\ntitle: {'t' * 500}\nstatus: open\ncreated: '2026-01-01T00:00:00Z'\n")
    result = run("check", check=False)
    assert result.returncode == 1
    assert ".issues/abcd2345.yml: title is longer than 256 characters" in result.stdout


# --- item 6: every read is guarded ------------------------------------------------------------


def run_limited(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """The console script with its address space capped: an unbounded read fails fast
    with MemoryError (a traceback) instead of taking the shared machine's memory."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run([GIT_ISSUES, *args], cwd=repo, capture_output=True, text=True,
                          preexec_fn=cap, timeout=GUARD_S, stdin=subprocess.DEVNULL)


def endless(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("name, args", [
    (".issues/config.yml", ("check",)),
    (".gitattributes", ("init", "--no-hooks")),
    (".issues/sync/github/octo/demo.json", ("import", "github", "octo/demo")),
    (".issues/sync/github/octo/demo.json", ("sync", "github", "octo/demo")),
], ids=["config-check", "gitattributes-init", "state-import", "state-sync"])
def test_a_committed_link_to_an_endless_file_is_one_error(name, args, run, repo):
    run("new", "Here before")
    endless(repo / name)
    result = run_limited(repo, *args)
    assert result.returncode == 1, result.stderr
    assert "MemoryError" not in result.stderr and "Traceback" not in result.stderr
    said = (result.stdout + result.stderr).splitlines()  # check reports on stdout
    naming = [line for line in said if name in line]
    assert len(naming) == 1 and "symbolic link" in naming[0], said


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("kind", ["jsonl", "beads", "gh-json"])
def test_an_import_file_that_never_ends_is_one_error(kind, run, repo, tmp_path):
    fifo = tmp_path / "export.fifo"
    os.mkfifo(fifo)
    for source in ("/dev/zero", str(fifo)):
        result = run_limited(repo, "import", kind, source)
        assert source in one_error_line(result) and "not a regular file" in result.stderr
    linked = tmp_path / "linked.jsonl"
    linked.symlink_to("/dev/zero")
    assert "not a regular file" in one_error_line(run_limited(repo, "import", kind, str(linked)))


def test_a_body_file_that_never_ends_is_one_error(run, repo, tmp_path):
    for source in ("/dev/zero", str(tmp_path)):
        result = run_limited(repo, "new", "From a file", "-F", source)
        assert source in one_error_line(result)
    assert issue_files(repo) == []


# --- item 10: a full disk, a read-only checkout, a thousand filters -------------------------


def test_a_thousand_label_filters_is_one_error(run, repo):
    run("new", "Labelled", "-l", "l1")
    args = [arg for n in range(1000) for arg in ("-l", f"l{n}")]
    assert "label filters" in one_error_line(run("ls", *args, check=False))


def mount_tmpfs(folder: Path, *options: str) -> None:
    folder.mkdir(exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs",
                           str(folder)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {proc.stderr.strip()}")


@pytest.fixture
def small_issues(repo: Path, run):
    """``.issues`` on its own 64 KiB file system (a real mount: needs root)."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("a full or read-only disk is made with mount, which needs root on Linux")
    folder = repo / ".issues"
    mount_tmpfs(folder, "size=64k")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


WRITES = [("new", "Big", "-m"), ("comment", "{id}", "-m"), ("edit", "{id}", "-m"),
          ("close", "{id}", "-m")]


def test_a_full_disk_is_one_error_and_loses_nothing(small_issues, run):
    issue_id = run("new", "Already here").stdout.strip()
    path = small_issues / f"{issue_id}.yml"
    before = path.read_bytes()
    big = "word " * 20_000  # 100 KB: more than the file system holds
    for args in WRITES:
        result = run(*[a.format(id=issue_id) for a in args], big, check=False)
        assert "No space left on device" in one_error_line(result), args
        assert path.read_bytes() == before
        assert [p.name for p in small_issues.iterdir()] == [path.name]  # no temporary left
    run("comment", issue_id, "-m", "small enough")


def test_a_read_only_checkout_is_one_error(small_issues, run):
    issue_id = run("new", "Already here").stdout.strip()
    subprocess.run(["mount", "-o", "remount,ro", str(small_issues)], check=True)
    for args in WRITES:
        result = run(*[a.format(id=issue_id) for a in args], "text", check=False)
        assert "Read-only file system" in one_error_line(result), args
    assert run("show", issue_id).stdout.startswith("Already here")


# --- item 11: what kill -9 leaves behind ----------------------------------------------------

HOLD_LOCK = """
import sys, time
from pathlib import Path
from git_issues.repo import locks
with locks.lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def lock_path(repo: Path, issue_id: str) -> Path:
    return repo / ".git" / "git-issues" / "locks" / f"{issue_id}.yml.lock"


def test_a_lock_whose_writer_was_killed_is_taken_over(run, repo):
    """A real process holds the lock with the tool's own code and is killed with -9."""
    issue_id = run("new", "Locked").stdout.strip()
    lock = lock_path(repo, issue_id)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert lock.exists()

    result = run("comment", issue_id, "-m", "after the crash")
    assert f"process {holder.pid}, which is no longer running; taken over" in result.stderr
    assert "after the crash" in run("show", issue_id).stdout
    assert not lock.exists()


def test_a_lock_of_a_live_writer_is_waited_for_not_taken(run, repo, monkeypatch):
    issue_id = run("new", "Locked").stdout.strip()
    lock = lock_path(repo, issue_id)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with open_workspace(repo) as ws:
            monkeypatch.setattr(locks, "LOCK_TIMEOUT", 0.3)
            with pytest.raises(locks.LockTimeout):
                write.comment(ws, issue_id, "must wait")
        assert lock.exists()
    finally:
        holder.kill()
        holder.wait()


def test_an_empty_or_old_lock_is_taken_over(run, repo):
    """Killed between creating the lock and writing its id into it; or a lock left by
    a writer on another machine, long ago."""
    issue_id = run("new", "Locked").stdout.strip()
    lock = lock_path(repo, issue_id)
    lock.parent.mkdir(parents=True, exist_ok=True)
    for text, age in (("", 5), ("4242 elsewhere.example\n", 3600)):
        lock.write_text(text)
        then = time.time() - age
        os.utime(lock, (then, then))
        result = run("edit", issue_id, "-l", f"after-{age}")
        assert "taken over" in result.stderr
        assert not lock.exists()


def test_kill_9_of_writers_at_random_moments_never_blocks_the_next_write(run, invoke, repo):
    """Real ``comment`` commands killed as soon as their lock appears (or at a random
    moment when it is missed): the next write always succeeds."""
    issue_id = run("new", "Hammered").stdout.strip()
    lock = lock_path(repo, issue_id)
    rng = random.Random(26)
    kills, left = 6, 0
    for attempt in range(kills):
        proc = subprocess.Popen([GIT_ISSUES, "comment", issue_id, "-m", f"try {attempt}"],
                                cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + rng.uniform(0.05, 0.6)
        while time.monotonic() < deadline and proc.poll() is None and not lock.exists():
            time.sleep(0.0002)  # the lock lives a few ms: fine polling, not a spinning core
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        left += lock.exists()
        result = invoke("comment", issue_id, "-m", f"after {attempt}")
        assert result.exit_code == 0 and not lock.exists(), result.stderr
    shown = run("show", issue_id).stdout
    assert all(f"after {n}" in shown for n in range(kills))
    print(f"kills: {kills}, locks left by them: {left}, next writes that succeeded: {kills}")


def test_leftovers_of_killed_writers_are_swept(run, repo, tmp_path):
    """A zero-byte temporary older than any write, and the spill database of a killed
    import, are swept (the write itself; the import when it starts)."""
    issue_id = run("new", "Swept").stdout.strip()
    tmp = repo / ".issues" / f".{issue_id}.yml.4242.tmp"
    tmp.write_bytes(b"")
    then = time.time() - 120
    os.utime(tmp, (then, then))
    os.utime(repo / ".git" / "git-issues" / "swept", (then, then))  # the last sweep, as long ago
    run("comment", issue_id, "-m", "sweeps")
    assert not tmp.exists()

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = repo / ".git" / "git-issues"
    spill = state / f"import-spill-{dead.pid}.sqlite"
    spill.write_bytes(b"")
    live = state / f"import-spill-{os.getppid()}.sqlite"
    live.write_bytes(b"")
    locks.sweep_dead_spills(state)
    assert not spill.exists() and live.exists()


def test_a_killed_sync_state_save_leaves_no_temporary_to_commit(repo):
    """The sync state lives in a committed folder: a killed save's temporary would be
    committed with ``git add .issues`` unless the next save sweeps it."""
    from git_issues.sync import state as state_mod

    saved = state_mod.load(repo, "github", "octo/demo")
    folder = saved.path.parent
    folder.mkdir(parents=True)
    left = folder / f".{saved.path.name}.4242.tmp"
    left.write_bytes(b"")
    then = time.time() - 120
    os.utime(left, (then, then))
    saved.save()
    assert sorted(p.name for p in folder.iterdir()) == [saved.path.name]
