"""Issue 13: what a new user hit, and what a GitHub user reaches for.

Each test runs the installed console script (or the same on a pseudo-terminal)
in a real repository, and checks what the user would see or find on disk.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import git, on_terminal
from helpers import load, snapshot

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

ISSUES = ".issues"


def one_error(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") or lines[0].startswith("Error: ") \
        or lines[0].startswith("Usage:"), proc.stderr
    return lines[0]


# --- bug 1: a write never makes a file the reader refuses -----------------------

def test_new_with_a_body_over_the_readers_limit_writes_nothing(run, repo, tmp_path):
    run("new", "Small")
    big = tmp_path / "big.md"
    big.write_text("x" * 80 + "\n" * 1 + ("y" * 99 + "\n") * 50_000)  # ~5 MB
    before = snapshot(repo)
    proc = run("new", "Big", "-F", str(big), check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    line = one_error(proc)
    assert "1024 KiB" in line and "nothing was written" in line
    assert snapshot(repo) == before
    assert run("ls").returncode == 0


def test_a_comment_that_would_overflow_the_file_is_refused(run, repo, tmp_path):
    issue_id = run("new", "Talk").stdout.strip()
    big = tmp_path / "comment.md"
    big.write_text(("z" * 99 + "\n") * 11_000)  # 1.1 MB
    before = snapshot(repo)
    proc = run("comment", issue_id, "-F", str(big), check=False)
    assert proc.returncode == 1
    assert "1024 KiB" in one_error(proc)
    assert snapshot(repo) == before
    assert run("show", issue_id).returncode == 0


# --- bug 2: the editor keeps Markdown headings ------------------------------------

MARKDOWN = textwrap.dedent("""\
    # Steps to reproduce
    ## Expected
    ```sh
    # a shell comment in a code fence
    git issues ls
    ```
    key: value
    - item: [1, 2]
    #hashtag
""")


def editor_typing(tmp_path: Path, text: str) -> str:
    """A GIT_EDITOR that types ``text`` above whatever instructions the file holds."""
    script = tmp_path / "typing.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        before = open(sys.argv[1], encoding="utf-8").read()
        with open(sys.argv[1], "w", encoding="utf-8") as handle:
            handle.write({text!r} + before)
    """))
    return f"{sys.executable} {script}"


def test_new_in_the_editor_keeps_headings_code_and_yaml_looking_text(repo, tmp_path):
    editor = editor_typing(tmp_path, "Markdown title\n\n" + MARKDOWN)
    code, screen = on_terminal(repo, "new", env={"GIT_EDITOR": editor})
    assert code == 0, screen
    (path,) = (repo / ISSUES).glob("*.yml")
    data = yaml.safe_load(path.read_text())
    assert data["title"] == "Markdown title"
    assert data["body"] == MARKDOWN


def test_a_comment_made_only_of_headings_is_kept_whole(run, repo, tmp_path):
    issue_id = run("new", "Discuss").stdout.strip()
    editor = editor_typing(tmp_path, MARKDOWN)
    code, screen = on_terminal(repo, "comment", issue_id, env={"GIT_EDITOR": editor})
    assert code == 0, screen
    assert [c["body"] for c in load(repo, issue_id)["comments"]] == [MARKDOWN]


def test_the_instructions_below_the_scissors_never_reach_the_issue(repo, tmp_path):
    editor = editor_typing(tmp_path, "Plain\n\nBody.\n")
    code, screen = on_terminal(repo, "new", env={"GIT_EDITOR": editor})
    assert code == 0, screen
    (path,) = (repo / ISSUES).glob("*.yml")
    text = path.read_text()
    assert ">8" not in text and "Write the title" not in text


# --- bug 3: the terminal table measures screen columns -------------------------------

def test_wide_characters_keep_the_table_aligned(run, repo):
    run("new", "Ünïcödé — 日本語 🐛🔥", "-l", "bug")
    run("new", "Plain ascii title", "-l", "bug")
    run("new", "幅" * 80, "-l", "bug")  # cut by columns, not characters
    code, screen = on_terminal(repo, "ls", env={"NO_COLOR": "1", "COLUMNS": "90"})
    assert code == 0, screen
    from wcwidth import wcswidth

    rows = [line for line in screen.splitlines() if "bug" in line]
    assert len(rows) == 3, screen
    # rindex: the label, even when a random id happens to start with "bug"
    label_columns = {wcswidth(row[: row.rindex("bug")]) for row in rows}
    assert len(label_columns) == 1, rows
    assert all(wcswidth(row) <= 90 for row in rows), rows


