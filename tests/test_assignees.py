"""Several assignees, milestones, deleting issues and editing or deleting comments,
from the installed command as a user types them, and through real git merges."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import time
from pathlib import Path

import click
import pytest
from conftest import GIT_ISSUES, git
from helpers import ids, load, new, snapshot
from test_lifecycle import assert_one_error, editor_script
from test_merge import path_of, read, two_branches

from git_issues.core.model import Issue

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run


def answer_on_terminal(repo: Path, args: list[str], answer: str) -> tuple[int, str]:
    """Run git-issues on a pseudo-terminal and type ``answer`` at its prompt."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "dumb", "COLUMNS": "100"}
    proc = subprocess.Popen([GIT_ISSUES, *args], cwd=repo, stdin=follower, stdout=follower,
                            stderr=follower, env=env, close_fds=True)
    os.close(follower)
    screen = b""
    try:
        deadline = time.monotonic() + 60
        while b"[y/N]" not in screen and time.monotonic() < deadline:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        os.write(leader, answer.encode() + b"\n")
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(leader)
        code = proc.wait(timeout=60)
    return code, screen.decode("utf-8", "replace").replace("\r\n", "\n")


# --- assignees and milestones on new, edit, show ---------------------------------------


def test_new_and_edit_take_several_assignees_and_a_milestone(run, repo):
    issue_id = new(run, "Shared", "-a", "bob@example.com", "-a", "@me", "-a", "bob@example.com",
                   "-M", "v1.0")
    data = load(repo, issue_id)
    assert data["assignees"] == ["bob@example.com", "ada@example.com"]
    assert data["milestone"] == "v1.0"
    assert "milestone: v1.0\n" in (repo / ".issues" / f"{issue_id}.yml").read_text()

    run("edit", issue_id, "-a", "carol", "-A", "@me", "--milestone", "v2")
    data = load(repo, issue_id)
    assert data["assignees"] == ["bob@example.com", "carol"] and data["milestone"] == "v2"

    shown = run("show", issue_id).stdout
    assert "assignees: bob@example.com, carol\n" in shown and "milestone: v2\n" in shown
    as_json = json.loads(run("show", issue_id, "--json").stdout)
    assert as_json["assignees"] == ["bob@example.com", "carol"]

    run("edit", issue_id, "-a", "", "-a", "dan", "-M", "")  # '' empties the list, then dan
    data = load(repo, issue_id)
    assert data["assignees"] == ["dan"] and "milestone" not in data
    run("edit", issue_id, "--remove-assignee", "dan")
    assert "assignees" not in load(repo, issue_id)


