"""``log``: an issue's history from real commits, field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

BOB = {"GIT_AUTHOR_NAME": "Bob Dev", "GIT_AUTHOR_EMAIL": "bob@example.com"}


def commit(repo: Path, message: str, env: dict[str, str] | None = None) -> str:
    import os
    import subprocess

    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, check=True,
                   env={**os.environ, **(env or {})})
    return git(repo, "rev-parse", "HEAD").strip()


def entries(text: str) -> list[list[str]]:
    """The log split into entries (blank-line separated), each a list of lines."""
    return [block.splitlines() for block in text.strip().split("\n\n")]


def test_log_across_commits_with_a_rename_and_a_close(run, repo):
    issue_id = run("new", "Engine leaks", "-l", "bug").stdout.strip()
    first = commit(repo, "Track the leak")
    run("edit", issue_id, "--title", "Engine leaks fds")
    second = commit(repo, "Say what leaks", BOB)
    run("close", issue_id, "-m", "Fixed in 1a2b.")
    third = commit(repo, "Close the leak")
    run("edit", issue_id, "-l", "regression")  # staged
    path = repo / ".issues" / f"{issue_id}.yml"
    path.write_text(path.read_text() + "priority: 3\n")  # not staged

    log = entries(run("log", issue_id[:4]).stdout)
    assert log[0] == ["Not staged (work tree)", "  priority (none) → P3"]
    assert log[1] == ["Staged, not committed", "  labels +regression"]
    head, subject, *changes = log[2]
    assert head.startswith(f"commit {third[:10]}") and head.endswith("Ada Tester <ada@example.com>")
    assert subject == "    Close the leak"
    assert changes == ["  closed", '  comment by Ada Tester <ada@example.com>: "Fixed in 1a2b."']
    assert log[3] == [log[3][0], "    Say what leaks",
                      '  retitled "Engine leaks" → "Engine leaks fds"']
    assert log[3][0].startswith(f"commit {second[:10]}") and log[3][0].endswith(
        "Bob Dev <bob@example.com>")
    assert log[4][0].startswith(f"commit {first[:10]}")
    assert log[4][2:] == ['  opened "Engine leaks" by Ada Tester <ada@example.com>: labels bug']
    assert len(log) == 5


def test_log_json(run, repo):
    issue_id = run("new", "Json history", "-p", "1").stdout.strip()
    first = commit(repo, "add")
    run("edit", issue_id, "-p", "0", "-a", "carol@example.com")
    data = json.loads(run("log", issue_id, "--json").stdout)
    assert [e["state"] for e in data] == ["staged", "committed"]
    assert data[0]["commit"] is None
    assert {(c["type"], c["field"]) for c in data[0]["changes"]} == {
        ("priority", "priority"), ("assignees", "assignees")}
    by_field = {c["field"]: c for c in data[0]["changes"]}
    assert (by_field["priority"]["from"], by_field["priority"]["to"]) == (1, 0)
    assert by_field["assignees"]["added"] == ["carol@example.com"]
    assert data[1]["commit"] == first and data[1]["author"] == "Ada Tester <ada@example.com>"
    assert data[1]["changes"] == [{
        "type": "opened", "title": "Json history", "status": "open", "priority": 1,
        "labels": [], "assignees": [], "milestone": None, "origin": {},
        "author": "Ada Tester <ada@example.com>"}]


def test_log_of_an_uncommitted_issue(run, repo):
    issue_id = run("new", "Fresh").stdout.strip()
    assert entries(run("log", issue_id).stdout) == [
        ["Staged, not committed", '  opened "Fresh" by Ada Tester <ada@example.com>']]


def test_log_reports_a_broken_version_and_goes_on(run, repo):
    issue_id = run("new", "Sturdy").stdout.strip()
    commit(repo, "add")
    path = repo / ".issues" / f"{issue_id}.yml"
    good = path.read_text()
    path.write_text(good.replace("status: open", "status: [open"))
    git(repo, "add", "-A")
    broken = commit(repo, "break it")
    path.write_text(good.replace("Sturdy", "Sturdier"))
    git(repo, "add", "-A")
    commit(repo, "fix it")
    proc = run("log", issue_id)
    log = entries(proc.stdout)
    assert log[0][1:] == ["    fix it", '  retitled "Sturdy" → "Sturdier"']
    assert log[1][0].startswith(f"commit {broken[:10]}")
    assert log[1][2].startswith(f"  ! not a valid issue: .issues/{issue_id}.yml at ")
    assert "invalid YAML" in log[1][2]
    assert len(log) == 3


def test_log_through_a_merge(run, repo):
    issue_id = run("new", "Merged", "-m", "body").stdout.strip()
    commit(repo, "add")
    git(repo, "checkout", "-q", "-b", "side")
    run("edit", issue_id, "-l", "from-side")
    side = commit(repo, "label on side", BOB)
    git(repo, "checkout", "-q", "main")
    run("edit", issue_id, "--title", "Merged on main")
    main = commit(repo, "title on main")
    git(repo, "merge", "-q", "--no-edit", "side")
    merge = git(repo, "rev-parse", "HEAD").strip()
    text = run("log", issue_id).stdout
    assert f"commit {side[:10]}" in text and "labels +from-side" in text
    assert f"commit {main[:10]}" in text and '"Merged" → "Merged on main"' in text
    assert merge[:10] not in text  # a clean merge made no change of its own
    assert text.count("labels +from-side") == 1


def test_log_shows_a_conflict_resolved_in_the_merge(run, repo):
    issue_id = run("new", "Title").stdout.strip()
    commit(repo, "add")
    git(repo, "checkout", "-q", "-b", "side")
    run("edit", issue_id, "--title", "Side title")
    commit(repo, "side")
    git(repo, "checkout", "-q", "main")
    run("edit", issue_id, "--title", "Main title")
    commit(repo, "main")
    git(repo, "merge", "-q", "side", check=False)  # conflicts on the title line
    path = repo / ".issues" / f"{issue_id}.yml"
    text = path.read_text()
    start, end = text.index("<<<<<<<"), text.index(">>>>>>> side\n") + len(">>>>>>> side\n")
    path.write_text(text[:start] + "title: Agreed title\n" + text[end:])
    git(repo, "add", "-A")
    merge = commit(repo, "merge side")
    log = entries(run("log", issue_id).stdout)
    assert log[0][0].startswith(f"commit {merge[:10]}")
    assert log[0][2:] == ['  retitled "Main title" → "Agreed title"']


def test_log_of_a_deleted_issue(run, repo):
    issue_id = run("new", "Short lived").stdout.strip()
    commit(repo, "add")
    git(repo, "rm", "-q", f".issues/{issue_id}.yml")
    gone = commit(repo, "drop it")
    log = entries(run("log", issue_id).stdout)
    assert log[0][0].startswith(f"commit {gone[:10]}")
    assert log[0][2:] == ["  deleted (the file was removed)"]
    proc = run("log", issue_id[:4], check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")


def test_log_of_an_id_that_never_existed(run, repo):
    proc = run("log", "zzzz9999", check=False)
    assert proc.returncode == 1
    assert proc.stderr == "error: no issue 'zzzz9999' in the work tree or in git's history\n"


def test_log_of_comments_edited_and_removed(run, repo):
    issue_id = run("new", "Talk").stdout.strip()
    run("comment", issue_id, "-m", "first")
    run("comment", issue_id, "-m", "second")
    commit(repo, "talk")
    path = repo / ".issues" / f"{issue_id}.yml"
    text = path.read_text()
    path.write_text(text.replace("body: first", "body: first, edited"))
    log = entries(run("log", issue_id).stdout)
    assert log[0] == ["Not staged (work tree)",
                      '  comment edited by Ada Tester <ada@example.com>: "first, edited"']