def test_a_piped_listing_does_not_import_wcwidth(run, repo):
    run("new", "Ünïcödé — 日本語 🐛🔥")
    probe = ("import sys\nfrom git_issues.cli import cli\n"
             "try:\n    cli.main(['ls'], prog_name='git issues')\nexcept SystemExit:\n    pass\n"
             "print('wcwidth' in sys.modules)\n")
    import subprocess

    proc = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True,
                          text=True)
    assert proc.stdout.splitlines()[-1] == "False"


# --- bug 4: edit off a terminal does not start the editor ----------------------------

def test_edit_with_no_option_off_a_terminal_says_what_to_give(run, repo):
    issue_id = run("new", "Quiet").stdout.strip()
    before = snapshot(repo)
    proc = run("edit", issue_id, check=False, env={"GIT_EDITOR": "echo STARTED >&2; false"})
    assert proc.returncode == 1
    line = one_error(proc)
    assert "--title" in line and "--editor" in line and "STARTED" not in proc.stderr
    assert snapshot(repo) == before


def test_edit_editor_flag_opens_the_editor_off_a_terminal(run, repo):
    issue_id = run("new", "Quiet").stdout.strip()
    run("edit", issue_id, "--editor", env={"GIT_EDITOR": "sed -i 's/^title: Quiet$/title: Loud/'"})
    assert load(repo, issue_id)["title"] == "Loud"
    assert run("edit", issue_id, "--editor", "--title", "x", check=False).returncode == 2


# --- the names gh users type ----------------------------------------------------------

def test_gh_names_run_our_commands_and_are_listed_once(run, repo):
    issue_id = run("create", "Made with create").stdout.strip()
    assert issue_id in run("list").stdout
    assert "Made with create" in run("view", issue_id).stdout
    run("update", issue_id, "--title", "Renamed")
    assert load(repo, issue_id)["title"] == "Renamed"
    listing = run("-h").stdout
    for alias in ("create", "list", "view", "update"):
        assert f"  {alias} " not in listing
    assert "  new " in listing and "  ls " in listing


def test_delete_gives_a_hint_naming_rm(run, repo):
    proc = run("delete", "abcd", check=False)
    assert proc.returncode == 2 and "git issues rm ID" in proc.stderr


def test_comma_separated_labels_add_each(run, repo):
    issue_id = run("new", "Two labels", "-l", "a,b", "-l", "c").stdout.strip()
    assert load(repo, issue_id)["labels"] == ["a", "b", "c"]
    run("edit", issue_id, "-l", "d,e", "-L", "a,b")
    assert load(repo, issue_id)["labels"] == ["c", "d", "e"]
    assert run("ls", "-l", "c,d").stdout.startswith(issue_id)


def test_a_title_starting_with_a_dash(run, repo):
    proc = run("new", "- x", check=False)
    assert proc.returncode == 2 and "after '--'" in proc.stderr
    assert not (repo / ISSUES).exists()
    issue_id = run("new", "--", "- x").stdout.strip()
    assert load(repo, issue_id)["title"] == "- x"


# --- longer lists ----------------------------------------------------------------------

def many(repo: Path, count: int) -> None:
    """``count`` open issues written directly (fast), one a day from 2026-01-01."""
    folder = repo / ISSUES
    folder.mkdir(exist_ok=True)
    import datetime as dt

    for n in range(count):
        day = (dt.date(2026, 1, 1) + dt.timedelta(days=n)).isoformat()
        labels = "labels:\n- wontfix\n" if n % 10 == 0 else ""
        (folder / f"m{n:07d}.yml").write_text(
            f"id: m{n:07d}\ntitle: Issue number {n}\nstatus: open\npriority: {n % 5}\n"
            f"{labels}created: '{day}T00:00:00Z'\n")


def test_ls_on_a_terminal_shows_a_header_a_count_and_30_rows(repo):
    many(repo, 45)
    code, screen = on_terminal(repo, "ls", env={"NO_COLOR": "1", "LINES": "200"})
    assert code == 0, screen
    assert "Showing 30 of 45 open issues" in screen
    header = next(line for line in screen.splitlines() if line.startswith("ID"))
    assert header.split() == ["ID", "STATUS", "PRI", "TITLE", "LABELS", "ASSIGNEES", "CREATED"]
    assert sum("Issue number" in line for line in screen.splitlines()) == 30
    code, screen = on_terminal(repo, "ls", "-n", "0", env={"NO_COLOR": "1", "LINES": "200"})
    assert "Showing 45 of 45 open issues" in screen
    assert sum("Issue number" in line for line in screen.splitlines()) == 45


