"""What happens on a terminal: the editor for comments, the pager for long output.

The console script runs on a real pseudo-terminal, so ``isatty`` is true the
way it is for a person at a shell.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import on_terminal as terminal

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run


def on_terminal(repo: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    """These tests read plain text on an 80-column screen."""
    return terminal(repo, *args, env={"NO_COLOR": "1", "COLUMNS": "80", **env})


def editor_that_appends(tmp_path: Path, text: str) -> str:
    """An editor that types ``text`` above the instructions (git's scissors line)."""
    script = tmp_path / "append.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        before = open(sys.argv[1]).read()
        with open(sys.argv[1], "w") as handle:
            handle.write({text!r} + before)
    """))
    return f"{sys.executable} {script}"


def comments(repo: Path, issue_id: str) -> list[str]:
    data = yaml.safe_load((repo / ".issues" / f"{issue_id}.yml").read_text())
    return [c["body"] for c in data.get("comments", [])]


def test_comment_on_a_terminal_opens_the_editor(run, repo, tmp_path):
    issue_id = run("new", "Discuss").stdout.strip()
    editor = editor_that_appends(tmp_path, "Written in the editor.\n# A heading, kept\n")
    code, screen = on_terminal(repo, "comment", issue_id, env={"GIT_EDITOR": editor})
    assert code == 0, screen
    assert comments(repo, issue_id) == ["Written in the editor.\n# A heading, kept\n"]


def test_an_empty_comment_from_the_editor_aborts(run, repo):
    issue_id = run("new", "Discuss").stdout.strip()
    before = (repo / ".issues" / f"{issue_id}.yml").read_bytes()
    code, screen = on_terminal(repo, "comment", issue_id, env={"GIT_EDITOR": "true"})
    assert code == 1 and "error: aborted: the comment is empty" in screen
    assert (repo / ".issues" / f"{issue_id}.yml").read_bytes() == before


def test_close_on_a_terminal_asks_for_an_optional_comment(run, repo, tmp_path):
    quiet, chatty = run("new", "Quiet").stdout.strip(), run("new", "Chatty").stdout.strip()
    code, _ = on_terminal(repo, "close", quiet, env={"GIT_EDITOR": "true"})
    assert code == 0 and comments(repo, quiet) == []
    editor = editor_that_appends(tmp_path, "Done, see 1a2b.\n")
    code, _ = on_terminal(repo, "close", chatty, env={"GIT_EDITOR": editor})
    assert code == 0 and comments(repo, chatty) == ["Done, see 1a2b."]
    assert "closed" in run("show", chatty, "--json").stdout


def long_issue(run) -> str:
    body = "\n".join(f"line {n} of a long description" for n in range(60))
    return run("new", "Long one", "-m", body).stdout.strip()


def test_long_show_goes_through_the_pager(run, repo, tmp_path):
    issue_id = long_issue(run)
    paged = tmp_path / "paged.txt"
    code, screen = on_terminal(repo, "show", issue_id,
                               env={"GIT_PAGER": f"cat > {paged}", "LINES": "20"})
    assert code == 0
    assert "line 59 of a long description" in paged.read_text()
    assert "line 59" not in screen


def test_short_show_and_piped_show_do_not_page(run, repo, tmp_path):
    issue_id = long_issue(run)
    paged = tmp_path / "paged.txt"
    env = {"GIT_PAGER": f"cat > {paged}", "LINES": "200"}
    code, screen = on_terminal(repo, "show", issue_id, env=env)
    assert code == 0 and "line 59 of a long description" in screen
    assert run("show", issue_id, env={**env, "LINES": "5"}).stdout.count("line ") == 60
    assert not paged.exists()


@pytest.mark.parametrize("pager", ["cat", ""])
def test_a_cat_or_empty_pager_prints_directly(run, repo, pager):
    issue_id = long_issue(run)
    code, screen = on_terminal(repo, "show", issue_id, env={"GIT_PAGER": pager, "LINES": "5"})
    assert code == 0 and "line 59 of a long description" in screen


# --- the table on a real terminal ------------------------------------------------------

CROWDED_TITLES = [
    "Engine leaks memory when the cache is rebuilt twice during a long import",
    "日本語のタイトルはとても長いです、本当に長い 🐛🔥 emoji too",
    "A title with a\ttab in it",
    "Evil \u202etxt.exe",
    "Short",
]


@pytest.fixture
def crowded(run, repo) -> dict[str, str]:
    """Issues whose rows are far wider than 80 columns: many labels, several long
    assignees, a milestone, wide characters, a tab and a bidirectional override."""
    created = {}
    for title in CROWDED_TITLES:
        issue_id = run("new", title, "-l", "bug,ui,performance,needs-triage,good-first-issue",
                       "-a", "alice.longname@example.com", "-a", "bob.builder@example.org",
                       "-a", "carol@example.net", "-M", "v2.0 release", "-p", "1").stdout.strip()
        created[title] = issue_id
    created["Plain"] = run("new", "Plain").stdout.strip()
    return created


def table_rows(screen: str) -> list[str]:
    """The header and the rows of a table as the screen shows them."""
    lines = screen.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("ID "))
    return [line for line in lines[start:] if line]


@pytest.mark.parametrize("columns", [80, 120])
def test_every_row_of_ls_fits_the_terminal(run, repo, crowded, columns):
    from wcwidth import wcswidth

    code, screen = on_terminal(repo, "ls", env={"COLUMNS": str(columns)})
    assert code == 0, screen
    rows = table_rows(screen)
    assert len(rows) == 1 + len(crowded), screen
    assert all(0 <= wcswidth(row) <= columns for row in rows), "\n".join(rows)
    assert "\t" not in screen and "\u202e" not in screen
    assert "Evil \\u202etxt.exe" in screen and "A title with a tab in it" in screen
    header = rows[0].split()
    assert header[:4] == ["ID", "STATUS", "PRI", "TITLE"]
    # The title keeps the most room: no column is wider.
    starts = [rows[0].index(name) for name in header]
    ends = [*(start - 2 for start in starts[1:]), max(wcswidth(row) for row in rows)]
    room = {name: end - start for name, start, end in zip(header, starts, ends, strict=True)}
    assert all(room["TITLE"] >= width for width in room.values()), room
    cut = [row for row in rows if "…" in row]
    assert cut, screen  # something had to give way, and says so


def test_a_wide_terminal_shows_every_column_and_whole_titles(run, repo, crowded):
    code, screen = on_terminal(repo, "ls", env={"COLUMNS": "250"})
    assert code == 0, screen
    rows = table_rows(screen)
    assert rows[0].split() == ["ID", "STATUS", "PRI", "TITLE", "LABELS", "ASSIGNEES",
                               "CREATED"]
    assert all(title.replace("\t", " ").replace("\u202e", "\\u202e") in screen
               for title in CROWDED_TITLES)


def test_ls_and_show_show_short_ids_on_a_terminal_and_whole_ids_piped(run, repo, crowded):
    code, screen = on_terminal(repo, "ls", env={"COLUMNS": "80"})
    assert code == 0, screen
    shown = [row.split()[0] for row in table_rows(screen)[1:]]
    assert len(shown) == len(crowded) and all(len(short) == 4 for short in shown), shown
    assert sorted(shown) == sorted(issue_id[:4] for issue_id in crowded.values())
    for short in shown:  # each one names its issue
        assert run("show", short, "--json").returncode == 0
    issue_id = crowded["Short"]
    code, screen = on_terminal(repo, "show", issue_id, env={})
    assert code == 0 and screen.startswith(f"Short  #{issue_id[:4]}\n"), screen
    # Piped and --json: whole ids, and the text as written (for programs).
    lines = run("ls").stdout.splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == sorted(crowded.values())
    evil = next(line for line in lines if "Evil" in line)
    assert evil.split("\t")[3] == "Evil \u202etxt.exe"
    assert run("show", issue_id).stdout.startswith(f"Short  #{issue_id}\n")
    assert {i["id"] for i in json.loads(run("ls", "--json").stdout)} == set(crowded.values())


def test_a_short_id_grows_until_it_names_one_issue(run, repo):
    issues = repo / ".issues"
    issues.mkdir()
    for issue_id in ("abcd2345", "abcd2367", "abce2345"):
        (issues / f"{issue_id}.yml").write_text(
            f"id: {issue_id}\ntitle: T {issue_id}\nstatus: open\n"
            "created: '2026-11-26T12:00:00Z'\n")
    code, screen = on_terminal(repo, "ls", env={"COLUMNS": "80"})
    assert code == 0, screen
    assert sorted(row.split()[0] for row in table_rows(screen)[1:]) == [
        "abcd234", "abcd236", "abce"]


def test_show_on_a_terminal_escapes_bidirectional_overrides(run, repo):
    issue_id = run("new", "Evil \u202etxt.exe", "-l", "la\u202eb",
                   "-m", "first\n\tindented \u2066isolated\u2069").stdout.strip()
    code, screen = on_terminal(repo, "show", issue_id, env={})
    assert code == 0, screen
    assert "\u202e" not in screen and "\u2066" not in screen
    assert screen.startswith("Evil \\u202etxt.exe  #")
    assert "labels: la\\u202eb" in screen and "\tindented \\u2066isolated\\u2069" in screen
    assert "\u202e" in run("show", issue_id).stdout  # piped: as written


def test_a_column_no_issue_fills_takes_no_room_from_the_title(run, repo):
    """The README's one issue at 80 columns: no one is assigned, so the empty
    ASSIGNEES column must not cut 'Engine cache leaks file descriptors'."""
    run("new", "Engine cache leaks file descriptors", "-l", "bug", "-p", "1")
    code, screen = on_terminal(repo, "ls", env={"COLUMNS": "80"})
    assert code == 0
    header = next(line for line in screen.splitlines() if line.startswith("ID "))
    assert "ASSIGNEES" not in header and "CREATED" in header
    assert "Engine cache leaks file descriptors  bug" in screen
