"""Every platform-only fast path and its portable fallback give the same result.

Windows has no ``O_NOFOLLOW``, ``dir_fd``, ``fork`` or ``flock``, but the suite
runs here: each test below runs once on the fast paths and once with
``GIT_ISSUES_PORTABLE=1``, the switch that makes Linux take the fallbacks, and
asserts that what a user sees is the same, refusals included.  (The whole
suite also passes with the switch on.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import GIT_ISSUES, on_terminal
from helpers import write_issue

from git_issues import fastpaths
from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.fileformat.issuefile import MAX_FILE_BYTES, read_bytes
from git_issues.index import pool
from git_issues.index.scan import list_names, scan
from git_issues.repo import locks, store

MODES = ("fast", "portable")


def switch(monkeypatch: pytest.MonkeyPatch, mode: str) -> dict[str, str]:
    """Set the switch in this process; returns the env that sets it for a child."""
    if mode == "portable":
        monkeypatch.setenv(fastpaths.SWITCH, "1")
        return {fastpaths.SWITCH: "1"}
    monkeypatch.delenv(fastpaths.SWITCH, raising=False)
    return {fastpaths.SWITCH: ""}


def each_mode(monkeypatch: pytest.MonkeyPatch, compute: Callable[[], object]) -> list[object]:
    """``compute()`` once on the fast paths and once on the fallbacks."""
    results = []
    for mode in MODES:
        switch(monkeypatch, mode)
        results.append(compute())
    return results


@contextmanager
def hang_guard(seconds: int = 20) -> Iterator[None]:
    """Fail instead of hanging (a FIFO opened without O_NONBLOCK blocks for good)."""
    def hung(_signum, _frame):
        raise AssertionError("hung: a FIFO was opened as if it were a file")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def hostile(repo: Path, invoke) -> Path:
    """Good issues beside every kind of entry the reader must refuse or skip."""
    assert invoke("init", "--no-hooks").exit_code == 0
    folder = repo / ".issues"
    for n in range(12):
        write_issue(folder, f"good{n:04d}", f"Good issue {n}")
    os.symlink("/etc/passwd", folder / "link0001.yml")
    os.symlink("/nonexistent/x.yml", folder / "link0002.yml")
    os.mkfifo(folder / "fifo0001.yml")
    (folder / "dirr0001.yml").mkdir()
    with open(folder / "huge0001.yml", "wb") as handle:
        handle.write(b"id: huge0001\ntitle: x\nbody: |\n" + b"  y\n" * (MAX_FILE_BYTES // 4))
    (folder / ".good0001.yml.123.tmp").write_text("half")
    (folder / "notes.txt").write_text("not an issue")
    return folder


REFUSED = {"link0001.yml": "symbolic link", "link0002.yml": "symbolic link",
           "fifo0001.yml": "not a regular file", "dirr0001.yml": "not a regular file",
           "huge0001.yml": "larger than"}


def test_the_switch_turns_every_fast_path_off_at_each_call(monkeypatch):
    checks = (fastpaths.can_use_dir_fd, fastpaths.can_open_nofollow, fastpaths.can_fork)
    switch(monkeypatch, "fast")
    assert all(check() for check in checks)  # all there on Linux
    assert fastpaths.git_sh() == "sh"
    switch(monkeypatch, "portable")
    assert not any(check() for check in checks)  # read again, never cached
    monkeypatch.setenv(fastpaths.SWITCH, "0")
    assert all(check() for check in checks)


def test_a_scan_sees_the_same_with_and_without_dir_fd_and_fork(hostile, monkeypatch):
    with hang_guard():
        one, two = each_mode(monkeypatch, lambda: (scan(hostile, parallel_min=10**9),
                                                   scan(hostile, parallel_min=2),
                                                   sorted(list_names(hostile))))
    assert one == two
    stats, forked, names = one  # type: ignore[misc]
    assert stats == forked and sorted(stats) == names
    assert set(REFUSED) <= set(names) and "notes.txt" not in names
    assert ".good0001.yml.123.tmp" not in names and "config.yml" not in names


@pytest.mark.parametrize("make", ["missing", "file", "symlink"])
def test_an_odd_issues_folder_is_met_the_same_way(make, repo, tmp_path, monkeypatch):
    folder = repo / ".issues"
    if make == "file":
        folder.write_text("not a folder\n")
    elif make == "symlink":
        (tmp_path / "elsewhere").mkdir()
        write_issue(tmp_path / "elsewhere", "away0001", "Not to be followed")
        os.symlink(tmp_path / "elsewhere", folder)

    def outcome() -> object:
        try:
            return scan(folder), list_names(folder)
        except GitIssuesError as exc:
            return str(exc)

    fast, portable = each_mode(monkeypatch, outcome)
    assert fast == portable
    if make == "symlink":
        assert fast == ".issues is a symbolic link, not a directory of issues"
    else:
        assert fast == ({}, [])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_file_that_is_no_issue_is_refused_the_same_way(name, hostile, monkeypatch):
    def refusal() -> str:
        with hang_guard(), pytest.raises(IssueFileError) as caught:
            read_bytes(str(hostile / name), f".issues/{name}")
        return str(caught.value)

    fast, portable = each_mode(monkeypatch, refusal)
    assert fast == portable
    assert fast.startswith(f".issues/{name}") and REFUSED[name] in fast


def test_a_good_file_reads_the_same_with_its_own_stat(hostile, monkeypatch):
    path = str(hostile / "good0003.yml")
    (data, st), (data2, st2) = each_mode(monkeypatch, lambda: read_bytes(path))
    assert data == data2 == (hostile / "good0003.yml").read_bytes()
    assert (st.st_ino, st.st_size, st.st_mtime_ns) == (st2.st_ino, st2.st_size, st2.st_mtime_ns)
    with pytest.raises(FileNotFoundError):  # gone is not refused: the caller skips it
        read_bytes(str(hostile / "gone0001.yml"))


def test_a_path_through_a_file_is_refused_the_same_way(hostile, monkeypatch):
    """``.issues`` a file, so ``.issues/config.yml`` is no path at all (not gone either)."""
    through = str(hostile / "good0003.yml" / "config.yml")

    def refusal() -> str:
        with pytest.raises(IssueFileError) as caught:
            read_bytes(through, ".issues/config.yml")
        return str(caught.value)

    fast, portable = each_mode(monkeypatch, refusal)
    assert fast == portable == ".issues/config.yml: Not a directory"


def test_ls_and_check_say_the_same_on_both_paths(hostile, repo, run):
    """The console script as a user runs it, with the switch in its environment."""
    seen = []
    for env in ({fastpaths.SWITCH: ""}, {fastpaths.SWITCH: "1"}):
        for index in (repo / ".git" / "git-issues").glob("index.sqlite*"):
            index.unlink()  # each mode builds its own index, then refreshes it
        built = run("ls", "--json", check=False, env=env)
        write_issue(hostile, "good0005", "Retitled in between")
        refreshed = run("ls", "-s", "all", check=False, env=env)
        checked = run("check", check=False, env=env)
        write_issue(hostile, "good0005", "Good issue 5")
        seen.append([(p.returncode, p.stdout, sorted(p.stderr.splitlines()))
                     for p in (built, refreshed, checked)])
    assert seen[0] == seen[1]
    (code, stdout, errors), (_, refreshed, _), (check_code, _, _) = seen[0]
    assert code == 1 and check_code == 1
    assert len(json.loads(stdout)) == 12 and "Retitled in between" in refreshed
    for name, why in REFUSED.items():
        assert [line for line in errors if name in line and why in line], (name, errors)


def test_a_parallel_rebuild_and_a_sequential_one_index_the_same(hostile, invoke, monkeypatch):
    """Above the threshold the rebuild parses on a pool of forked workers; without
    fork, here in this process.  The index they build answers alike."""
    monkeypatch.setattr(pool, "_PARALLEL_MIN", 4)
    monkeypatch.setattr(pool, "_CHUNK", 3)

    def rebuilt() -> tuple[str, str]:
        invoke("reindex")
        return invoke("ls", "-s", "all", "--json").stdout, invoke("check").stdout

    fast, portable = each_mode(monkeypatch, rebuilt)
    assert fast == portable and len(json.loads(fast[0])) == 12  # type: ignore[index]


# --- the lock and the rename ----------------------------------------------------------------


def start_edit(repo: Path, issue_id: str, title: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([GIT_ISSUES, "edit", issue_id, "--title", title], cwd=repo,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})


@pytest.mark.parametrize("mode", MODES)
def test_a_second_writer_waits_for_the_lock_then_writes(mode, repo, invoke, monkeypatch):
    env = switch(monkeypatch, mode)
    issue_id = invoke("new", "Locked out for a moment").stdout.strip()
    held = repo / ".git" / "git-issues" / "locks"
    (held / f"{issue_id}.lock").parent.mkdir(parents=True, exist_ok=True)
    (held / f"{issue_id}.lock").write_text("")  # an old version's flock file: no lock now
    with locks.lock(held / f"{issue_id}.yml.lock"):
        proc = start_edit(repo, issue_id, "Written after the wait", env)
        time.sleep(1.0)
        assert proc.poll() is None, proc.communicate()  # still waiting its turn
        path = repo / ".issues" / f"{issue_id}.yml"
        assert "Written after the wait" not in path.read_text()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "title: Written after the wait" in path.read_text()
    assert not (held / f"{issue_id}.yml.lock").exists()


@pytest.mark.parametrize("mode", MODES)
def test_two_writers_at_once_never_lose_an_edit(mode, repo, invoke, monkeypatch):
    env = switch(monkeypatch, mode)
    issue_id = invoke("new", "Raced").stdout.strip()
    path = repo / ".issues" / f"{issue_id}.yml"
    for round_ in range(3):
        procs = [subprocess.Popen([GIT_ISSUES, *args], cwd=repo, text=True, env={**os.environ,
                                  **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for args in (("edit", issue_id, "--title", f"Round {round_}"),
                              ("edit", issue_id, "-l", f"round-{round_}"))]
        results = [(p.wait(timeout=60), p.communicate()[1]) for p in procs]
        text = path.read_text()
        assert any(code == 0 for code, _ in results), results
        for (code, err), mark in zip(results, (f"Round {round_}", f"round-{round_}"),
                                     strict=True):
            assert (mark in text) if code == 0 else (code == 1 and issue_id in err), err


def test_a_lock_held_too_long_is_a_clean_error_that_names_it(repo, invoke, monkeypatch):
    issue_id = invoke("new", "Behind a held lock").stdout.strip()
    path = repo / ".issues" / f"{issue_id}.yml"
    before = path.read_bytes()
    stale = repo / ".git" / "git-issues" / "locks" / f"{issue_id}.yml.lock"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text(f"{os.getppid()}\n")  # a process that runs (a dead one's is taken over)
    monkeypatch.setattr(locks, "LOCK_TIMEOUT", 0.3)
    result = invoke("edit", issue_id, "--title", "Never written")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert str(stale) in result.stderr and "remove it" in result.stderr
    assert path.read_bytes() == before and stale.exists()
    stale.unlink()
    assert invoke("edit", issue_id, "--title", "Written now").exit_code == 0


def test_a_refused_rename_is_retried_briefly(tmp_path, monkeypatch):
    """Windows refuses to rename over a file another process holds open; Linux never
    does, so that refusal is played here by ``os.replace`` itself, twice, then a real
    rename."""
    real, calls = os.replace, []

    def busy_twice(source, target):
        calls.append(target)
        if len(calls) <= 2:
            raise PermissionError(13, "The process cannot access the file")
        real(source, target)

    (tmp_path / "new").write_text("new")
    (tmp_path / "old").write_text("old")
    monkeypatch.setattr(os, "replace", busy_twice)
    store.replace(tmp_path / "new", tmp_path / "old")
    assert len(calls) == 3 and (tmp_path / "old").read_text() == "new"

    def always_busy(source, target):
        raise PermissionError(13, "Access is denied")

    monkeypatch.setattr(os, "replace", always_busy)
    started = time.monotonic()
    with pytest.raises(PermissionError):  # a real refusal still surfaces, soon
        store.replace(tmp_path / "x", tmp_path / "old", timeout=0.2)
    assert time.monotonic() - started < 5


# --- the shell for the editor and the pager -------------------------------------------------


@pytest.fixture
def git_for_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git for Windows layout: <Git>/cmd/git on PATH, its own <Git>/bin/sh.exe beside it
    (here a shell script that notes each use and runs the system's sh)."""
    root = tmp_path / "Git"
    (root / "cmd").mkdir(parents=True)
    (root / "bin").mkdir()
    os.symlink(shutil.which("git"), root / "cmd" / "git")  # type: ignore[arg-type]
    used = tmp_path / "sh-used"
    sh_exe = root / "bin" / "sh.exe"
    sh_exe.write_text(f'#!/bin/sh\necho "$@" >> {used}\nexec /bin/sh "$@"\n')
    sh_exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{root / 'cmd'}{os.pathsep}{os.environ['PATH']}")
    return used