def test_a_count_uses_thousands_separators(repo):
    many(repo, 1200)
    code, screen = on_terminal(repo, "ls", env={"NO_COLOR": "1", "LINES": "200"})
    assert "Showing 30 of 1,200 open issues" in screen


def test_a_long_listing_goes_through_gits_pager(repo, tmp_path):
    many(repo, 45)
    paged = tmp_path / "paged.txt"
    code, screen = on_terminal(repo, "ls", "-n", "0",
                               env={"NO_COLOR": "1", "LINES": "20", "GIT_PAGER": f"cat > {paged}"})
    assert code == 0, screen
    assert "Showing 45 of 45" in paged.read_text() and "Issue number 0" in paged.read_text()
    assert "Issue number 0 " not in screen


def test_piped_ls_is_plain_tsv_without_header_or_limit(run, repo):
    many(repo, 45)
    lines = run("ls").stdout.splitlines()
    assert len(lines) == 45 and all(len(line.split("\t")) == 7 for line in lines)
    assert not any(line.startswith(("ID", "Showing")) for line in lines)


@pytest.mark.parametrize(("args", "count"), [
    (("-p", "0"), 9), (("-p", "P0-P1"), 18), (("--priority", "0-1"), 18),
    (("--since", "2026-02-01"), 14), (("--until", "2026-01-10"), 10),
    (("--since", "2026-01-05T00:00:00Z", "--until", "2026-01-06"), 2),
    (("-l", "~wontfix"), 40), (("-l", "wontfix"), 5), (("--no-label",), 40),
])
def test_new_filters(run, repo, args, count):
    many(repo, 45)
    assert len(run("ls", *args).stdout.splitlines()) == count


@pytest.mark.parametrize("args", [
    ("-p", "5"), ("-p", "2-1"), ("-p", "high"), ("--since", "yesterday"),
    ("--until", "2026-13-01"), ("-s", "bogus"), ("--sort", "bogus"), ("-n", "-1"),
])
def test_bad_listing_options_are_usage_errors(run, repo, args):
    many(repo, 3)
    proc = run("ls", *args, check=False)
    assert proc.returncode == 2 and proc.stdout == "", proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("Error: ")


# --- templates ---------------------------------------------------------------------------

def test_init_writes_templates_and_new_uses_one(run, repo):
    run("init", "--no-hooks")
    assert {p.name for p in (repo / ISSUES / "templates").iterdir()} == {"bug.yml",
                                                                        "feature.yml"}
    assert ".issues/templates/bug.yml" in git(repo, "diff", "--cached", "--name-only")
    issue_id = run("new", "--template", "bug", "Crash on start", "-l", "ui").stdout.strip()
    data = load(repo, issue_id)
    assert data["title"] == "Bug: Crash on start"
    assert data["labels"] == ["bug", "ui"]
    assert "## Steps to reproduce" in data["body"]
    assert run("check").stdout == ""


def test_a_template_assigns_several_people_and_reads_the_first_format(run, repo):
    """Issues have a list of assignees; a template written with the first format's
    single ``assignee`` still works, and ``-a`` replaces the template's people."""
    run("init", "--no-hooks")
    folder = repo / ISSUES / "templates"
    (folder / "triage.yml").write_text("assignees:\n- ann@example.com\n- bob@example.com\n")
    (folder / "old.yml").write_text("assignee: carol@example.com\n")
    issue_id = run("new", "-T", "triage", "Two people").stdout.strip()
    assert load(repo, issue_id)["assignees"] == ["ann@example.com", "bob@example.com"]
    issue_id = run("new", "-T", "old", "One person").stdout.strip()
    assert load(repo, issue_id)["assignees"] == ["carol@example.com"]
    issue_id = run("new", "-T", "triage", "Given", "-a", "dan@example.com").stdout.strip()
    assert load(repo, issue_id)["assignees"] == ["dan@example.com"]
    (folder / "bad.yml").write_text("assignees: ann@example.com\n")
    proc = run("check", check=False)
    assert proc.returncode == 1
    assert proc.stdout.strip() == (".issues/templates/bad.yml: assignees must be a list")