def test_an_edit_of_a_first_format_file_rewrites_only_the_assignee_line(run, repo):
    path = repo / ".issues" / "abcd1234.yml"
    path.parent.mkdir()
    path.write_text("id: abcd1234\ntitle: Old\nstatus: open\npriority: 2\n"
                    "assignee: bob@example.com\ncreated: '2026-11-26T12:00:00Z'\nbody: Text\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first format")
    assert "bob@example.com" in run("ls", "-a", "bob").stdout
    run("edit", "abcd", "-p", "1")
    diff = git(repo, "diff", "--cached", "-U0").splitlines()
    changed = sorted(line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    assert changed == ["+- bob@example.com", "+assignees:", "+priority: 1",
                       "-assignee: bob@example.com", "-priority: 2"]


@pytest.mark.parametrize(("args", "words"), [
    (("edit", "{id}", "-A", "zed"), ("--remove-assignee", "zed", "bob")),
    (("edit", "{id}", "-a", "two\nlines"), ("--assignee", "single line")),
    (("edit", "{id}", "-a", " padded"), ()),  # stripped, so this one is fine: see below
    (("edit", "{id}", "-M", "a\tb\x1b[31m"), ("--milestone", "control")),
    (("edit", "{id}", *[a for i in range(10) for a in ("-a", f"p{i}")]), ("at most 10",)),
    (("new", "Too many", *[a for i in range(11) for a in ("-a", f"p{i}")]), ("at most 10",)),
    (("new", "Bad", "-M", "x\ny"), ("--milestone", "single line")),
])
def test_bad_assignees_and_milestones_are_one_line_and_write_nothing(run, repo, args, words):
    issue_id = new(run, "Target", "-a", "bob")
    before = snapshot(repo)
    proc = run(*(a.format(id=issue_id) for a in args), check=False)
    if not words:
        assert proc.returncode == 0 and load(repo, issue_id)["assignees"] == ["bob", "padded"]
        return
    assert_one_error(proc, *words)
    assert snapshot(repo) == before


def test_ten_assignees_is_the_limit(run, repo):
    people = [a for i in range(10) for a in ("-a", f"p{i}")]
    issue_id = new(run, "Crowded", *people)
    assert len(load(repo, issue_id)["assignees"]) == 10


# --- ls and milestones -----------------------------------------------------------------


@pytest.fixture
def planned(run, repo):
    """Four issues over two milestones; returns their ids by name."""
    made = {
        "both": new(run, "Both", "-a", "alice@example.com", "-a", "bob@example.com", "-M", "v1"),
        "bob": new(run, "Bob only", "-a", "bob@example.com", "-M", "v1"),
        "later": new(run, "Later", "-M", "Beta 2"),
        "none": new(run, "Nobody"),
    }
    run("close", made["bob"])
    return made


def test_ls_filters_by_any_assignee_and_by_milestone(run, planned):
    assert set(ids(run("ls", "-s", "all", "-a", "bob"))) == {planned["both"], planned["bob"]}
    assert ids(run("ls", "-a", "alice")) == [planned["both"]]
    assert ids(run("ls", "-a", "nobody@example.com")) == []
    assert ids(run("ls", "-M", "v1")) == [planned["both"]]
    assert set(ids(run("ls", "-s", "all", "-M", "v1"))) == {planned["both"], planned["bob"]}
    assert ids(run("ls", "-M", "Beta 2")) == [planned["later"]]
    assert ids(run("ls", "-M", "")) == [planned["none"]]
    line = next(x for x in run("ls").stdout.splitlines() if x.startswith(planned["both"]))
    assert "\talice@example.com, bob@example.com\t" in line
    listed = json.loads(run("ls", "-M", "v1", "--json").stdout)
    assert listed[0]["assignees"] == ["alice@example.com", "bob@example.com"]
    assert listed[0]["milestone"] == "v1"


def test_milestones_lists_each_with_open_and_closed_counts(run, planned):
    assert run("milestones").stdout == "Beta 2\t1\t0\nv1\t1\t1\n"
    assert json.loads(run("milestones", "--json").stdout) == [
        {"milestone": "Beta 2", "open": 1, "closed": 0},
        {"milestone": "v1", "open": 1, "closed": 1}]


def test_milestones_on_a_terminal_is_an_aligned_table(repo, run, planned):
    from conftest import on_terminal

    code, screen = on_terminal(repo, "milestones", env={})
    assert code == 0
    lines = click.unstyle(screen).splitlines()
    assert lines[0].split() == ["MILESTONE", "OPEN", "CLOSED"]
    assert lines[1].split() == ["Beta", "2", "1", "0"] and lines[2].split() == ["v1", "1", "1"]
    assert len({len(line) for line in lines}) == 1  # every column lines up


def test_milestones_without_any(run, repo):
    new(run, "No milestone")
    proc = run("milestones")
    assert proc.stdout == "" and proc.returncode == 0


# --- rm ----------------------------------------------------------------------------------


def test_rm_needs_yes_off_a_terminal_and_then_removes_the_file_and_its_links(run, repo):
    gone = new(run, "To delete")
    blocker = new(run, "Blocks it")
    related = new(run, "Related to it")
    run("link", blocker, "--blocks", gone)
    run("link", related, "--related", gone)
    run("link", gone, "--blocked-by", related)  # stored in the deleted file: goes with it
    git(repo, "commit", "-q", "-m", "three issues")
    before = snapshot(repo)

    refused = run("rm", gone[:5], check=False)
    assert_one_error(refused, "--yes")
    assert snapshot(repo) == before

    proc = run("rm", gone[:5], "--yes")
    assert not (repo / ".issues" / f"{gone}.yml").exists()
    status = git(repo, "status", "--porcelain").splitlines()
    assert f"D  .issues/{gone}.yml" in status  # staged, as git rm stages it
    assert f"M  .issues/{blocker}.yml" in status and f"M  .issues/{related}.yml" in status
    assert "links" not in load(repo, blocker) and "links" not in load(repo, related)
    assert f"from {blocker}" in proc.stderr and f"from {related}" in proc.stderr
    assert run("check").returncode == 0
    assert gone not in run("ls", "-s", "all").stdout
    assert_one_error(run("show", gone, check=False), "no issue matches")


def test_rm_of_a_new_uncommitted_issue_removes_it_like_git_rm_f(run, repo):
    staged = new(run, "Staged only")
    proc = run("rm", staged, "-y")
    assert "Deleted issue" in proc.stderr
    assert git(repo, "status", "--porcelain") == ""
    hand = repo / ".issues" / "hand1234.yml"
    hand.parent.mkdir(exist_ok=True)  # git rm took the emptied folder away, as it does
    hand.write_text("id: hand1234\ntitle: Never added\nstatus: open\n"
                    "created: '2026-11-26T12:00:00Z'\n")
    run("rm", "hand", "--yes")
    assert not hand.exists()


def test_rm_asks_on_a_terminal(run, repo):
    issue_id = new(run, "Ask me")
    code, screen = answer_on_terminal(repo, ["rm", issue_id], "n")
    assert code == 1 and "never committed" in screen and "aborted" in screen
    assert (repo / ".issues" / f"{issue_id}.yml").exists()
    git(repo, "commit", "-q", "-m", "keep")
    code, screen = answer_on_terminal(repo, ["rm", issue_id], "y")
    assert code == 0 and "never committed" not in screen, screen
    assert not (repo / ".issues" / f"{issue_id}.yml").exists()


def test_rm_of_an_unknown_or_ambiguous_id_is_one_line(run, repo):
    new(run, "Exists")
    assert_one_error(run("rm", "zzzz", "--yes", check=False), "no issue matches")
    assert run("rm", "--yes", check=False).returncode == 2


# --- comment --edit / --delete -------------------------------------------------------------


@pytest.fixture
def discussed(run, repo):
    issue_id = new(run, "Discussed")
    run("comment", issue_id, "-m", "First thought.")
    run("comment", issue_id, "-m", "Second thought.")
    git(repo, "commit", "-q", "-m", "discussed")
    return issue_id, [c["id"] for c in load(repo, issue_id)["comments"]]


def test_comment_edit_by_prefix_keeps_id_author_and_date(run, repo, discussed):
    issue_id, (first, second) = discussed
    before = load(repo, issue_id)["comments"]
    proc = run("comment", issue_id, "--edit", first[:3], "-m", "# Better thought\n\nDone.")
    assert f"Edited comment {first}" in proc.stderr
    after = load(repo, issue_id)["comments"]
    assert after[0] == {**before[0], "body": "# Better thought\n\nDone.\n"}
    assert after[1] == before[1]
    assert "comment edited" in run("diff").stdout


def test_comment_edit_in_the_editor_starts_from_the_text(run, repo, discussed, tmp_path):
    from conftest import on_terminal

    issue_id, (first, _) = discussed
    editor = editor_script(tmp_path, """
        text = open(path).read()
        assert text == "First thought.", repr(text)
        open(path, "w").write("# Heading kept\\nFirst thought, revised.\\n")
    """)
    code, screen = on_terminal(repo, "comment", issue_id, "--edit", first,
                               env={"GIT_EDITOR": editor})
    assert code == 0, screen
    body = load(repo, issue_id)["comments"][0]["body"]
    assert body == "# Heading kept\nFirst thought, revised.\n"


def test_comment_edit_keeps_the_text_when_the_file_changed_meanwhile(run, repo, discussed,
                                                                   tmp_path):
    from conftest import on_terminal

    issue_id, (first, _) = discussed
    # The editor session outlives a write by another command: nothing typed may be lost.
    editor = editor_script(tmp_path, f"""
        import subprocess
        subprocess.run([{GIT_ISSUES!r}, "comment", {issue_id!r}, "-m", "Meanwhile."],
                       check=True)
        open(path, "w").write("My careful rewrite.\\n")
    """)
    code, screen = on_terminal(repo, "comment", issue_id, "--edit", first,
                               env={"GIT_EDITOR": editor})
    assert code == 1 and "changed by someone else" in screen
    kept = screen.split("your text is in ")[1].split()[0]
    assert Path(kept).read_text() == "My careful rewrite.\n"
    comments = load(repo, issue_id)["comments"]
    assert comments[0]["body"] == "First thought." and comments[-1]["body"] == "Meanwhile."


def test_comment_delete(run, repo, discussed):
    issue_id, (first, second) = discussed
    proc = run("comment", issue_id, "--delete", second)
    assert f"Deleted comment {second}" in proc.stderr
    assert [c["id"] for c in load(repo, issue_id)["comments"]] == [first]
    run("comment", issue_id, "--delete", first)
    assert "comments" not in load(repo, issue_id)


def test_bad_comment_ids_and_combinations_write_nothing(run, repo, discussed):
    issue_id, (first, second) = discussed
    before = snapshot(repo)
    assert_one_error(run("comment", issue_id, "--delete", "zz", check=False),
                     "no comment 'zz'", first, second)
    assert_one_error(run("comment", issue_id, "--edit", "-", "-m", "x", check=False),
                     "no comment")
    assert_one_error(run("comment", issue_id, "--edit", first, "-m", "  ", check=False),
                     "empty")
    assert_one_error(run("comment", issue_id, "--edit", first, check=False), "-m")
    for args in (("--edit", first, "--delete", first), ("--delete", first, "-m", "x")):
        proc = run("comment", issue_id, *args, check=False)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert snapshot(repo) == before


def test_an_ambiguous_comment_prefix_names_the_candidates(run, repo):
    path = repo / ".issues" / "abcd1234.yml"
    path.parent.mkdir()
    path.write_text("id: abcd1234\ntitle: T\nstatus: open\ncreated: '2026-11-26T12:00:00Z'\n"
                    "comments:\n- id: aaaa1111\n  date: '2026-11-26T12:00:00Z'\n  body: one\n"
                    "- id: aaaa2222\n  date: '2026-11-26T12:00:00Z'\n  body: two\n")
    before = snapshot(repo)
    assert_one_error(run("comment", "abcd", "--delete", "aaaa", check=False),
                     "ambiguous", "aaaa1111", "aaaa2222")
    assert snapshot(repo) == before


# --- the merge driver --------------------------------------------------------------------


@pytest.fixture
def project(invoke, repo):
    assert invoke("init", "--no-hooks").exit_code == 0
    issue = Issue(id="first111", title="Shared work", status="open",
                  created="2026-11-26T12:00:00Z", assignees=["alice"], milestone="v1")
    path_of(repo, issue.id).write_text(_dump(issue))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "issue")
    return issue.id


