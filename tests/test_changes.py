"""One change model: ``log`` and ``diff`` say the same thing about the same edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git

from git_issues.core.changes import MARKDOWN, compare, phrase
from git_issues.core.model import Comment, Issue

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

ADA = "Ada Tester <ada@example.com>"
LONG = "A comment whose first line is long enough to be cut: " + "word " * 30


def commit(repo: Path, message: str) -> None:
    git(repo, "commit", "-q", "-m", message)


def log_lines(run, issue_id: str) -> list[str]:
    """The changes of the newest entry of ``log``, without their indent."""
    first = run("log", issue_id).stdout.split("\n\n")[0].splitlines()
    return [line.strip() for line in first if line.startswith("  ") and
            not line.startswith("    ")]


def diff_lines(run, spec: str, issue_id: str) -> list[str]:
    """The changes ``diff`` lists for one issue, without their indent."""
    lines, mine = [], False
    for line in run("diff", spec).stdout.splitlines():
        if not line.startswith(" "):
            mine = line.startswith(issue_id)
        elif mine:
            lines.append(line.strip())
    return lines


def test_log_and_diff_describe_the_same_edit_in_the_same_words(run, repo):
    body = "".join(f"Step {i}.\n\n" for i in range(120))  # long, with a line that repeats
    issue_id = run("new", "Same words", "-m", body, "-p", "2", "-l", "bug", "-l", "ui",
                   "-a", "ann", "-M", "v1").stdout.strip()
    commit(repo, "add")
    run("edit", issue_id, "-m", body.replace("Step 7.", "Step seven.") + "Done.\n",
        "-p", "", "-l", "perf", "-L", "bug", "-a", "bob", "-A", "ann", "-M", "v2")
    run("comment", issue_id, "-m", "\n\n" + LONG + "\nSecond line.")
    commit(repo, "edit")

    expected = [
        "priority P2 → (none)",
        "labels +perf -bug",
        "assignees +bob -ann",
        "milestone v1 → v2",
        "description edited (+3 -1 lines)",
        f'comment by {ADA}: "{LONG.strip()[:99]}…"',
    ]
    assert log_lines(run, issue_id) == expected
    assert diff_lines(run, "HEAD~1..HEAD", issue_id) == expected
    logged = json.loads(run("log", issue_id, "--json").stdout)[0]["changes"]
    diffed = json.loads(run("diff", "HEAD~1..HEAD", "--format", "json").stdout)
    assert logged == diffed["issues"][0]["changes"]  # one JSON shape too


def test_creation_and_closing_read_the_same(run, repo):
    issue_id = run("new", "Opened and closed", "-l", "bug", "-p", "1", "-a", "ann",
                   "-M", "v1.0").stdout.strip()
    assert log_lines(run, issue_id) == diff_lines(run, "", issue_id) == [
        f'opened "Opened and closed" by {ADA}: P1; labels bug; assignees ann; milestone v1.0']
    commit(repo, "add")
    run("close", issue_id)
    assert log_lines(run, issue_id) == diff_lines(run, "", issue_id) == ["closed"]


def test_fields_the_model_does_not_name_are_described_generically(run, repo):
    """A list is a set, anything else a value: a new field needs no code of its own."""
    issue_id = run("new", "Generic").stdout.strip()
    path = repo / ".issues" / f"{issue_id}.yml"
    path.write_text(path.read_text() + "sprint: s1\nwatchers:\n- ann\n- carl\n")
    git(repo, "add", "-A")
    commit(repo, "add")
    text = path.read_text().replace("sprint: s1", "sprint: s2")
    path.write_text(text.replace("- ann\n", "- bob\n"))
    expected = ["sprint s1 → s2", "watchers +bob -ann"]
    assert log_lines(run, issue_id) == diff_lines(run, "", issue_id) == expected


def _issue(status: str = "open", **fields) -> Issue:
    return Issue(id="abcd1234", title="T", status=status, created="2026-11-26T12:00:00Z",
                 **fields)


def test_words_in_markdown_escape_user_text():
    old = _issue(labels=["a"], milestone="v 1")
    new = _issue(labels=["a", "<b>"],
                 comments=[Comment(id="cmt00001", date="2026-11-26T13:00:00Z",
                                   author="Bob <bob@x>", body="**hi**")])
    words = [phrase(change, MARKDOWN) for change in compare(old, new)]
    assert words == ["labels +`<b>`", "milestone “v 1” → (none)",
                     "comment by Bob &lt;bob@x&gt;: “\\*\\*hi\\*\\*”"]


def test_a_custom_closed_status_reads_as_closed():
    changes = compare(_issue(), _issue(status="wontfix", closed="2026-11-27T00:00:00Z"),
                      {"open": "open", "closed": "closed", "wontfix": "closed"})
    assert [phrase(c) for c in changes] == ["closed as wontfix"]


IMPORTED = """\
id: {id}
title: Imported
status: open
created: '2026-11-26T12:00:00Z'
github:
  repo: acme/rocket
  number: {number}
  url: https://github.com/acme/rocket/issues/5
