"""edit, close, reopen and comment through the installed console script, in real repositories."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import GIT_ISSUES, git
from helpers import load, new, staged
from helpers import path_of as issue_path

from git_issues.errors import FieldError, NoSuchIssue
from git_issues.ops import write
from git_issues.repo import issues
from git_issues.repo.store import StaleWriteError
from git_issues.repo.workspace import open_workspace
from git_issues.web import actions

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run


def editor_script(tmp_path: Path, body: str) -> str:
    """A GIT_EDITOR: a Python script that gets the file to edit as sys.argv[1]."""
    script = tmp_path / f"editor{len(list(tmp_path.glob('editor*')))}.py"
    script.write_text("import sys\npath = sys.argv[1]\n" + textwrap.dedent(body))
    return f"{sys.executable} {script}"


def assert_one_error(proc, *words: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0]


# --- edit with flags ---------------------------------------------------------------

def test_edit_title_changes_only_the_title_line(run, repo):
    issue_id = new(run, "Engine leaks", "-l", "bug", "-p", "1", "-m", "line one\nline two")
    before = issue_path(repo, issue_id).read_text().splitlines()
    proc = run("edit", issue_id, "--title", "Engine leaks fds")
    after = issue_path(repo, issue_id).read_text().splitlines()
    assert [a for a in after if a not in before] == ["title: Engine leaks fds"]
    assert [b for b in before if b not in after] == ["title: Engine leaks"]
    assert len(after) == len(before)
    assert f"Updated {issue_id} (title)" in proc.stderr
    assert proc.stdout == ""
    assert f".issues/{issue_id}.yml" in staged(repo)


def test_edit_every_flag(run, repo, tmp_path):
    issue_id = new(run, "Old", "-l", "bug", "-l", "keep")
    body_file = tmp_path / "body.md"
    body_file.write_text("From a file\nsecond line\n")
    run("edit", issue_id[:5], "--title", "New", "-F", str(body_file), "-l", "ui",
        "-L", "bug", "-a", "@me", "-p", "P2")
    data = load(repo, issue_id)
    assert data["title"] == "New"
    assert data["body"] == "From a file\nsecond line\n"
    assert data["labels"] == ["keep", "ui"]
    assert data["assignees"] == ["ada@example.com"]
    assert data["priority"] == 2
    run("edit", issue_id, "-m", "-", "-a", "", "-p", "", input="From stdin\n")
    data = load(repo, issue_id)
    assert data["body"] == "From stdin"
    assert "assignees" not in data and "priority" not in data


def test_edit_status_stamps_and_clears_closed(run, repo):
    (repo / ".issues").mkdir()
    (repo / ".issues" / "config.yml").write_text(
        "statuses:\n  open: open\n  in-progress: open\n  closed: closed\n  wontfix: closed\n")
    issue_id = new(run, "Status dance")
    run("edit", issue_id, "-s", "in-progress")
    assert load(repo, issue_id)["status"] == "in-progress"
    assert "closed" not in load(repo, issue_id)
    run("edit", issue_id, "-s", "wontfix")
    data = load(repo, issue_id)
    assert data["status"] == "wontfix" and data["closed"].endswith("Z")
    stamp = data["closed"]
    run("edit", issue_id, "-s", "closed")  # closed to closed keeps the first stamp
    assert load(repo, issue_id)["closed"] == stamp
    run("edit", issue_id, "-s", "open")
    assert "closed" not in load(repo, issue_id)
    assert run("ls", "-s", "open").stdout.startswith(issue_id)


def test_noop_edit_leaves_a_hand_formatted_file_byte_identical(run, repo):
    issue_id = new(run, "Hand made")
    path = issue_path(repo, issue_id)
    data = load(repo, issue_id)
    hand = (f"# my notes\nid: {issue_id}\ntitle:   \"Hand made\"\nstatus: open\n"
            f"labels: [bug]\ncreated: {data['created']}\n").encode()
    path.write_bytes(hand)
    git(repo, "add", "-A")
    proc = run("edit", issue_id, "--title", "Hand made", "-l", "bug")
    assert "nothing changed" in proc.stderr
    assert path.read_bytes() == hand


def test_edit_keeps_unknown_keys(run, repo):
    issue_id = new(run, "Future")
    path = issue_path(repo, issue_id)
    path.write_text(path.read_text() + "due: '2026-12-01'\nx-tracker:\n  url: https://x/1\n")
    run("edit", issue_id, "-l", "later")
    data = load(repo, issue_id)
    assert data["due"] == "2026-12-01" and data["x-tracker"] == {"url": "https://x/1"}


# --- bad input: one line on stderr, exit 1, the file unchanged ------------------------

@pytest.mark.parametrize(("args", "words"), [
    (("-s", "bogus"), ("status", "bogus")),
    (("-p", "5"), ("priority", "0 to 4")),
    (("-p", "-1"), ("priority",)),
    (("-p", "high"), ("priority",)),
    (("-L", "nope"), ("nope", "bug")),
    (("--title", "  "), ("title",)),
    (("--title", "two\nlines"), ("title",)),
    (("-m", "x", "-F", "f"), ("-m or -F",)),
])
def test_edit_bad_input(run, repo, args, words):
    issue_id = new(run, "Victim", "-l", "bug")
    before = issue_path(repo, issue_id).read_bytes()
    assert_one_error(run("edit", issue_id, *args, check=False), *words)
    assert issue_path(repo, issue_id).read_bytes() == before


def two_with_shared_prefix(repo: Path) -> tuple[str, str]:
    (repo / ".issues").mkdir(exist_ok=True)
    ids = ("abcd2345", "abcd6789")
    for issue_id in ids:
        issue_path(repo, issue_id).write_text(
            f"id: {issue_id}\ntitle: T {issue_id}\nstatus: open\n"
            "created: '2026-11-26T12:00:00Z'\n")
    return ids


@pytest.mark.parametrize("command", [
    ("edit", "--title", "X"), ("close",), ("reopen",), ("comment", "-m", "hi"),
    ("show",), ("log",), ("link", "--related", "abcd2345"),
])
def test_unknown_and_ambiguous_ids(run, repo, command):
    first, second = two_with_shared_prefix(repo)
    before = [issue_path(repo, i).read_bytes() for i in (first, second)]
    name, *rest = command
    assert_one_error(run(name, "zzzz", *rest, check=False), "zzzz")
    # An ambiguous prefix: one error line, then each candidate with its title.
    proc = run(name, "abcd", *rest, check=False)
    error, *hints = proc.stderr.splitlines()
    assert proc.returncode == 1 and error.startswith("error: ") and "ambiguous" in error
    assert hints == [f"hint:   {first}  T {first}", f"hint:   {second}  T {second}"]
    assert_one_error(run(name, "ab/../x", *rest, check=False), "not an issue id")
    assert [issue_path(repo, i).read_bytes() for i in (first, second)] == before


def test_prefix_ids_work(run, repo):
    first, second = two_with_shared_prefix(repo)
    run("edit", "abcd6", "--title", "Second, renamed")
    assert load(repo, second)["title"] == "Second, renamed"
    assert load(repo, first)["title"] == f"T {first}"


def test_edit_refuses_a_broken_file_naming_it(run, repo):
    issue_id = new(run, "Soon broken")
    path = issue_path(repo, issue_id)
    path.write_text("id: [unclosed\n")
    assert_one_error(run("edit", issue_id, "--title", "x", check=False), f".issues/{issue_id}.yml")
    assert path.read_text() == "id: [unclosed\n"


# --- edit in the editor ---------------------------------------------------------------

def test_edit_in_editor_applies_a_valid_edit(run, repo, tmp_path):
    issue_id = new(run, "Typo in titel", "-l", "docs")
    editor = editor_script(tmp_path, """
        text = open(path).read()
        open(path, "w").write(text.replace("titel", "title") + "assignees: [bob@example.com]\\n")
    """)
    proc = run("edit", issue_id, "--editor", env={"GIT_EDITOR": editor})
    data = load(repo, issue_id)
    assert data["title"] == "Typo in title" and data["assignees"] == ["bob@example.com"]
    assert "# " not in issue_path(repo, issue_id).read_text()  # the help header is not kept
    assert "Updated" in proc.stderr
    assert f".issues/{issue_id}.yml" in staged(repo)


def test_closing_in_the_editor_stamps_closed(run, repo, tmp_path):
    issue_id = new(run, "Close me by hand")
    editor = editor_script(tmp_path, """
        text = open(path).read()
        open(path, "w").write(text.replace("status: open", "status: closed"))
    """)
    run("edit", issue_id, "--editor", env={"GIT_EDITOR": editor})
    data = load(repo, issue_id)
    assert data["status"] == "closed" and data["closed"].endswith("Z")
    assert run("ls").stdout == ""


def test_edit_in_editor_without_change_changes_nothing(run, repo, tmp_path):
    issue_id = new(run, "Untouched")
    before = issue_path(repo, issue_id).read_bytes()
    proc = run("edit", issue_id, "--editor", env={"GIT_EDITOR": "true"})
    assert "nothing changed" in proc.stderr
    assert issue_path(repo, issue_id).read_bytes() == before


@pytest.mark.parametrize(("new_text", "words"), [
    ("title: [unclosed\n", ("invalid YAML",)),
    ("id: zzzz9999\ntitle: T\nstatus: open\ncreated: '2026-11-26T12:00:00Z'\n",
     ("id cannot be changed",)),
    (None, ("status", "bogus")),
    ("id: {id}\nstatus: open\ncreated: '2026-11-26T12:00:00Z'\n", ("title",)),
])
def test_edit_in_editor_refuses_invalid_text_and_keeps_it(run, repo, tmp_path, new_text, words):
    issue_id = new(run, "Precious")
    before = issue_path(repo, issue_id).read_bytes()
    if new_text is None:
        new_text = before.decode().replace("status: open", "status: bogus")
    new_text = new_text.replace("{id}", issue_id)
    (tmp_path / "typed.yml").write_text(new_text)
    editor = editor_script(tmp_path, f"""
        open(path, "w").write(open({str(tmp_path / "typed.yml")!r}).read())
    """)
    proc = run("edit", issue_id, "--editor", env={"GIT_EDITOR": editor}, check=False)
    assert_one_error(proc, *words, "file is unchanged")
    assert issue_path(repo, issue_id).read_bytes() == before
    kept = Path(proc.stderr.rstrip().rsplit("your text is in ", 1)[1])
    assert kept.read_text() == new_text
    assert repo / ".git" in kept.parents  # kept out of the work tree
    assert git(repo, "status", "--porcelain", "--untracked-files=all").strip() == (
        f"A  .issues/{issue_id}.yml")


def test_edit_in_editor_refuses_when_the_file_changed_meanwhile(run, repo, tmp_path):
    """Another command writes the issue while the editor is open: nobody's edit is lost."""
    issue_id = new(run, "Contended")
    git_issues = Path(sys.executable).parent / "git-issues"
    editor = editor_script(tmp_path, f"""
        import subprocess
        subprocess.run([{str(git_issues)!r}, "comment", {issue_id!r}, "-m", "theirs"],
                       check=True, capture_output=True)
        text = open(path).read()
        open(path, "w").write(text.replace("Contended", "Mine"))
    """)
    proc = run("edit", issue_id, "--editor", env={"GIT_EDITOR": editor}, check=False)
    assert_one_error(proc, "changed by someone else", "your text is in")
    data = load(repo, issue_id)
    assert data["title"] == "Contended"
    assert [c["body"] for c in data["comments"]] == ["theirs"]
    kept = Path(proc.stderr.rstrip().rsplit("your text is in ", 1)[1])
    assert "title: Mine" in kept.read_text()