def test_git_for_windows_sh_is_found_beside_git_or_under_program_files(
        git_for_windows, tmp_path, monkeypatch):
    monkeypatch.setenv(fastpaths.SWITCH, "1")
    assert fastpaths.git_sh() == str(tmp_path / "Git" / "bin" / "sh.exe")
    monkeypatch.setenv("PATH", os.environ["PATH"].split(os.pathsep, 1)[1])  # git: /usr/bin
    monkeypatch.setenv("ProgramFiles", str(tmp_path))
    assert fastpaths.git_sh() == str(tmp_path / "Git" / "bin" / "sh.exe")
    monkeypatch.delenv("ProgramFiles")
    assert fastpaths.git_sh() == shutil.which("sh")  # no git for Windows: sh on PATH


@pytest.mark.parametrize("mode", MODES)
def test_the_editor_runs_through_the_same_shell_as_git(mode, git_for_windows, repo, run,
                                                        monkeypatch):
    env = switch(monkeypatch, mode)
    issue_id = run("new", "Edit me", "-l", "bug").stdout.strip()
    editor = "sed -i 's/^- bug$/- edited/'"
    result = run("edit", issue_id, "--editor", env={**env, "GIT_EDITOR": editor}, check=False)
    assert result.returncode == 0, result.stderr
    assert "- edited" in (repo / ".issues" / f"{issue_id}.yml").read_text()
    used = git_for_windows.read_text() if git_for_windows.exists() else ""
    assert (editor in used) == (mode == "portable"), used


