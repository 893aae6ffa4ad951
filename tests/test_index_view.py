"""The sealed index (issue 23): what the index answers, and that nothing else speaks SQL to it.

Paging, counts, the export documents and the look-ups by origin are methods of
the view ``open_index`` yields; the web view, ``export`` and the importers ask
it instead of building SQL on its connection.  Run in-process on real SQLite
files built from real issue files.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import git_issues
from git_issues.core.filters import SORTS, Filters, moment, priority_range, until_moment
from git_issues.errors import FieldError, GitIssuesError
from git_issues.index.query import ORDER_BY, open_index, read_index
from git_issues.repo.workspace import Sources

ISSUE = """\
id: {id}
title: {title}
status: {status}
created: '2026-11-{day:02d}T12:00:00Z'
{extra}body: |
  {body}
"""


def write(repo: Path, issue_id: str, title: str, *, day: int, status: str = "open",
          body: str = "Nothing special.", extra: str = "") -> None:
    folder = repo / ".issues"
    folder.mkdir(exist_ok=True)
    (folder / f"{issue_id}.yml").write_text(ISSUE.format(
        id=issue_id, title=title, status=status, day=day, body=body, extra=extra))


def sources(repo: Path) -> Sources:
    return Sources(issues_dir=repo / ".issues",
                   db_path=repo / ".git" / "git-issues" / "index.sqlite")


@pytest.fixture
def seven(repo: Path) -> Path:
    """Seven issues, newest last: some labelled, prioritised, closed, in a milestone."""
    write(repo, "aaaa0001", "Crash on start", day=1, extra="labels: [bug]\npriority: 0\n")
    write(repo, "aaaa0002", "Slow listing", day=2, extra="labels: [perf]\npriority: 2\n")
    write(repo, "aaaa0003", "Typo in help", day=3, status="closed", extra="labels: [docs]\n")
    write(repo, "aaaa0004", "Cache grows", day=4, body="The engine cache leaks.",
          extra="labels: [bug, perf]\nmilestone: v1\n")
    write(repo, "aaaa0005", "Dark mode", day=5, extra="priority: 3\nmilestone: v1\n")
    write(repo, "aaaa0006", "Old crash", day=6, status="closed", extra="labels: [bug]\n")
    write(repo, "aaaa0007", "Unicode titles", day=7, body="Engine trips on café.")
    return repo


def test_the_view_hands_out_no_connection(seven: Path):
    with open_index(sources(seven)) as view:
        public = {name: getattr(view, name) for name in dir(view) if not name.startswith("_")}
    assert "conn" not in public
    assert not [name for name, value in public.items()
                if isinstance(value, sqlite3.Connection | sqlite3.Cursor)]


# Where the index's own tables or its connection would show outside index/.
INDEX_SQL = re.compile(r"\.conn\b|json_extract\(|\bFROM issues\b|\blist_sql\b"
                       r"|\bindex\.engine\b|IndexView\(")


def test_no_module_outside_the_index_speaks_sql_to_it():
    package = Path(git_issues.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        shown = path.relative_to(package).as_posix()
        if shown.startswith("index/"):
            continue
        found += [f"{shown}:{number}: {line.strip()}"
                  for number, line in enumerate(path.read_text().splitlines(), 1)
                  if INDEX_SQL.search(line)]
    assert found == []


def test_a_page_is_clamped_to_the_pages_there_are(seven: Path):
    with open_index(sources(seven)) as view:
        first = view.page(Filters(status="all"), 1, 3)
        second = view.page(Filters(status="all"), 2, 3)
        beyond = view.page(Filters(status="all"), 99, 3)
        before = view.page(Filters(status="all"), 0, 3)
        closed = view.page(Filters(status="closed"), 1, 3)
        none = view.page(Filters(status="all", text="nothing-like-this"), 5, 3)
    assert [r["id"] for r in first.rows] == ["aaaa0007", "aaaa0006", "aaaa0005"]
    assert (first.total, first.number, first.pages) == (7, 1, 3)
    assert [r["id"] for r in second.rows] == ["aaaa0004", "aaaa0003", "aaaa0002"]
    assert ([r["id"] for r in beyond.rows], beyond.number) == (["aaaa0001"], 3)
    assert (before.number, before.rows) == (1, first.rows)
    assert ([r["id"] for r in closed.rows], closed.total, closed.pages) == (
        ["aaaa0006", "aaaa0003"], 2, 1)
    assert (none.rows, none.total, none.number, none.pages) == ([], 0, 1, 1)


@pytest.mark.parametrize("filters", [
    Filters(), Filters(status="all"), Filters(status="closed"),
    Filters(status="all", labels=("bug",)), Filters(status="all", labels=("bug", "~perf")),
    Filters(status="all", no_label=True), Filters(status="all", priority=(0, 2)),
    Filters(status="all", milestone="v1"), Filters(status="all", milestone=""),
    Filters(status="all", text="engine"), Filters(status="all", sort="title", limit=2),
    Filters(status="all", since=moment("2026-11-03"), until=until_moment("2026-11-05")),
])
def test_a_count_is_the_listing_without_its_limit(seven: Path, filters: Filters):
    with open_index(sources(seven)) as view:
        everything = view.list(filters._replace(limit=None))
        assert view.count(filters) == len(everything)
        assert [r["id"] for r in view.list(filters)] == \
            [r["id"] for r in everything][:filters.limit]


def test_the_export_documents_are_the_files_fields_in_listing_order(seven: Path):
    filters = Filters(status="all", labels=("bug",), sort="title")
    with open_index(sources(seven)) as view:
        documents = list(view.documents(filters))
        listed = view.list(filters, with_doc=True)
    assert [json.loads(doc) for doc in documents] == [row["doc"] for row in listed]
    assert [json.loads(doc)["title"] for doc in documents] == [
        "Cache grows", "Crash on start", "Old crash"]
    assert documents[0].startswith('{"id": "aaaa0004", "title": "Cache grows"')


def test_ids_by_origin_for_a_forge_and_for_a_plain_origin(repo: Path):
    github = "github:\n  repo: {repo}\n  number: {number}\n"
    write(repo, "bbbb0001", "One", day=1, extra=github.format(repo="Owner/Tool", number=1))
    write(repo, "bbbb0002", "Two", day=2, extra=github.format(repo="owner/tool", number=2))
    write(repo, "bbbb0003", "Elsewhere", day=3, extra=github.format(repo="other/repo", number=1))
    write(repo, "bbbb0004", "From beads", day=4, extra="beads: bd-au0.7\n")
    write(repo, "bbbb0005", "Made here", day=5)
    with open_index(sources(repo)) as view:
        assert view.ids_by_origin("github", "OWNER/tool") == {1: "bbbb0001", 2: "bbbb0002"}
        assert view.ids_by_origin("github", "owner/tool", [2, 3]) == {2: "bbbb0002"}
        assert view.ids_by_origin("github", "owner/tool", []) == {}
        assert view.ids_by_origin("gitlab", "owner/tool") == {}
        assert view.ids_by_origin("beads") == {"bd-au0.7": "bbbb0004"}
        assert view.ids_of_github_numbers("other/repo", [1, 2]) == {1: "bbbb0003"}
        assert view.ids_by_github_number("owner/TOOL") == {1: "bbbb0001", 2: "bbbb0002"}
        assert view.ids_by_beads_id() == {"bd-au0.7": "bbbb0004"}
        with pytest.raises(ValueError, match="origin key"):
            view.ids_by_origin("github.repo')--")


def test_read_index_reads_what_is_there_without_a_refresh(seven: Path):
    with open_index(sources(seven)) as view:
        assert view.count(Filters(status="all")) == 7
    (seven / ".issues" / "aaaa0007.yml").unlink()
    (seven / ".issues" / "broken.yml").write_text("title: [unclosed\n")
    with read_index(sources(seven).db_path) as view:
        assert view.count(Filters(status="all")) == 7  # as it was: nothing re-read
        assert view.problems() == []
    with open_index(sources(seven)) as view:
        assert view.count(Filters(status="all")) == 6
        assert [line.split(":")[0] for line in view.problems()] == [".issues/broken.yml"]


def test_an_empty_search_is_refused_by_its_field_and_said_as_its_flag(seven: Path, invoke):
    """The library names the field (``text``); ``ls`` and ``export`` say ``-q``."""
    with open_index(sources(seven)) as view, pytest.raises(FieldError) as refused:
        view.list(Filters(text="  "))
    assert (refused.value.field, refused.value.reason) == ("text", "needs some text to search for")
    for command in ("ls", "export"):
        result = invoke(command, "-q", " ")
        assert (result.exit_code, result.output) == (
            1, "error: -q: needs some text to search for\n"), command


def test_every_sort_order_has_its_sql():
    assert tuple(ORDER_BY) == SORTS


def test_the_filter_parsers_say_what_is_wrong():
    assert priority_range("P0-P1") == (0, 1)
    assert priority_range(" 2 ") == (2, 2)
    assert moment("2026-11-01") == "2026-11-01T00:00:00Z"
    assert until_moment("2026-11-01") == "2026-11-02T00:00:00Z"
    assert until_moment("2026-11-01T12:30:00+01:00") == "2026-11-01T11:30:00Z"
    for bad, words in (("5", "not a priority"), ("3-1", "runs backwards"), ("x", "not a")):
        with pytest.raises(GitIssuesError, match=words):
            priority_range(bad)
    with pytest.raises(GitIssuesError, match="'yesterday' is not a date"):
        moment("yesterday")


def test_the_filters_module_is_light():
    """``ls`` imports it at start-up: no model, no database, no JSON, no I/O rooms."""
    probe = ("import sys, git_issues.core.filters\n"
             "print(sorted(m for m in sys.modules if m.startswith('git_issues') "
             "or m in ('sqlite3', 'json', 'yaml')))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.strip() == repr(["git_issues", "git_issues.core",
                                        "git_issues.core.filters", "git_issues.errors"])
