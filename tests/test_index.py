"""The index (DESIGN.md §3): where it lives, how it heals, how it stays fresh.

Black-box checks go through the installed ``git-issues`` script; the freshness
rules are also checked on the library (``plan``), because "re-reads only what
changed" is about work done, which output alone cannot show.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import GIT_ISSUES, git

from git_issues.core.filters import Filters
from git_issues.index import records, schema
from git_issues.index.engine import connect
from git_issues.index.records import stat_sig
from git_issues.index.refresh import ensure_fresh, plan
from git_issues.index.scan import scan
from git_issues.index.statcache import recorded_stats
from git_issues.repo.workspace import Sources

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

ISSUE = """\
id: {id}
title: {title}
status: {status}
created: '2026-11-{day:02d}T12:00:00Z'
body: |
  {body}
"""


def write_issue(repo: Path, issue_id: str, title: str, *, status: str = "open",
                day: int = 1, body: str = "Nothing special.", extra: str = "") -> Path:
    path = repo / ".issues" / f"{issue_id}.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(ISSUE.format(id=issue_id, title=title, status=status, day=day,
                                 body=body) + extra)
    return path


def ids_listed(run, *args: str) -> list[str]:
    proc = run("ls", "-s", "all", *args)
    assert proc.stderr == "", proc.stderr
    return [line.split("\t")[0] for line in proc.stdout.splitlines()]


def titles_listed(run) -> list[str]:
    return [line.split("\t")[3] for line in run("ls", "-s", "all").stdout.splitlines()]


def default_db(repo: Path) -> Path:
    return repo / ".git" / "git-issues" / "index.sqlite"


def sources(repo: Path, db: Path | None = None) -> Sources:
    return Sources(issues_dir=repo / ".issues", db_path=db or default_db(repo))


@pytest.fixture
def three(repo: Path) -> Path:
    write_issue(repo, "aaaa1111", "Alpha", day=1)
    write_issue(repo, "bbbb2222", "Bravo", day=2)
    write_issue(repo, "cccc3333", "Charlie", day=3, status="closed")
    return repo


# --- where it lives -----------------------------------------------------------------


def test_index_lives_in_the_git_dir_and_never_in_the_work_tree(run, three: Path):
    assert ids_listed(run) == ["cccc3333", "bbbb2222", "aaaa1111"]
    assert default_db(three).is_file()
    untracked = git(three, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert all(".issues/" in line for line in untracked), untracked


def test_each_worktree_has_its_own_index(run, three: Path):
    git(three, "add", ".issues")
    git(three, "commit", "-q", "-m", "issues")
    linked = three.parent / "linked"
    git(three, "worktree", "add", "-q", str(linked))
    (linked / ".issues" / "bbbb2222.yml").unlink()  # this worktree differs
    assert ids_listed(run) == ["cccc3333", "bbbb2222", "aaaa1111"]
    proc = run("ls", "-s", "all", cwd=linked)
    assert [line.split("\t")[0] for line in proc.stdout.splitlines()] == ["cccc3333",
                                                                         "aaaa1111"]
    assert (three / ".git" / "worktrees" / "linked" / "git-issues" / "index.sqlite").is_file()
    assert not (linked / ".git" / "git-issues").exists()  # .git is a file there


def test_issues_db_path_overrides_the_location(run, three: Path, tmp_path: Path):
    db = tmp_path / "elsewhere" / "my.sqlite"
    proc = run("ls", "-s", "all", env={"ISSUES_DB_PATH": str(db)})
    assert len(proc.stdout.splitlines()) == 3
    assert db.is_file()
    assert not default_db(three).exists()
    # A relative path is taken from where the command runs.
    run("ls", env={"ISSUES_DB_PATH": "rel.sqlite"}, cwd=three / ".issues")
    assert (three / ".issues" / "rel.sqlite").is_file()


@pytest.mark.parametrize("where", ["/proc/no/such/dir/x.sqlite", "{repo}"])
def test_an_unusable_index_location_is_one_clear_error(run, three: Path, where: str):
    where = where.format(repo=three)  # a directory cannot be a database
    for command in (("ls",), ("reindex",)):
        proc = run(*command, check=False, env={"ISSUES_DB_PATH": where})
        assert proc.returncode == 1
        assert proc.stderr.startswith(f"error: {where}") and "Traceback" not in proc.stderr
        assert len(proc.stderr.splitlines()) == 1


# --- disposable: deleted, corrupt, old schema -> rebuilt silently ---------------------


def test_deleted_index_is_rebuilt_silently(run, three: Path):
    before = run("ls", "-s", "all").stdout
    for suffix in ("", "-wal", "-shm"):
        Path(f"{default_db(three)}{suffix}").unlink(missing_ok=True)
    proc = run("ls", "-s", "all")
    assert proc.stdout == before and proc.stderr == ""
    assert default_db(three).is_file()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "foreign"])
def test_damaged_index_is_rebuilt_silently(run, three: Path, damage: str):
    before = run("ls", "-s", "all").stdout
    db = default_db(three)
    run("reindex")  # folds the WAL into the main file, so truncating really damages
    with connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    if damage == "garbage":
        db.write_bytes(os.urandom(4096) + b"not a database at all" * 100)
    elif damage == "truncated":
        db.write_bytes(data[: len(data) // 3])
    elif damage == "empty":
        db.write_bytes(b"")
    else:  # a valid SQLite file that is something else entirely
        db.unlink()
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE issues (something TEXT)")
        conn.close()
    proc = run("ls", "-s", "all")
    assert proc.stdout == before and proc.stderr == ""
    proc = run("show", "aaaa")
    assert "Alpha" in proc.stdout and proc.stderr == ""


def test_old_schema_version_is_rebuilt_silently(run, three: Path):
    before = run("ls", "-s", "all").stdout
    with connect(default_db(three)) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
        conn.execute("DELETE FROM issues")  # what an older version might have left
    proc = run("ls", "-s", "all")
    assert proc.stdout == before and proc.stderr == ""
    with connect(default_db(three)) as conn:
        (version,) = conn.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == str(schema.VERSION)


# --- freshness -----------------------------------------------------------------------


def test_hand_edit_added_and_deleted_files_are_noticed(run, three: Path):
    assert titles_listed(run) == ["Charlie", "Bravo", "Alpha"]
    path = three / ".issues" / "aaaa1111.yml"
    path.write_text(path.read_text().replace("Alpha", "Alpha, edited by hand"))
    write_issue(three, "dddd4444", "Delta", day=4)
    (three / ".issues" / "bbbb2222.yml").unlink()
    assert titles_listed(run) == ["Delta", "Charlie", "Alpha, edited by hand"]


def test_status_change_by_hand_moves_an_issue_between_open_and_closed(run, three: Path):
    assert ids_listed(run, "-s", "closed") == ["cccc3333"]
    path = three / ".issues" / "cccc3333.yml"
    path.write_text(path.read_text().replace("status: closed", "status: open"))
    assert run("ls").stdout.splitlines()[0].startswith("cccc3333\topen")
    assert run("ls", "-s", "closed").stdout == ""


def test_a_config_change_is_noticed(run, three: Path):
    write_issue(three, "dddd4444", "Delta", day=4, status="wontfix")
    assert ids_listed(run, "-s", "open") == ["dddd4444", "bbbb2222", "aaaa1111"]  # unknown: open
    (three / ".issues" / "config.yml").write_text(
        "statuses:\n  open: open\n  closed: closed\n  wontfix: closed\n")
    assert ids_listed(run, "-s", "open") == ["bbbb2222", "aaaa1111"]
    assert ids_listed(run, "-s", "wontfix") == ["dddd4444"]


def test_racy_edit_same_size_same_mtime_is_noticed(run, three: Path):
    """Rewritten within the timestamp granularity, same size, mtime put back."""
    path = three / ".issues" / "aaaa1111.yml"
    assert "Alpha" in run("ls").stdout  # indexed right after writing: racy
    st = os.stat(path)
    path.write_text(path.read_text().replace("Alpha", "Omega"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_size == st.st_size and os.stat(path).st_mtime_ns == st.st_mtime_ns
    listed = run("ls").stdout
    assert "Omega" in listed and "Alpha" not in listed


def test_racy_entry_is_checked_by_content_when_stat_data_cannot_tell(three: Path):
    """When the file system did not move ctime either (coarse clocks), the digest decides."""
    src = sources(three)
    ensure_fresh(src)
    path = three / ".issues" / "aaaa1111.yml"
    st = os.stat(path)
    path.write_text(path.read_text().replace("Alpha", "Omega"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    new = os.stat(path)
    with connect(src.db_path) as conn:
        # Make the recorded stat identical to the new one: only the content differs.
        conn.execute("UPDATE files SET ctime_ns = ?, ino = ?, checked_ns = ? WHERE name = ?",
                     (new.st_ctime_ns, new.st_ino, st.st_mtime_ns, "aaaa1111.yml"))
        conn.execute("DELETE FROM stat_cache")  # the rows, not the cached copy, say it now
        assert recorded_stats(conn)["aaaa1111.yml"] == stat_sig(new)
        todo = plan(conn, src.issues_dir)
    assert todo.changed == ["aaaa1111.yml"] and todo.removed == []
    ensure_fresh(src)
    with connect(src.db_path) as conn:
        (title,) = conn.execute("SELECT title FROM issues WHERE id = 'aaaa1111'").fetchone()
    assert title == "Omega"


def test_racy_but_unchanged_entry_is_proven_once_then_trusted(three: Path):
    src = sources(three)
    old = 1_700_000_000_000_000_000
    for path in (three / ".issues").iterdir():  # none is racy by itself
        os.utime(path, ns=(old, old))
    ensure_fresh(src)
    with connect(src.db_path) as conn:
        conn.execute("UPDATE files SET checked_ns = mtime_ns WHERE name = 'aaaa1111.yml'")
        todo = plan(conn, src.issues_dir)
    assert (todo.changed, todo.removed, todo.touched) == ([], [], ["aaaa1111.yml"])
    ensure_fresh(src)
    with connect(src.db_path) as conn:
        assert not plan(conn, src.issues_dir)


def _age_all(repo: Path) -> None:
    """Date every issue file back, so none is racy and plans hold only real changes."""
    old = 1_700_000_000_000_000_000
    for path in (repo / ".issues").iterdir():
        os.utime(path, ns=(old, old))


def _row_numbers(db: Path) -> dict[str, int]:
    with connect(db) as conn:
        return dict(conn.execute("SELECT file, num FROM issues"))


def test_only_changed_files_are_read_again(three: Path):
    src = sources(three)
    for n in range(20):
        write_issue(three, f"eeee{n:04d}", f"Filler {n}", day=5)
    _age_all(three)
    ensure_fresh(src)
    with connect(src.db_path) as conn:
        assert not plan(conn, src.issues_dir)
    before = _row_numbers(src.db_path)
    edited = three / ".issues" / "eeee0007.yml"
    edited.write_text(edited.read_text().replace("Filler 7", "Filler seven"))
    (three / ".issues" / "eeee0008.yml").unlink()
    write_issue(three, "ffff5555", "Fresh", day=6)
    with connect(src.db_path) as conn:
        todo = plan(conn, src.issues_dir)
    assert sorted(todo.changed) == ["eeee0007.yml", "ffff5555.yml"]
    assert todo.removed == ["eeee0008.yml"]
    ensure_fresh(src)
    after = _row_numbers(src.db_path)
    # A row that was read again was deleted and inserted anew: it has a new number.
    reread = {name for name, num in after.items() if before.get(name) != num}
    assert reread == {"eeee0007.yml", "ffff5555.yml"}
    assert set(before) - set(after) == {"eeee0008.yml"}
    with connect(src.db_path) as conn:
        (title,) = conn.execute("SELECT title FROM issues WHERE id = 'eeee0007'").fetchone()
        todo = plan(conn, src.issues_dir)
    assert title == "Filler seven"
    assert todo.changed == [] and todo.removed == []


def _stat_rows(conn: sqlite3.Connection) -> dict:
    return {name: (m, c, s, i) for name, m, c, s, i in
            conn.execute("SELECT name, mtime_ns, ctime_ns, size, ino FROM files")}


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def child_pids() -> list[str]:
    tasks = Path("/proc/self/task")
    return [pid for task in tasks.iterdir() for pid in (task / "children").read_text().split()]


@pytest.fixture
def crowded(three: Path) -> Path:
    """The three issues, 60 more, and entries that are not issue files."""
    for n in range(60):
        write_issue(three, f"f{n:07d}", f"Filler {n}")
    folder = three / ".issues"
    (folder / "config.yml").write_text("statuses: {open: open, closed: closed}\n")
    (folder / ".tmp-x.yml").write_text("half written")
    (folder / "notes.txt").write_text("not an issue")
    (folder / "sub.yml").mkdir()
    os.symlink("/etc/passwd", folder / "link0001.yml")
    return folder


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_scan_on_two_cores_sees_what_one_core_sees(crowded: Path):
    fds = open_fds()
    one = scan(crowded, parallel_min=10**9)
    two = scan(crowded, parallel_min=2)
    assert two == one
    assert len(one) == 65 and "link0001.yml" in one and "sub.yml" in one
    assert "config.yml" not in one and ".tmp-x.yml" not in one
    assert open_fds() == fds and child_pids() == []


def test_a_failing_scan_child_is_made_up_for(crowded: Path, monkeypatch):
    """If the child cannot send its half (here: it cannot encode it), this process
    stats that half itself: nothing is missing, nothing is left running."""
    from git_issues.index import scan as scan_module

    expected = scan(crowded, parallel_min=10**9)

    parent, encode = os.getpid(), scan_module._canonical

    def broken(value):
        if os.getpid() != parent:
            raise ValueError("no")
        return encode(value)

    monkeypatch.setattr(scan_module, "_canonical", broken)  # the child cannot encode
    assert scan(crowded, parallel_min=2) == expected
    assert child_pids() == []


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_scan_that_fails_here_does_not_wait_forever_on_its_child(repo: Path, monkeypatch):
    """The child's half of 3,000 names is more than a pipe holds: if this process
    fails before reading it, the child must not be left blocked in its write."""
    import signal

    from git_issues.index import scan as scan_module

    folder = repo / ".issues"
    folder.mkdir()
    for n in range(3000):
        (folder / f"s{n:07d}.yml").write_text("x")
    real, parent = scan_module.stat_names, os.getpid()

    def fails_here(fd, names):
        if os.getpid() == parent:
            raise PermissionError("stat refused")
        return real(fd, names)

    def hung(_signum, _frame):
        raise AssertionError("scan waited forever on its child")

    monkeypatch.setattr(scan_module, "stat_names", fails_here)
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        with pytest.raises(PermissionError):
            scan(folder, parallel_min=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert child_pids() == []


def test_a_files_row_holds_the_stat_data_where_records_reads_it(three: Path):
    """Records read a ``files`` row by position: the name and the four stat columns
    must sit where the schema puts them, adjacent and in StatSig's order.  (This was
    an import-time assert, which ``python -O`` would have skipped.)"""
    names = schema.FILES.column_names
    assert names[records._NAME] == "name"
    assert names[records._STAT] == records.STAT_COLUMNS == ("mtime_ns", "ctime_ns", "size", "ino")
    path = three / ".issues" / "aaaa1111.yml"
    record = records.read_record(str(path.parent), path.name, {"open": "open"})
    assert record is not None and record.name == path.name
    assert record.stat == stat_sig(os.stat(path))


def test_the_cached_stat_data_follows_every_refresh(three: Path):
    """The one-value copy of the stat data is what the rows say after a rebuild, an
    edit, a deletion, a new file and a broken file, and it is what a read uses."""
    src = sources(three)
    ensure_fresh(src)
    steps = [
        lambda: write_issue(three, "aaaa1111", "Alpha again", day=9),
        lambda: (three / ".issues" / "bbbb2222.yml").unlink(),
        lambda: write_issue(three, "dddd4444", "Delta"),
        lambda: (three / ".issues" / "eeee5555.yml").write_text("title: [unclosed\n"),
    ]
    for step in [lambda: None, *steps]:
        step()
        ensure_fresh(src)
        with connect(src.db_path) as conn:
            cached = {}
            for bucket, data in conn.execute("SELECT bucket, data FROM stat_cache"):
                part = marshal.loads(data)
                assert part and all(name[0] == bucket for name in part)
                cached.update(part)
            assert recorded_stats(conn) == _stat_rows(conn) == cached
            assert recorded_stats(conn) == scan(src.issues_dir)


@pytest.mark.parametrize("damage", [
    "UPDATE stat_cache SET data = x'00ff00'",
    "UPDATE stat_cache SET data = x'e9'",  # marshal's list type, cut short
    "UPDATE meta SET value = 'old' WHERE key = 'stat_cache_generation'",
    "DELETE FROM meta WHERE key = 'stat_cache_generation'",
])
def test_a_damaged_or_stale_stat_cache_is_not_trusted(three: Path, damage: str):
    src = sources(three)
    ensure_fresh(src)
    with connect(src.db_path) as conn:
        conn.execute(damage)
        assert recorded_stats(conn) == _stat_rows(conn)
        conn.execute("DELETE FROM stat_cache")
        conn.execute("INSERT INTO stat_cache VALUES ('x', ?)",
                     (marshal.dumps({"x.yml": (1, 2, 3, 4)}),))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('stat_cache_generation', "
                     "(SELECT value FROM meta WHERE key = 'generation'))")
        assert plan(conn, src.issues_dir).removed == ["x.yml"]  # proof that it is used


# Modules whose start-up a read does not need: SQLAlchemy and GitPython (hundreds of
# ms), OpenSSL (through hashlib or secrets), urllib3 (the HTTP client of `import
# github` only), and serve's web stack.  (dataclasses, ~4 ms, is left to the model:
# ``show`` and the writes load it, a fresh ``ls`` does not: see BOUNDARIES.)
HEAVY = ("sqlalchemy", "git", "_hashlib", "secrets", "urllib3",
         "flask", "werkzeug", "jinja2", "waitress", "markdown_it")


def imported_by(repo: Path, *argv: str, watched: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``watched`` a command imports, run in a fresh interpreter."""
    import sys

    probe = (
        "import sys\n"
        "from git_issues.cli import cli\n"
        "try:\n"
        f"    cli.main({list(argv)!r}, prog_name='git issues')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {watched!r} if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    return eval(proc.stdout.splitlines()[-1])  # noqa: S307 - our own probe's list


def test_a_fresh_read_imports_nothing_heavy(run, three: Path):
    run("ls")  # builds the index
    assert imported_by(three, "ls", "-s", "all") == []


# What a fresh ``ls`` leaves to the commands that need it (docs/architecture.md,
# "Imports: at the top, but for a few that say why").
BOUNDARIES = ("yaml", "git_issues.fileformat.issuefile", "json", "multiprocessing",
              "dataclasses", "concurrent.futures", "git_issues.core.model",
              "git_issues.ops.write", "git_issues.ops.history", "git_issues.ops.review",
              "git_issues.ops.validation", "git_issues.gitint.githooks",
              "git_issues.gitint.mergedriver", "git_issues.index.rebuild",
              "git_issues.index.pool", "git_issues.ops.templates", "click.shell_completion")


@pytest.mark.subprocess  # its first `ls` builds the index as a user's would, in a process
def test_a_fresh_read_stays_behind_the_import_boundaries(run, three: Path):
    run("ls")
    assert imported_by(three, "ls", "-s", "all", watched=BOUNDARIES) == []
    assert imported_by(three, "ls", "-n", "1", watched=BOUNDARIES) == []


def test_a_command_loads_only_its_own_command_module(run, three: Path):
    """Every start paid for every command module before they were loaded by name."""
    run("ls")
    cli_modules = ("git_issues.cli.listing", "git_issues.cli.new", "git_issues.cli.show",
                   "git_issues.cli.editing",
                   "git_issues.cli.importing", "git_issues.cli.syncing", "git_issues.cli.serve",
                   "git_issues.cli.review", "git_issues.cli.admin", "git_issues.cli.remove")
    assert imported_by(three, "ls", watched=cli_modules) == ["git_issues.cli.listing"]
    assert imported_by(three, "view", "aaaa1111", watched=cli_modules) == [
        "git_issues.cli.show"]
    assert imported_by(three, "close", "aaaa1111", watched=cli_modules) == [
        "git_issues.cli.editing"]


def test_a_write_does_not_import_the_index_or_pyyaml(run, three: Path):
    """Writes never refresh the index (lifecycle.py), so they need neither it nor sqlite3;
    a canonical file is read by plainyaml and written by fastyaml, without PyYAML."""
    run("ls")
    watched = ("sqlite3", "git_issues.index.query", "git_issues.index.refresh", "yaml")
    assert imported_by(three, "comment", "aaaa1111", "-m", "Seen.", watched=watched) == []
    assert imported_by(three, "edit", "aaaa1111", "--title", "Renamed", watched=watched) == []
    assert imported_by(three, "new", "Plain title", watched=watched) == []


def test_reading_an_edited_file_and_writing_import_nothing_heavy(run, three: Path):
    run("ls")
    write_issue(three, "aaaa1111", "Alpha edited by hand")
    assert imported_by(three, "ls", "-s", "all") == []
    assert imported_by(three, "new", "Another one") == []
    assert imported_by(three, "comment", "aaaa1111", "-m", "Seen.") == []
    assert imported_by(three, "close", "aaaa1111") == []
    assert "Alpha edited by hand" in run("show", "aaaa1111").stdout


@pytest.mark.parametrize(("status", "sort"), [
    ("open", "created"), ("closed", "created"), ("all", "created"),
    ("open", "activity"), ("closed", "activity"),
])
def test_a_limited_listing_reads_rows_in_order_instead_of_sorting_them(three: Path, status, sort):
    """``ls -n 50`` at 10k issues sorted every open issue before; an index in the
    listing's own order lets SQLite stop after 50 rows."""
    from git_issues.index.query import open_index

    filters = Filters(status=status, sort=sort, limit=50)
    with open_index(sources(three)) as view:
        steps = view.plan(filters)
    assert "SCAN" in steps or "SEARCH" in steps, steps
    assert "TEMP B-TREE" not in steps, steps


# --- full-text search ------------------------------------------------------------------


@pytest.fixture
def searchable(repo: Path) -> Path:
    write_issue(repo, "aaaa1111", "Engine cache leaks", body="File descriptors pile up.")
    write_issue(repo, "bbbb2222", "Slow listing", day=2, body="Takes seconds on big repos.",
                extra="comments:\n- id: cccc0001\n  date: '2026-11-02T00:00:00Z'\n"
                      "  body: Reproduced with the engine disabled.\n")
    write_issue(repo, "cccc3333", "Crash on café names", status="closed", day=3,
                body='He said "use OR not AND" (really) -- see foo*bar.')
    return repo


@pytest.mark.parametrize(("query", "expected"), [
    ("cache", ["aaaa1111"]),  # title
    ("descriptors", ["aaaa1111"]),  # body
    ("reproduced", ["bbbb2222"]),  # comment
    ("engine", ["bbbb2222", "aaaa1111"]),  # title and comment
    ("ENGINE Leaks", ["aaaa1111"]),  # all words, any case
    ("desc", ["aaaa1111"]),  # prefix
    ("cafe", ["cccc3333"]),  # diacritics folded
    ("cafe\u0301", ["cccc3333"]),  # a combining accent, folded too
    ("crash-on", ["cccc3333"]),  # cut where the index cuts, not a phrase it cannot hold
    ("nothing-like-this", []),
])
def test_full_text_over_titles_bodies_and_comments(run, searchable: Path, query, expected):
    assert ids_listed(run, "-q", query) == expected


FTS_SYNTAX = ['"', '"unbalanced', "foo*", "*", "-", "-- see", "OR", "use OR not", "AND",
              "NOT", "(", "(really", ")", "NEAR(a b)", "title:crash", "^", "a'b", "{",
              "col:*", ":", "+", "a AND", "OR OR", '""', "*cache", "x NEAR/2 y"]


def test_fts_syntax_in_the_query_never_crashes(invoke, searchable: Path):
    for query in FTS_SYNTAX:
        result = invoke("ls", "-s", "all", "-q", query)  # an exception would propagate
        assert result.exit_code in (0, 1), (query, result.output)
        if result.exit_code == 1:
            assert result.stderr.startswith("error: "), (query, result.stderr)


def test_fts_syntax_words_match_as_plain_words(run, searchable: Path):
    assert ids_listed(run, "-q", '"use OR not"') == ["cccc3333"]
    assert ids_listed(run, "-q", "(really)") == ["cccc3333"]
    assert ids_listed(run, "-q", "foo*bar") == ["cccc3333"]


def test_search_follows_edits(run, searchable: Path):
    assert ids_listed(run, "-q", "zebra") == []
    path = searchable / ".issues" / "aaaa1111.yml"
    path.write_text(path.read_text().replace("pile up", "pile up like a zebra herd"))
    assert ids_listed(run, "-q", "zebra") == ["aaaa1111"]
    path.unlink()
    assert ids_listed(run, "-q", "zebra") == []


def test_search_forgets_the_old_words_of_every_field(run, searchable: Path):
    """The words' index reads its text from the issues' documents (issue 27): an edit
    or a removal must take out exactly the words it put in, also when the next issue
    takes the removed one's row number."""
    folder = searchable / ".issues"
    one, two = folder / "aaaa1111.yml", folder / "bbbb2222.yml"
    one.write_text(one.read_text().replace("Engine cache leaks", "Engine pool leaks")
                   .replace("File descriptors", "Sockets"))
    two.write_text(two.read_text().replace("Reproduced with", "Seen with"))
    for gone in ("cache", "descriptors", "reproduced"):
        assert ids_listed(run, "-q", gone) == [], gone
    assert ids_listed(run, "-q", "pool sockets") == ["aaaa1111"]
    assert ids_listed(run, "-q", "seen") == ["bbbb2222"]
    (folder / "cccc3333.yml").unlink()  # the highest row number: the next file takes it
    write_issue(searchable, "dddd4444", "Quiet one", day=4, body="Nothing to find.")
    assert ids_listed(run, "-q", "cafe") == []
    assert ids_listed(run, "-q", "quiet") == ["dddd4444"]


# --- two processes at once -------------------------------------------------------------


def _spawn(repo: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([GIT_ISSUES, *args], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(procs: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append((proc.returncode, out, err))
    return results


def test_concurrent_writers_and_readers_never_lock_or_lose_a_file(repo: Path, run):
    # Round 1: no index yet; six creators and four readers that all build it at once.
    procs = [_spawn(repo, "new", f"Concurrent {n}") for n in range(6)]
    procs[1:1] = [_spawn(repo, "ls", "-s", "all") for _ in range(2)]
    procs += [_spawn(repo, "ls", "-s", "all") for _ in range(2)]
    results = _finish(procs)
    for code, _out, err in results:
        assert code == 0 and "locked" not in err and "Traceback" not in err, err
    created = {out.strip() for (code, out, err), p in zip(results, procs, strict=True)
               if "new" in p.args}
    assert len(created) == 6
    assert set(ids_listed(run)) == created

    # Round 2: every file edited, then readers and rebuilds race to refresh the index.
    for issue_id in created:
        path = repo / ".issues" / f"{issue_id}.yml"
        path.write_text(path.read_text().replace("Concurrent", "Edited"))
    procs = [_spawn(repo, "ls", "-s", "all") for _ in range(4)]
    procs[2:2] = [_spawn(repo, "reindex"), _spawn(repo, "new", "Late arrival")]
    for code, _out, err in _finish(procs):
        assert code == 0 and "locked" not in err and "Traceback" not in err, err
    titles = titles_listed(run)
    assert len(titles) == 7 and "Late arrival" in titles
    assert sum(t.startswith("Edited ") for t in titles) == 6


# --- creation order among equal timestamps -------------------------------------------

SAME_SECOND = "2026-11-26T12:00:00"
# (id, created, GitHub number or None): ids in creation order, so that a sort that
# falls back to the id shows a second's issues oldest first (#197, #198, ...).
MADE_IN_ONE_SECOND = [
    ("aaa00001", f"{SAME_SECOND}Z", 197),  # imported: whole seconds, the forge's numbers
    ("bbb00002", f"{SAME_SECOND}Z", 198),
    ("ccc00003", f"{SAME_SECOND}Z", 199),
    ("ddd00004", f"{SAME_SECOND}Z", 200),
    ("eee00005", f"{SAME_SECOND}.250Z", None),  # written here, to the millisecond
    ("fff00006", f"{SAME_SECOND}.700Z", None),
    ("ggg00007", "2026-11-26T12:00:01Z", None),
]
NEWEST_FIRST = [issue_id for issue_id, _, _ in reversed(MADE_IN_ONE_SECOND)]


def write_made_in_one_second(repo: Path) -> None:
    folder = repo / ".issues"
    folder.mkdir(exist_ok=True)
    for n, (issue_id, created, number) in enumerate(MADE_IN_ONE_SECOND):
        origin = (f"github:\n  repo: acme/rocket\n  number: {number}\n" if number else "")
        (folder / f"{issue_id}.yml").write_text(
            f"id: {issue_id}\ntitle: Made {n}\nstatus: open\ncreated: '{created}'\n{origin}")


def test_issues_made_in_one_second_list_in_creation_order(run, repo):
    """Newest first is creation order among equal seconds: the forge's number for
    imported issues, the milliseconds ``new`` writes for the others."""
    write_made_in_one_second(repo)
    listed = [line.split("\t")[0] for line in run("ls").stdout.splitlines()]
    assert listed == NEWEST_FIRST
    assert [line.split("\t")[0] for line in
            run("ls", "--sort", "priority").stdout.splitlines()] == NEWEST_FIRST
    assert run("check").returncode == 0  # milliseconds are a valid timestamp
    # A bound to the second takes the whole second, whatever the precision.
    since = run("ls", "--since", f"{SAME_SECOND}Z").stdout.splitlines()
    assert len(since) == 7
    until = run("ls", "--until", "2026-11-26T12:00:01Z").stdout.splitlines()
    assert [line.split("\t")[0] for line in until] == NEWEST_FIRST[1:]


def test_new_records_milliseconds_so_a_script_loop_lists_in_order(run, repo):
    made = [run("new", f"Loop {n}").stdout.strip() for n in range(4)]
    created = [run("show", i, "--json").stdout.split('"created": "')[1][:24] for i in made]
    assert all(len(stamp) == 24 and stamp[19] == "." for stamp in created), created
    assert [line.split("\t")[0] for line in run("ls").stdout.splitlines()] == made[::-1]
    path = repo / ".issues" / f"{made[0]}.yml"
    assert f"created: '{created[0]}'\n" in path.read_text()  # quoted, as any timestamp


def test_the_web_list_keeps_creation_order_too(repo):
    pytest.importorskip("flask", reason="the web extra is not installed")
    from git_issues.repo.workspace import open_workspace
    from git_issues.web import views

    write_made_in_one_second(repo)
    with open_workspace(repo) as ws:
        rows = views.listing(ws, views.Query())["rows"]
    assert [row["id"] for row in rows] == NEWEST_FIRST