def test_edit_when_the_editor_fails(run, repo):
    issue_id = new(run, "Editor crash")
    before = issue_path(repo, issue_id).read_bytes()
    failing = run("edit", issue_id, "--editor", env={"GIT_EDITOR": "false"}, check=False)
    assert_one_error(failing, "editor")
    assert issue_path(repo, issue_id).read_bytes() == before


# --- close, reopen, comment -------------------------------------------------------------

def test_close_and_reopen(run, repo):
    issue_id = new(run, "Lifecycle")
    proc = run("close", issue_id, "-m", "Fixed in 1a2b3c4.")
    assert f"Closed {issue_id}" in proc.stderr
    data = load(repo, issue_id)
    assert data["status"] == "closed"
    assert data["closed"] == data["comments"][0]["date"]
    comment = data["comments"][0]
    assert comment["author"] == "Ada Tester <ada@example.com>"
    assert comment["body"] == "Fixed in 1a2b3c4."
    assert len(comment["id"]) == 8
    assert run("ls").stdout == ""
    assert run("ls", "-s", "closed").stdout.startswith(issue_id)

    before = issue_path(repo, issue_id).read_bytes()
    proc = run("close", issue_id)
    assert "already closed" in proc.stderr
    assert issue_path(repo, issue_id).read_bytes() == before

    proc = run("reopen", issue_id[:4])
    assert f"Reopened {issue_id}" in proc.stderr
    data = load(repo, issue_id)
    assert data["status"] == "open" and "closed" not in data
    assert "already open" in run("reopen", issue_id).stderr
    assert f".issues/{issue_id}.yml" in staged(repo)