def _dump(issue: Issue) -> str:
    from git_issues.fileformat.issuefile import dump_issue

    return dump_issue(issue)


def test_assignees_merge_as_a_set(project, repo):
    def ours(issue):
        issue.assignees.append("bob")

    def theirs(issue):
        issue.assignees.remove("alice")
        issue.assignees.append("carol")

    proc = two_branches(repo, ours, theirs, project)
    assert proc.returncode == 0, proc.stderr
    assert read(repo, project).assignees == ["bob", "carol"]


def test_a_milestone_changed_on_one_side_applies(project, repo):
    def ours(issue):
        issue.assignees.append("bob")

    def theirs(issue):
        issue.milestone = "v2"

    assert two_branches(repo, ours, theirs, project).returncode == 0
    merged = read(repo, project)
    assert (merged.milestone, merged.assignees) == ("v2", ["alice", "bob"])


def test_a_milestone_changed_two_ways_is_a_conflict_that_check_reports(project, run, repo):
    def to(name):
        def edit(issue):
            issue.milestone = name
            issue.assignees.append(name)  # the set merge still applies around the conflict
        return edit

    proc = two_branches(repo, to("v2"), to("v3"), project)
    assert proc.returncode != 0 and "milestone" in proc.stderr
    text = path_of(repo, project).read_text()
    assert "<<<<<<< HEAD\nmilestone: v2\n=======\nmilestone: v3\n>>>>>>> topic\n" in text
    assert "assignees:\n- alice\n- v2\n- v3\n" in text
    checked = run("check", check=False)
    assert checked.returncode == 1
    assert checked.stdout.startswith(f".issues/{project}.yml: unresolved merge conflict")


def test_a_first_format_base_merges_with_the_new_form(project, repo):
    """One branch still has the old 'assignee:' line; the other added a second person."""
    path = path_of(repo, project)
    old = path.read_text().replace("assignees:\n- alice\n", "assignee: alice\n")
    path.write_text(old)
    git(repo, "commit", "-q", "-am", "as an old client wrote it")

    def theirs(issue):
        issue.assignees.append("bob")

    def ours(issue):
        issue.title = "Shared work, renamed"

    assert two_branches(repo, ours, theirs, project).returncode == 0
    merged = read(repo, project)
    assert merged.assignees == ["alice", "bob"] and merged.title == "Shared work, renamed"
