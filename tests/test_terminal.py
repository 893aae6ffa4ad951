"""What happens on a terminal: the editor for comments, the pager for long output.

The console script runs on a real pseudo-terminal, so ``isatty`` is true the
way it is for a person at a shell.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import on_terminal as terminal


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