def test_close_with_a_configured_closed_status_keeps_it(run, repo):
    (repo / ".issues").mkdir()
    (repo / ".issues" / "config.yml").write_text(
        "statuses:\n  open: open\n  closed: closed\n  wontfix: closed\n")
    issue_id = new(run, "Won't fix")
    run("edit", issue_id, "-s", "wontfix")
    proc = run("close", issue_id, "-m", "As said.")
    assert "already closed" in proc.stderr
    data = load(repo, issue_id)
    assert data["status"] == "wontfix" and data["comments"][0]["body"] == "As said."


def test_comments_from_flag_stdin_and_file(run, repo, tmp_path):
    issue_id = new(run, "Talk")
    note = tmp_path / "note.md"
    note.write_text("# Heading\n\nFrom a file.\n")
    run("comment", issue_id, "-m", "first")
    run("comment", issue_id, "-m", "-", input="second\non two lines\n")
    run("comment", issue_id, "-F", str(note))
    comments = load(repo, issue_id)["comments"]
    assert [c["body"] for c in comments] == [
        "first", "second\non two lines\n", "# Heading\n\nFrom a file.\n"]
    assert len({c["id"] for c in comments}) == 3
    assert all(c["date"].endswith("Z") for c in comments)
    text = issue_path(repo, issue_id).read_text()
    assert "  body: |\n    second\n    on two lines\n" in text