beads: bd-12
custom:
  team: {team}
  tags:
  - a
  - b
"""


def test_every_field_is_described_in_words_never_as_a_python_value(run, repo):
    """An imported issue's origin and a nested key this version does not know read as
    words in text and Markdown (``origin GitHub acme/rocket#5``), as values in JSON."""
    path = repo / ".issues" / "abcd1234.yml"
    path.parent.mkdir()
    path.write_text(IMPORTED.format(id="abcd1234", number=5, team="infra"))
    git(repo, "add", "-A")
    commit(repo, "import")
    opened = log_lines(run, "abcd1234")
    assert opened == ['opened "Imported": origin GitHub acme/rocket#5, beads bd-12; '
                      "custom (team infra; tags a, b)"]
    path.write_text(IMPORTED.format(id="abcd1234", number=6, team="core"))
    git(repo, "add", "-A")
    commit(repo, "renumber")
    expected = ["origin GitHub acme/rocket#5, beads bd-12 → GitHub acme/rocket#6, beads bd-12",
                "custom.team infra → core"]
    assert log_lines(run, "abcd1234") == diff_lines(run, "HEAD~1..HEAD", "abcd1234") == expected
    markdown = run("diff", "HEAD~2..HEAD~1", "--format", "markdown").stdout
    assert "origin GitHub `acme/rocket#5`, beads `bd-12`; custom (team `infra`" in markdown
    for out in (markdown, run("diff", "HEAD~2..HEAD").stdout, run("log", "abcd1234").stdout):
        assert "{" not in out and "'" not in out, out
    changes = json.loads(run("diff", "HEAD~1..HEAD", "--format", "json").stdout)
    origin = changes["issues"][0]["changes"][0]
    assert origin["field"] == "origin" and origin["to"]["github"]["number"] == 6
    path.write_text(path.read_text() + "owner:\n  pair:\n    a: 1\n"
                    "tasks:\n- name: a\n  done: true\n- name: b\n")
    assert diff_lines(run, "HEAD", "abcd1234") == [  # added whole: key by key, as the file
        "owner.pair.a (none) → 1", "tasks (none) → (name a; done true), name b"]


def test_diff_shows_everything_a_new_issue_adds(run, repo):
    """Links, description and comments of a newly opened issue are listed, in the words
    (and JSON) that adding them to an existing issue gets."""
    blocked = run("new", "Blocked one").stdout.strip()
    commit(repo, "first")
    issue_id = run("new", "Brand new", "-m", "Line one.\nLine two.", "-l", "bug").stdout.strip()
    run("link", issue_id, "--blocks", blocked)
    run("comment", issue_id, "-m", "First thoughts.")
    expected = [f'opened "Brand new" by {ADA}: labels bug', f"links +blocks {blocked}",
                "description added (+2 -0 lines)", f'comment by {ADA}: "First thoughts."']
    assert diff_lines(run, "", issue_id) == log_lines(run, issue_id) == expected
    items = json.loads(run("diff", "--format", "json").stdout)["issues"]
    types = [c["type"] for c in items[0]["changes"]]
    assert items[0]["id"] == issue_id and types == ["opened", "links", "body", "comment"]
    assert items[0]["changes"][1]["added"] == [{"kind": "blocks", "id": blocked}]