def test_templates_are_offered_when_new_opens_the_editor(run, repo, tmp_path):
    run("init", "--no-hooks")
    editor = editor_typing(tmp_path, "Login fails\n")
    code, screen = on_terminal(repo, "new", env={"GIT_EDITOR": editor}, typed="1\n")
    assert code == 0, screen
    assert "1. bug" in screen and "2. feature" in screen and "3. blank issue" in screen
    (issue,) = (p for p in (repo / ISSUES).glob("*.yml") if p.name != "config.yml")
    data = yaml.safe_load(issue.read_text())
    assert data["title"].startswith("Login fails") and data["labels"] == ["bug"]


def test_new_with_an_unknown_or_broken_template_writes_nothing(run, repo):
    run("init", "--no-hooks")
    before = snapshot(repo)
    proc = run("new", "--template", "nope", "X", check=False)
    assert proc.returncode == 1 and "templates: bug, feature" in one_error(proc)
    (repo / ISSUES / "templates" / "broken.yml").write_text("labels: notalist\ncolour: red\n")
    proc = run("new", "--template", "broken", "X", check=False)
    assert proc.returncode == 1 and "broken.yml" in one_error(proc)
    proc = run("new", "--template", "../config", "X", check=False)
    assert proc.returncode == 1
    after = snapshot(repo)
    after.pop(".issues/templates/broken.yml")
    assert after == before


def test_check_names_a_broken_template(run, repo):
    run("init", "--no-hooks")
    (repo / ISSUES / "templates" / "broken.yml").write_text("title: [unclosed\n")
    proc = run("check", check=False)
    assert proc.returncode == 1
    (line,) = proc.stdout.splitlines()
    assert line.startswith(".issues/templates/broken.yml: ")
    git(repo, "add", ".issues/templates/broken.yml")
    proc = run("check", "--staged", check=False)
    assert proc.returncode == 1 and ".issues/templates/broken.yml" in proc.stdout


# --- commits that mention issues ----------------------------------------------------------

def commit(repo: Path, message: str, branch: str | None = None) -> str:
    if branch:
        git(repo, "checkout", "-q", "-B", branch)
    (repo / "code.txt").write_text(message)
    git(repo, "add", "code.txt")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "--short", "HEAD").strip()


def test_show_lists_commits_that_name_the_issue(run, repo):
    issue_id = run("new", "Pager resize").stdout.strip()
    other = run("new", "Another").stdout.strip()
    git(repo, "commit", "-q", "-m", "issues")
    fixed = commit(repo, f"Fix pager resize\n\nFixes: {issue_id}")
    prefix = commit(repo, f"Tidy the pager\n\nRefs: {issue_id[:4]}", branch="side")
    in_text = commit(repo, f"Mention {issue_id} in passing")
    commit(repo, f"About the other one\n\nRefs: {other}")
    commit(repo, f"Not a trailer: {issue_id[:5]} in text")
    shown = run("show", issue_id).stdout
    assert f'Referenced by {fixed} "Fix pager resize" on main' in shown
    assert f'Referenced by {prefix} "Tidy the pager" on side' in shown
    assert f"Referenced by {in_text} " in shown
    assert shown.count("Referenced by") == 3


def test_the_mention_search_reads_the_created_time_and_leaves_no_process(run, repo):
    """show starts git log before the freshness check; leaving the block early
    (a broken file, Ctrl-C) must not leave git running."""
    import os

    from git_issues.ops.commits import MentionSearch, created_in

    issue_id = run("new", "Pager resize").stdout.strip()
    created = yaml.safe_load((repo / ".issues" / f"{issue_id}.yml").read_text())["created"]
    assert created_in(repo / ".issues" / f"{issue_id}.yml") == created
    assert created_in(repo / ".issues" / "missing.yml") is None
    with MentionSearch(repo, issue_id, created) as search:
        pid = search.proc.pid
    assert search.proc.returncode is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_close_with_a_commit_names_it_in_a_comment(run, repo):
    issue_id = run("new", "Pager resize").stdout.strip()
    sha = commit(repo, "Fix pager resize")
    run("close", issue_id, "--commit", "HEAD", "-m", "Thanks!")
    data = load(repo, issue_id)
    assert data["status"] == "closed"
    assert data["comments"][0]["body"] == f'Closed by commit {sha} "Fix pager resize"\n\nThanks!\n'


def test_close_with_a_bad_commit_writes_nothing(run, repo):
    issue_id = run("new", "Pager resize").stdout.strip()
    before = snapshot(repo)
    for rev in ("no-such-rev", "HEAD:README", "--all"):
        proc = run("close", issue_id, "--commit", rev, check=False)
        assert proc.returncode == 1 and "--commit" in one_error(proc)
    assert snapshot(repo) == before


# --- small things --------------------------------------------------------------------------