def test_comment_needs_text_without_a_terminal(run, repo):
    issue_id = new(run, "Silent")
    before = issue_path(repo, issue_id).read_bytes()
    assert_one_error(run("comment", issue_id, check=False), "-m")
    assert_one_error(run("comment", issue_id, "-m", "  \n", check=False), "empty")
    assert_one_error(run("comment", issue_id, "-F", "/nonexistent/x", check=False),
                     "/nonexistent/x")
    assert issue_path(repo, issue_id).read_bytes() == before


def test_comment_adds_only_its_lines(run, repo):
    issue_id = new(run, "Diff friendly", "-m", "body\ntext")
    run("comment", issue_id, "-m", "one")
    before = issue_path(repo, issue_id).read_text()
    run("comment", issue_id, "-m", "two")
    after = issue_path(repo, issue_id).read_text()
    assert after.startswith(before)


def test_the_write_library_does_not_load_the_index_package(repo):
    """Writes never touch the index, so their modules do not import it (``Sources``,
    which the index is given, lives in workspace.py); only ``link``'s cycle check
    imports it, inside the function, and ``rm``'s module (it finds the links to the
    issue it deletes in the index)."""
    probe = textwrap.dedent("""
        import sys
        from git_issues.cli import editor
        from git_issues.ops import links, refused, write
        from git_issues.repo import issues, workspace
        with workspace.open_workspace() as ws:
            ws.sources, ws.state_dir
        print(sorted(m for m in sys.modules if m.startswith("git_issues.index")))
    """)
    proc = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_writes_do_not_build_the_index_or_import_sqlalchemy(run, repo):
    """Change commands write one file: no SQLAlchemy, no index, whatever the issue count."""
    first = new(run, "One")
    second = new(run, "Two")
    index = repo / ".git" / "git-issues" / "index.sqlite"
    script = textwrap.dedent("""
        import sys
        from git_issues.cli import main
        sys.argv = ["git-issues", *sys.argv[1:]]
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, exc.code
        assert "sqlalchemy" not in sys.modules, "a write imported SQLAlchemy"
    """)
    for args in (("edit", first, "--title", "Uno", "-l", "x"), ("comment", first, "-m", "c"),
                 ("close", first), ("reopen", first), ("link", first, "--related", second),
                 ("unlink", first, "--related", second)):
        proc = subprocess.run([sys.executable, "-c", script, *args], cwd=repo,
                                            capture_output=True, text=True)
        assert proc.returncode == 0, (args, proc.stderr)
    assert not index.exists()