@pytest.mark.parametrize("mode", MODES)
def test_the_pager_runs_through_the_same_shell_as_git(mode, git_for_windows, repo, run,
                                                       tmp_path, monkeypatch):
    env = switch(monkeypatch, mode)
    body = "\n".join(f"line {n} of a long description" for n in range(60))
    issue_id = run("new", "Long one", "-m", body).stdout.strip()
    paged = tmp_path / "paged.txt"
    pager = f"cat > {paged}"
    code, screen = on_terminal(repo, "show", issue_id,
                               env={**env, "GIT_PAGER": pager, "LINES": "20", "NO_COLOR": "1"})
    assert code == 0 and "line 59" not in screen
    assert "line 59 of a long description" in paged.read_text()
    used = git_for_windows.read_text() if git_for_windows.exists() else ""
    assert (pager in used) == (mode == "portable"), used


def test_a_fifo_is_never_opened_by_a_write_either(repo, invoke, monkeypatch):
    """The compare-and-swap reads the file again under the lock: a FIFO put there in
    between is no match (and no hang) on either path."""
    issue_id = invoke("new", "Swapped").stdout.strip()
    path = repo / ".issues" / f"{issue_id}.yml"
    data = path.read_bytes()
    for mode in MODES:
        switch(monkeypatch, mode)
        path.unlink()
        os.mkfifo(path)
        with hang_guard(), pytest.raises(store.StaleWriteError):
            store.Store(repo).replace_if_unchanged(issue_id, data, data.decode(),
                                                   repo / ".git" / "git-issues" / "locks")
        path.unlink()
        path.write_bytes(data)