def test_dash_h_shows_each_commands_whole_first_line(run):
    listing = run("-h").stdout.split("Commands:")[1]
    assert "..." not in listing
    assert "Change fields of an issue; with no option, edit its YAML in your editor." in \
        " ".join(listing.split())


def complete(run, words: str) -> list[str]:
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    proc = run(env={"_GIT_ISSUES_COMPLETE": "bash_complete", "COMP_WORDS": words,
                    "COMP_CWORD": cword})
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines()]


def test_labels_statuses_assignees_and_milestones_complete_from_the_index(run, repo):
    run("new", "One", "-l", "bug,ui", "-a", "carol@example.com", "-a", "cid@example.com",
        "-M", "v2.0")
    run("new", "Two", "-M", "v1.0")
    run("ls")  # builds the index
    assert complete(run, "git-issues ls -l ") == ["bug", "ui"]
    assert complete(run, "git-issues ls -l ~b") == ["~bug"]
    assert complete(run, "git-issues new -l u") == ["ui"]
    assert complete(run, "git-issues ls -s ") == ["open", "closed", "all"]
    assert complete(run, "git-issues edit x -s c") == ["closed"]
    assert complete(run, "git-issues ls -a c") == ["carol@example.com", "cid@example.com"]
    assert complete(run, "git-issues ls -M v") == ["v1.0", "v2.0"]
    assert complete(run, "git-issues edit x -M v2") == ["v2.0"]


def test_the_guides_in_progress_example_says_how_to_add_the_status(run, repo):
    issue_id = run("new", "Working").stdout.strip()
    proc = run("edit", issue_id, "-s", "in-progress", check=False)
    assert proc.returncode == 1 and "in-progress: open" in one_error(proc)
    guide = (Path(__file__).resolve().parent.parent / "docs" / "guide.md").read_text()
    example = guide.index("edit 4k7 -s in-progress")
    assert "in-progress: open" in guide[example: example + 1500]


def test_conflict_markers_name_the_branches_as_gits_do(run, repo):
    run("init", "--no-hooks")
    assert git(repo, "config", "merge.git-issues.driver").strip().endswith("%L %S %X %Y")
    issue_id = run("new", "Original").stdout.strip()
    git(repo, "commit", "-q", "-m", "issue")
    git(repo, "checkout", "-q", "-b", "side")
    run("edit", issue_id, "--title", "Side title")
    git(repo, "commit", "-q", "-m", "side")
    git(repo, "checkout", "-q", "main")
    run("edit", issue_id, "--title", "Main title")
    git(repo, "commit", "-q", "-m", "main")
    git(repo, "merge", "side", check=False)
    text = (repo / ISSUES / f"{issue_id}.yml").read_text()
    assert "<<<<<<< HEAD\ntitle: Main title\n=======\ntitle: Side title\n>>>>>>> side\n" in text
    git(repo, "merge", "--abort")
    git(repo, "config", "merge.conflictStyle", "diff3")
    git(repo, "merge", "side", check=False)
    base = git(repo, "rev-parse", "--short", "main~1").strip()
    assert f"||||||| {base}\ntitle: Original\n" in (repo / ISSUES / f"{issue_id}.yml").read_text()


def test_an_old_driver_registration_is_upgraded(run, repo):
    run("init", "--no-hooks")
    git(repo, "config", "merge.git-issues.driver", "git-issues merge-driver %O %A %B %P")
    run("new", "Heals")
    assert git(repo, "config", "merge.git-issues.driver").strip().endswith("%L %S %X %Y")


NEW_OPTIONS = {"new": ["--template", "-T"], "ls": ["--no-label", "--since", "--until", "-p"],
               "close": ["--commit"], "edit": ["--editor", "-e"]}


@pytest.mark.parametrize("command", sorted(NEW_OPTIONS))
def test_new_options_are_in_the_help_the_guide_and_the_man_page(run, command):
    root = Path(__file__).resolve().parent.parent
    guide = (root / "docs" / "guide.md").read_text()
    page = (root / "git_issues" / "man" / "git-issues.1").read_text().replace("\\-", "-")
    helped = run(command, "-h").stdout
    for option in NEW_OPTIONS[command]:
        assert option in helped, (command, option)
        assert f"git issues {command}" in guide and option in guide, (command, option)
        assert option in page, (command, option)
    for alias in ("create", "list", "view", "update", "delete"):
        assert f"git issues {alias}" in guide
        assert f"\\fB{alias}\\fR" in (root / "git_issues" / "man" / "git-issues.1").read_text()