def test_change_commands_have_help(run):
    for command in ("edit", "close", "reopen", "comment", "link", "unlink", "ready", "log"):
        proc = run(command, "-h")
        assert proc.stdout.startswith("Usage: git issues " + command)


@pytest.mark.parametrize(("theirs", "mine", "refused"), [
    (("--title", "Theirs"), {"title": "Mine"}, True),  # the same field two ways
    (("-l", "theirs"), {"title": "Mine"}, False),  # different fields: both land
    (("--title", "Theirs"), {"add_labels": ["mine"]}, False),
])
def test_a_lost_race_is_retried_unless_the_same_field_changed(run, repo, theirs, mine,
                                                              refused):
    """Another real process writes the issue between this write's read and its save."""
    from git_issues.ops import write
    from git_issues.repo import issues, workspace
    from git_issues.repo.store import StaleWriteError

    issue_id = new(run, "Raced")
    fields = write.Fields(**mine)
    tries: list[str] = []
    with workspace.open_workspace(repo) as ws:
        def change(issue) -> None:  # what ``edit`` applies, with the race made certain
            if not tries:
                subprocess.run([GIT_ISSUES, "edit", issue_id, *theirs], cwd=repo,
                               check=True, capture_output=True)
            tries.append(issue.title)
            write.apply_fields(ws, issue, fields)

        sets = ["title"] if fields.title is not None else []
        if refused:
            with pytest.raises(StaleWriteError, match="title changed by someone else"):
                issues.update(ws, issue_id, change, sets=sets)
        else:
            issues.update(ws, issue_id, change, sets=sets)
    data = load(repo, issue_id)
    if refused:
        assert data["title"] == "Theirs" and tries == ["Raced"]
    else:  # applied again, to what the other writer left
        assert tries == ["Raced", "Theirs" if "--title" in theirs else "Raced"]
        assert data["title"] == mine.get("title", "Theirs")
        assert data["labels"] == (["theirs"] if "title" in mine else ["mine"])


