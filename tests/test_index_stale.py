"""The first read after many files went stale (issue 27): cheap, and still exact.

A copy (``cp -a``), a ``touch`` or a fresh clone beside an old index changes
every file's stat data and nothing else: the bytes are compared with the
recorded digests, and only the files whose bytes differ are parsed.  When
most of a large folder really changed (another branch checked out), one
rebuild on every core replaces a refresh file by file.  The thresholds are
lowered here so that a few dozen files show what thousands do.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_index import _age_all, _row_numbers, sources, write_issue

from git_issues.index import refresh
from git_issues.index.engine import connect
from git_issues.index.refresh import ensure_fresh, plan

pytestmark = pytest.mark.in_process  # run() in this process: the thresholds patched reach it

COUNT = 30


@pytest.fixture
def many(repo: Path, monkeypatch) -> Path:
    monkeypatch.setattr(refresh, "RESTAT_MIN", 5)
    monkeypatch.setattr(refresh, "REBUILD_MIN", 10)
    for n in range(COUNT):
        write_issue(repo, f"dddd{n:04d}", f"Issue {n}", day=1 + n % 20)
    _age_all(repo)
    ensure_fresh(sources(repo))
    return repo


def _touch_all(repo: Path, when: int = 1_710_000_000_000_000_000) -> None:
    for path in (repo / ".issues").iterdir():
        os.utime(path, ns=(when, when))


def _generation(repo: Path) -> str:
    with connect(sources(repo).db_path) as conn:
        return conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]


def test_files_whose_stat_alone_changed_are_not_parsed_again(many: Path):
    src = sources(many)
    before = _row_numbers(src.db_path)
    edited = many / ".issues" / "dddd0007.yml"
    edited.write_text(edited.read_text().replace("Issue 7\n", "Issue X\n"))  # same size
    _touch_all(many)  # every stat differs now, the edited file's mtime as the others'
    with connect(src.db_path) as conn:
        todo = plan(conn, src.issues_dir)
    assert todo.changed == ["dddd0007.yml"]
    assert len(todo.restat) == COUNT - 1
    ensure_fresh(src)
    after = _row_numbers(src.db_path)
    assert {name for name, num in after.items() if before[name] != num} == {"dddd0007.yml"}
    with connect(src.db_path) as conn:
        (title,) = conn.execute("SELECT title FROM issues WHERE id = 'dddd0007'").fetchone()
        assert title == "Issue X"
        assert not plan(conn, src.issues_dir)  # the new stat data was recorded


def test_a_copy_of_the_repository_reads_its_old_index_without_parsing(many: Path,
                                                                      tmp_path: Path, run):
    copy = tmp_path / "copy"
    shutil.copytree(many, copy, symlinks=True)  # new inodes and ctimes, the same bytes
    before = _row_numbers(sources(copy).db_path)
    (copy / ".issues" / "dddd0003.yml").write_text(
        (copy / ".issues" / "dddd0003.yml").read_text().replace("Issue 3\n", "Copied 3\n"))
    listed = run("ls", "-s", "all", cwd=copy).stdout
    assert "Copied 3" in listed and listed.count("\n") == COUNT
    after = _row_numbers(sources(copy).db_path)
    assert {name for name, num in after.items() if before[name] != num} == {"dddd0003.yml"}


def test_a_folder_mostly_changed_is_rebuilt_at_once_and_exactly(many: Path, run):
    src = sources(many)
    ensure_fresh(src)
    assert _generation(many) == "1"
    one = many / ".issues" / "dddd0001.yml"
    one.write_text(one.read_text().replace("Issue 1\n", "First\n"))
    ensure_fresh(src)
    assert _generation(many) == "2"  # one change: refreshed in place
    for n in range(2, 20):  # 18 of 30: most of the folder
        path = many / ".issues" / f"dddd{n:04d}.yml"
        path.write_text(path.read_text().replace(f"Issue {n}\n", f"Changed {n}\n"))
    (many / ".issues" / "dddd0029.yml").unlink()
    ensure_fresh(src)
    assert _generation(many) == "1"  # rebuilt
    listed = run("ls", "-s", "all").stdout
    assert listed.count("Changed ") == 18 and "First" in listed and "Issue 29" not in listed
    assert listed.count("\n") == COUNT - 1


@pytest.mark.parametrize("parts", [1, 2], ids=["one process", "two processes"])
def test_the_seal_of_an_unchanged_folder_never_hides_a_change(many: Path, monkeypatch,
                                                              parts: int):
    """A read that finds the folder's stat data sealed skips comparing it file by file;
    every kind of change must still break the seal, racy rewrites included."""
    from git_issues.index import scan as scan_module

    monkeypatch.setattr(scan_module, "PARALLEL_MIN", 10**9 if parts == 1 else 2)
    src = sources(many)
    index = src.db_path
    ensure_fresh(src)
    ensure_fresh(src)  # sealed now
    written = index.stat().st_mtime_ns, index.stat().st_size
    ensure_fresh(src)
    assert (index.stat().st_mtime_ns, index.stat().st_size) == written  # a read, no write

    def titles() -> set[str]:
        ensure_fresh(src)
        with connect(src.db_path) as conn:
            return {title for (title,) in conn.execute("SELECT title FROM issues")}

    one = many / ".issues" / "dddd0001.yml"
    one.write_text(one.read_text().replace("Issue 1\n", "Issue A\n"))  # the same size
    assert "Issue A" in titles()
    stamp = one.stat().st_mtime_ns
    one.write_text(one.read_text().replace("Issue A\n", "Issue B\n"))  # racy: same stat
    os.utime(one, ns=(stamp, stamp))
    assert "Issue B" in titles()
    (many / ".issues" / "dddd0002.yml").unlink()
    write_issue(many, "dddd9999", "Arrived")
    assert "Arrived" in titles() and "Issue 2" not in titles()
    assert len(titles()) == COUNT
