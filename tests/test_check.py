"""``git issues check``: every kind of broken file is reported on one line, and only that."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git

from git_issues.core.model import Comment, Issue
from git_issues.fileformat.issuefile import dump_issue

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

T0 = "2026-11-26T12:00:00Z"
GOOD = "id: {id}\ntitle: Fine\nstatus: open\ncreated: '2026-11-26T12:00:00Z'\n"


def put(repo: Path, name: str, text: str | bytes) -> Path:
    path = repo / ".issues" / name
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


@pytest.fixture
def issues(invoke, repo):
    """An initialised repository holding one valid issue, 'good1111'."""
    assert invoke("init", "--no-hooks").exit_code == 0
    put(repo, "good1111.yml", dump_issue(Issue(
        id="good1111", title="Fine", status="closed", created=T0, closed=T0,
        comments=[Comment(id="cmt11111", date=T0, body="Hello.")])))
    return repo


def test_clean_files_are_silent(issues, run):
    proc = run("check")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_a_repository_without_issues_is_clean(run):
    assert run("check").stdout == ""


BROKEN = {
    "syntax": ("id: bad11111\ntitle: [unclosed\n", "invalid YAML at line 3"),
    "python tag": ("id: bad11111\ntitle: !!python/object/apply:os.system [ls]\n",
                   "invalid YAML"),
    "alias": (GOOD.format(id="bad11111") + "labels: &l [a, b]\nx-copy: *l\n",
              "aliases are not allowed"),
    "deep nesting": ("id: bad11111\nx: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper"),
    "too large": ("id: bad11111\nbody: '" + "x" * (1024 * 1024) + "'\n", "larger than"),
    "not utf-8": (b"id: bad11111\ntitle: caf\xe9\n", "not valid UTF-8"),
    "empty": ("", "file is empty"),
    "not a mapping": ("- a\n- b\n", "must be a mapping"),
    "missing field": ("id: bad11111\ntitle: Fine\nstatus: open\n",
                      "required field 'created' is missing"),
    "bad priority": (GOOD.format(id="bad11111") + "priority: 7\n", "priority must be 0 to 4"),
    "priority as text": (GOOD.format(id="bad11111") + "priority: P1\n",
                         "priority must be written as a number 0 to 4, not 'P1'"),
    "id and name": (GOOD.format(id="other111"), "id 'other111' does not match the file name"),
    "unknown status": (GOOD.format(id="bad11111").replace("open", "doing"),
                       "status 'doing' is not in .issues/config.yml (known: open, closed)"),
    "local time": (GOOD.format(id="bad11111").replace("'2026-11-26T12:00:00Z'",
                                                      "2026-11-26 12:00"),
                   "created '2026-11-26 12:00' is not a UTC time like"),
    "offset time": (GOOD.format(id="bad11111").replace("'2026-11-26T12:00:00Z'",
                                                       "2026-11-26T12:00:00+02:00"),
                    "is not a UTC time"),
    "future": (GOOD.format(id="bad11111").replace("2026", "2999"), "is in the future"),
    "not a date": (GOOD.format(id="bad11111").replace("'2026-11-26T12:00:00Z'", "soon"),
                   "created is not a timestamp"),
    "closed without time": (GOOD.format(id="bad11111").replace("open", "closed"),
                            "status 'closed' is closed but there is no 'closed' time"),
    "open with time": (GOOD.format(id="bad11111") + "closed: '2026-11-27T12:00:00Z'\n",
                       "'closed' is set but status 'open' is open"),
    "closed before created": (GOOD.format(id="bad11111").replace("open", "closed")
                              + "closed: '2026-11-25T12:00:00Z'\n",
                              "closed is earlier than created"),
    "dangling link": (GOOD.format(id="bad11111") + "links:\n  blocks:\n  - nosuch11\n",
                      "links.blocks: no issue 'nosuch11'"),
    "self link": (GOOD.format(id="bad11111") + "links:\n  related:\n  - bad11111\n",
                  "links.related: links the issue to itself"),
    "unknown link kind": (GOOD.format(id="bad11111") + "links:\n  fixes:\n  - good1111\n",
                          "links: unknown kind 'fixes'"),
    "comment ids": (GOOD.format(id="bad11111") + "comments:\n"
                    "- id: cmt11111\n  date: '2026-11-26T12:00:00Z'\n"
                    "- id: cmt11111\n  date: '2026-11-26T12:00:00Z'\n",
                    "comments: the id 'cmt11111' is used twice"),
    "conflict markers": (GOOD.format(id="bad11111").replace(
        "title: Fine\n", "<<<<<<< ours\ntitle: A\n=======\ntitle: B\n>>>>>>> theirs\n"),
        "unresolved merge conflict (conflict markers from line 2)"),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_each_kind_of_broken_file_is_one_line(issues, run, kind):
    text, problem = BROKEN[kind]
    put(issues, "bad11111.yml", text)
    proc = run("check", check=False)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(".issues/bad11111.yml: ")
    assert problem in lines[0]
    assert proc.stderr == ""


def test_a_file_name_that_is_no_id(issues, run):
    put(issues, "Not-An-Id.yml", GOOD.format(id="abcd1234"))
    assert run("check", check=False).stdout == (
        ".issues/Not-An-Id.yml: the file name is not an issue id (4 to 16 characters of 0-9a-z)\n")


def test_a_duplicate_id_is_blamed_on_the_misnamed_file_only(issues, run):
    put(issues, "dupe1111.yml", GOOD.format(id="good1111"))
    assert run("check", check=False).stdout == (
        ".issues/dupe1111.yml: id 'good1111' does not match the file name; "
        "it is the id of .issues/good1111.yml\n")


def test_a_broken_config_is_reported(issues, run):
    (issues / ".issues" / "config.yml").write_text("statuses: [open\n")
    out = run("check", check=False).stdout
    assert out.startswith(".issues/config.yml: ")


def test_paths_limit_the_check(issues, run):
    put(issues, "bad11111.yml", "title: [\n")
    put(issues, "bad22222.yml", "title: [\n")
    out = run("check", ".issues/bad22222.yml", "nosuch.yml", check=False).stdout.splitlines()
    assert [line.split(":")[0] for line in out] == [".issues/bad22222.yml", "nosuch.yml"]
    assert out[1] == "nosuch.yml: no such file"
    assert run("check", ".issues/good1111.yml").stdout == ""
    from_inside = run("check", ".", cwd=issues / ".issues", check=False).stdout
    assert ".issues/bad11111.yml" in from_inside and ".issues/bad22222.yml" in from_inside


def test_staged_checks_what_will_be_committed(issues, run):
    path = put(issues, "bad11111.yml", "title: [\n")
    git(issues, "add", ".issues")
    path.write_text(GOOD.format(id="bad11111"))  # fixed, but the fix is not staged
    assert run("check").stdout == ""
    staged = run("check", "--staged", check=False)
    assert staged.returncode == 1
    assert staged.stdout.startswith(".issues/bad11111.yml: invalid YAML")
    git(issues, "add", ".issues")
    path.write_text("title: [\n")  # broken in the work tree only: the commit is fine
    assert run("check", "--staged").stdout == ""
    assert run("check", "--staged", ".issues/bad11111.yml").stdout == ""


def test_staged_uses_the_staged_config(issues, run):
    put(issues, "bad11111.yml", GOOD.format(id="bad11111").replace("open", "doing"))
    config = issues / ".issues" / "config.yml"
    config.write_text(config.read_text() + "  doing: open\n")
    git(issues, "add", ".issues")
    assert run("check", "--staged").stdout == ""
    git(issues, "reset", "-q", "--", ".issues/config.yml")
    assert "status 'doing' is not in" in run("check", "--staged", check=False).stdout


def test_staged_reports_unmerged_paths(issues, run):
    git(issues, "add", ".issues")
    git(issues, "commit", "-q", "-m", "base")
    git(issues, "config", "merge.git-issues.driver", "false")  # force a conflict
    git(issues, "checkout", "-q", "-b", "topic")
    put(issues, "good1111.yml", dump_issue(Issue(id="good1111", title="Topic", status="open",
                                                 created=T0)))
    git(issues, "commit", "-q", "-am", "topic")
    git(issues, "checkout", "-q", "main")
    put(issues, "good1111.yml", dump_issue(Issue(id="good1111", title="Main", status="open",
                                                 created=T0)))
    git(issues, "commit", "-q", "-am", "main")
    git(issues, "merge", "topic", check=False)
    out = run("check", "--staged", check=False).stdout
    assert out == (".issues/good1111.yml: unmerged (run 'git issues resolve', or resolve the "
                   "conflict and git add it)\n")


def test_the_pre_commit_framework_hook_runs_as_declared(issues, run):
    """What pre-commit does with .pre-commit-hooks.yaml: filter by `files`, run `entry` FILES."""
    import re
    import shlex

    import yaml

    hooks = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())
    hook = {h["id"]: h for h in hooks}["git-issues-check"]
    put(issues, "bad11111.yml", "title: [\n")
    (issues / "README.md").write_text("not an issue\n")
    candidates = [".issues/good1111.yml", ".issues/bad11111.yml", ".issues/config.yml",
                  "README.md", "docs/.issues/x.yml"]
    files = [p for p in candidates if re.search(hook["files"], p)]
    assert files == candidates[:3]
    command = shlex.split(hook["entry"])
    assert command[0] == "git-issues"
    proc = run(*command[1:], *files, check=False)
    assert proc.returncode == 1
    assert proc.stdout.startswith(".issues/bad11111.yml: invalid YAML")
    assert len(proc.stdout.splitlines()) == 1


def test_staged_with_a_folder_checks_the_staged_files_in_it(issues, run):
    put(issues, "bad11111.yml", "title: [\n")
    git(issues, "add", ".issues")
    (issues / ".issues" / "bad11111.yml").unlink()  # gone from the work tree, still staged
    out = run("check", "--staged", ".issues", check=False).stdout
    assert out.startswith(".issues/bad11111.yml: invalid YAML")


# --- CI annotations and closing words ---------------------------------------------

def test_under_github_actions_each_problem_is_also_a_workflow_command(issues, run, monkeypatch):
    """The line is the offending key's; % CR LF escaped in the message, : and , in
    properties too (GitHub's toolkit rules)."""
    put(issues, "bad11111.yml", GOOD.format(id="bad11111") + "priority: 5%\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    proc = run("check", ".issues", "odd%:name,x.yml", check=False)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[:2] == [".issues/bad11111.yml: priority must be 0 to 4 (P0 critical .. "
                         "P4 backlog), got '5%'", "odd%:name,x.yml: no such file"]
    assert lines[2:] == [
        "::error file=.issues/bad11111.yml,line=5,title=git issues check::priority must be "
        "0 to 4 (P0 critical .. P4 backlog), got '5%25'",
        "::error file=odd%25%3Aname%2Cx.yml,line=1,title=git issues check::no such file"]


def test_a_yaml_error_is_annotated_at_the_line_the_reader_names(issues, run, monkeypatch):
    put(issues, "bad11111.yml", "id: bad11111\ntitle: [unclosed\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = run("check", check=False).stdout.splitlines()
    assert out[-1].startswith("::error file=.issues/bad11111.yml,line=3,")


def test_codequality_report_to_stdout_or_a_file(issues, run):
    import json

    put(issues, "bad11111.yml", GOOD.format(id="bad11111") + "priority: P1\n")
    proc = run("check", "--format", "codequality", check=False)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert len(report) == 1
    item = report[0]
    assert item["description"] == "priority must be written as a number 0 to 4, not 'P1'"
    assert item["location"] == {"path": ".issues/bad11111.yml", "lines": {"begin": 5}}
    assert item["severity"] == "major" and item["check_name"] and len(item["fingerprint"]) == 64
    out = issues / "gl-code-quality.json"
    proc = run("check", "--format", "codequality", "-o", str(out), check=False)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert json.loads(out.read_text()) == report
    nowhere = run("check", "--format", "codequality", "-o", str(issues / "no" / "x.json"),
                  check=False)
    assert nowhere.returncode == 1 and nowhere.stderr.startswith(f"error: {issues}/no/x.json: ")
    assert len(nowhere.stderr.splitlines()) == 1
    (issues / ".issues" / "bad11111.yml").unlink()
    assert run("check", "--format", "codequality").stdout == "[]\n"


def test_under_github_actions_the_report_on_stdout_stays_json(issues, run, monkeypatch):
    import json

    put(issues, "bad11111.yml", GOOD.format(id="bad11111") + "priority: P1\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    report = json.loads(run("check", "--format", "codequality", check=False).stdout)
    assert [item["location"]["lines"]["begin"] for item in report] == [5]
    out = issues / "report.json"
    lines = run("check", "--format", "codequality", "-o", str(out), check=False).stdout
    assert lines.startswith("::error file=.issues/bad11111.yml,line=5,")


@pytest.fixture
def promised(issues, run):
    """Two open issues committed; then commits that say they fix them (one by prefix)."""
    put(issues, "open1111.yml", GOOD.format(id="open1111"))
    put(issues, "done2222.yml", GOOD.format(id="done2222"))
    git(issues, "add", "-A")
    git(issues, "commit", "-q", "-m", "two issues")
    git(issues, "tag", "base")
    git(issues, "commit", "-q", "--allow-empty", "-m", "Work\n\nFixes: OPEN1\nfixes crash")
    closed = GOOD.format(id="done2222").replace("status: open", "status: closed")
    put(issues, "done2222.yml", closed + "closed: '2026-11-27T12:00:00Z'\n")
    git(issues, "commit", "-q", "-am", "Closes done2222")
    return issues


def test_commits_that_say_fixes_warn_when_the_issue_is_still_open(promised, run):
    proc = run("check", "--commits", "base..HEAD")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("warning: .issues/open1111.yml: commit ")
    assert lines[0].endswith("says 'Fixes: OPEN1' but the issue is still open at HEAD")


def test_the_issue_is_read_at_head_not_in_the_work_tree(promised, run, monkeypatch):
    """Closed in the work tree only: the range still leaves it open."""
    closed = GOOD.format(id="open1111").replace("status: open", "status: closed")
    put(promised, "open1111.yml", closed + "closed: '2026-11-27T12:00:00Z'\n")
    assert "open1111" in run("check", "--commits", "base..HEAD").stdout
    git(promised, "commit", "-q", "-am", "close it")
    assert run("check", "--commits", "base..HEAD").stdout == ""
    git(promised, "reset", "-q", "--hard", "HEAD~1")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = run("check", "--commits", "base..").stdout.splitlines()
    assert out[-1].startswith("::warning file=.issues/open1111.yml,line=1,")


def test_a_bad_commit_range_is_one_line(promised, run):
    proc = run("check", "--commits", "nosuch..HEAD", check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == ["error: unknown revision range 'nosuch..HEAD'"]
    proc = run("check", "--commits", "base", check=False)
    assert proc.returncode == 1 and "is not a range like BASE..HEAD" in proc.stderr