def test_a_refused_edit_is_opened_again_until_a_write_succeeds(run, repo, tmp_path):
    """The next ``edit`` opens the refused text with the reason; a good save drops it."""
    issue_id = new(run, "Second chance")
    seen = tmp_path / "seen.txt"
    editor = editor_script(tmp_path, f"""
        import os
        text = open(path).read()
        open({str(seen)!r}, "w").write(text)
        open(path, "w").write(text.replace(os.environ["OLD"], os.environ["NEW"]))
    """)

    def edit(old: str, new_text: str, check: bool = True):
        return run("edit", issue_id, "--editor", check=check,
                   env={"GIT_EDITOR": editor, "OLD": old, "NEW": new_text})

    refused = edit("status: open", "status: open\npriority: high", check=False)
    assert_one_error(refused, "priority", "your text is in")
    kept = Path(refused.stderr.rstrip().rsplit("your text is in ", 1)[1])
    quit_unchanged = run("edit", issue_id, "--editor", env={"GIT_EDITOR": "true"})
    assert "nothing changed" in quit_unchanged.stderr and kept.exists()

    edit("priority: high", "priority: 1")  # opens the kept text, fixed now
    opened = seen.read_text()
    assert "priority: high" in opened and "was refused" in opened
    reason = opened.split("was refused:\n")[1].splitlines()[0]
    assert reason.startswith("#") and "priority" in reason and "high" in reason
    assert load(repo, issue_id)["priority"] == 1
    assert not kept.exists()

    edit("priority: 1", "priority: 2")  # the write succeeded: the file itself opens
    assert "was refused" not in seen.read_text()
    assert load(repo, issue_id)["priority"] == 2


def test_a_refused_edit_can_be_dropped_and_is_not_reopened_over_a_newer_file(run, repo,
                                                                             tmp_path):
    """Text that is not a valid issue cannot be merged with a newer file: the file opens,
    and the header names the kept text."""
    issue_id = new(run, "Moved on")
    seen = tmp_path / "seen.txt"
    editor = editor_script(tmp_path, f"""
        import os
        text = open(path).read()
        open({str(seen)!r}, "w").write(text)
        new = os.environ["NEW"]
        open(path, "w").write("" if new == "EMPTY" else text.replace("status: open", new))
    """)

    def edit(new_text: str, check: bool = True):
        return run("edit", issue_id, "--editor", check=check,
                   env={"GIT_EDITOR": editor, "NEW": new_text})

    first = edit("status: [open", check=False)
    kept = Path(first.stderr.rstrip().rsplit("your text is in ", 1)[1])
    run("comment", issue_id, "-m", "Someone else wrote meanwhile.")
    edit("status: open")  # the file changed: shown as it is, the kept text named
    opened = seen.read_text()
    assert "status: [open" not in opened and str(kept) in opened
    assert "Someone else wrote meanwhile." in opened and kept.exists()

    edit("status: [open", check=False)  # refused again, on the current file
    edit("EMPTY")  # the reopened text emptied: dropped, nothing written
    assert "status: [open" in seen.read_text() and "was refused" in seen.read_text()
    assert load(repo, issue_id)["status"] == "open"
    assert list(kept.parent.glob(f"{issue_id}*")) == [kept]  # the first, named to the user
    edit("status: open")
    assert "was refused" not in seen.read_text()


def test_an_edit_refused_because_the_file_changed_reopens_merged_with_the_change(
        run, repo, tmp_path):
    """The usual refusal: another command wrote the issue while the editor was open.
    The next ``edit`` opens the user's text merged field by field with that change."""
    issue_id = new(run, "Contended")
    seen = tmp_path / "seen.txt"
    editor = editor_script(tmp_path, f"""
        import os, subprocess
        text = open(path).read()
        open({str(seen)!r}, "w").write(text)
        if os.environ.get("MEANWHILE"):
            subprocess.run([{GIT_ISSUES!r}, "comment", {issue_id!r}, "-m", "theirs"],
                           check=True, capture_output=True)
            text = text.replace("title: Contended", "title: Mine")
        open(path, "w").write(text)
    """)
    refused = run("edit", issue_id, "--editor", check=False,
                  env={"GIT_EDITOR": editor, "MEANWHILE": "1"})
    assert_one_error(refused, "changed by someone else", "your text is in")
    assert load(repo, issue_id)["title"] == "Contended"

    run("edit", issue_id, "--editor", env={"GIT_EDITOR": editor})  # saved as opened
    opened = seen.read_text()
    assert "title: Mine" in opened and "theirs" in opened and "merged" in opened
    data = load(repo, issue_id)
    assert data["title"] == "Mine" and [c["body"] for c in data["comments"]] == ["theirs"]
    run("edit", issue_id, "--editor", env={"GIT_EDITOR": editor})
    assert "was refused" not in seen.read_text()


# --- the library, in-process: one primitive for "change one issue" --------------------

def staged_blob(repo: Path, issue_id: str) -> str:
    """What git's index holds for the file ('' when it is not staged)."""
    return git(repo, "ls-files", "-s", "--", f".issues/{issue_id}.yml")


def test_a_change_reports_the_fields_it_changed_and_stages_the_file(repo):
    with open_workspace(repo) as ws:
        issue = write.create(ws, "Before", labels=["bug"], stage=False)
        with issues.change(ws, issue.id) as draft:
            draft.issue.title = "After"
            draft.issue.labels.append("ui")
            draft.issue.priority = 1
    assert draft.changed == ["title", "labels", "priority"]  # the file's, then new ones
    data = load(repo, issue.id)
    assert (data["title"], data["priority"], data["labels"]) == ("After", 1, ["bug", "ui"])
    assert f".issues/{issue.id}.yml" in staged(repo)


def test_a_change_that_changes_nothing_writes_nothing(repo):
    """Not even a hand-formatted file is rewritten, nor staged; an error in the block
    writes nothing either."""
    path = issue_path(repo, "abcd2345")
    path.parent.mkdir()
    path.write_text("id: abcd2345\ntitle:   \"Hand made\"\nstatus: open\n"
                    "created: '2026-11-26T12:00:00Z'\n")
    before = path.read_bytes(), path.stat().st_mtime_ns
    with open_workspace(repo) as ws:
        with issues.change(ws, "abcd2345") as draft:
            draft.issue.title = "Hand made"
        draft_again, _ = issues.update(ws, "abcd2345", lambda issue: None)
        with pytest.raises(RuntimeError), issues.change(ws, "abcd2345") as failed:
            failed.issue.title = "Half done"
            raise RuntimeError("the change failed half-way")
    assert draft.changed == [] and draft_again.changed == [] and failed.changed == []
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert staged_blob(repo, "abcd2345") == ""


def test_a_change_against_a_version_no_longer_there_writes_nothing(repo):
    """``expect``: the digest of what the user was shown (the web page); someone wrote
    the file since, so the change is refused whole, and no second try is made."""
    with open_workspace(repo) as ws:
        issue = write.create(ws, "Shown")
        path = ws.store.path(issue.id)
        shown = issues.digest(path.read_bytes())
        write.comment(ws, issue.id, "Someone else's comment.")  # after the page was shown
        now, in_git = path.read_bytes(), staged_blob(repo, issue.id)
        with pytest.raises(StaleWriteError, match="changed by someone else"), \
                issues.change(ws, issue.id, expect=shown) as draft:
            draft.issue.title = "Mine"
        for refused in (lambda: write.edit(ws, issue.id, write.Fields(title="Mine"), expect=shown),
                        lambda: write.comment(ws, issue.id, "Mine", expect=shown),
                        lambda: write.close(ws, issue.id, expect=shown)):
            with pytest.raises(StaleWriteError, match="nothing was written"):
                refused()
        assert (path.read_bytes(), staged_blob(repo, issue.id)) == (now, in_git)
        outcome = write.close(ws, issue.id, expect=issues.digest(now))  # the version there
    assert outcome.changed == ["status", "closed"]
    assert load(repo, issue.id)["status"] == "closed"


@pytest.mark.parametrize(("fields", "field"), [
    ({"title": "  "}, "title"),
    ({"status": "No such"}, "status"),
    ({"priority": "7"}, "priority"),
    ({"milestone": "two\nlines"}, "milestone"),
    ({"add_labels": ["two\nlines"]}, "labels"),
    ({"remove_labels": ["nope"]}, "remove_labels"),
    ({"add_assignees": ["two\nlines"]}, "assignees"),
    ({"add_assignees": [f"p{i}" for i in range(11)]}, "assignees"),
    ({"remove_assignees": ["zed"]}, "remove_assignees"),
])
def test_the_library_names_the_field_not_the_flag(repo, fields, field):
    with open_workspace(repo) as ws:
        issue = write.create(ws, "Target", labels=["bug"])
        before = ws.store.path(issue.id).read_bytes()
        with pytest.raises(FieldError) as caught:
            write.edit(ws, issue.id, write.Fields(**fields))
        assert ws.store.path(issue.id).read_bytes() == before
    assert caught.value.field == field
    assert str(caught.value) == f"{field}: {caught.value.reason}" and "--" not in str(caught.value)


def test_the_web_form_names_the_field(repo):
    with open_workspace(repo) as ws:
        issue = write.create(ws, "From the web")
        shown = issues.digest(ws.store.path(issue.id).read_bytes())
        with pytest.raises(FieldError, match=r"^labels: label must be a single line$"):
            actions.edit(ws, issue.id, shown, {"title": "From the web",
                                               "labels": "ok, two\nlines"})
        with pytest.raises(FieldError, match=r"^priority: "):
            actions.create(ws, {"title": "New", "priority": "9"})


@pytest.mark.parametrize(("args", "flag"), [
    (("edit", "{id}", "--title", " "), "--title"),
    (("edit", "{id}", "-s", "No such"), "--status"),
    (("edit", "{id}", "-p", "7"), "--priority"),
    (("edit", "{id}", "-M", "two\nlines"), "--milestone"),
    (("edit", "{id}", "-l", "two\nlines"), "--label"),
    (("edit", "{id}", "-L", "nope"), "--remove-label"),
    (("edit", "{id}", "-a", "two\nlines"), "--assignee"),
    (("edit", "{id}", "-A", "zed"), "--remove-assignee"),
    (("new", "x" * 300), "TITLE"),
    (("new", "Fine", "-l", " padded "), "--label"),
    (("new", "Fine", "-p", "high"), "--priority"),
    (("link", "{id}", "--blocks", "zzzz"), "--blocks"),
    (("link", "{id}", "--related", "{id}"), "--related"),
    (("unlink", "{id}", "--blocked-by", "{id}"), "--blocked-by"),
])
def test_the_cli_says_a_refused_field_as_its_flag(repo, invoke, args, flag):
    """What the terminal prints is what it printed when the library spoke in flags."""
    with open_workspace(repo) as ws:
        issue_id = write.create(ws, "Target", labels=["bug"]).id
    result = invoke(*(arg.format(id=issue_id) for arg in args))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {flag}: ") and result.stderr.count("\n") == 1


def test_an_issue_that_is_not_there_is_its_own_kind_of_error(repo):
    """The web view answers 404 by the error's kind, not by reading its words."""
    with open_workspace(repo) as ws:
        issue = write.create(ws, "Here")
        with pytest.raises(NoSuchIssue, match="no issue matches 'zzzz'"):
            write.comment(ws, "zzzz", "Lost.")
        ws.store.path(issue.id).unlink()
        with pytest.raises(NoSuchIssue, match="is gone"):
            issues.get(ws, issue.id)
