"""``git issues diff``: a pull request's issue changes in words, in three formats."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import git
from helpers import path_of

from git_issues.core.model import Comment, Issue
from git_issues.fileformat.issuefile import dump_issue, load_text

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

T0 = "2026-11-26T12:00:00Z"
ADA = "Ada Tester <ada@example.com>"


def write(repo: Path, issue: Issue) -> None:
    path_of(repo, issue.id).write_text(dump_issue(issue), encoding="utf-8")
    git(repo, "add", str(path_of(repo, issue.id)))


def read(repo: Path, issue_id: str) -> Issue:
    return load_text(path_of(repo, issue_id).read_bytes(), issue_id)


def issue(issue_id: str, title: str, **fields) -> Issue:
    return Issue(id=issue_id, title=title, status=fields.pop("status", "open"), created=T0,
                 author=ADA, **fields)


@pytest.fixture
def pr(invoke, repo):
    """main with six issues; branch 'feature' changes them in every way; main moves on."""
    assert invoke("init", "--no-hooks").exit_code == 0
    config = repo / ".issues" / "config.yml"
    config.write_text(config.read_text() + "  in-progress: open\n")
    git(repo, "add", str(config))
    old_comments = [Comment(id="cmt00001", author=ADA, date=T0, body="Typo here.\n"),
                    Comment(id="cmt00002", author=ADA, date=T0, body="Obsolete.")]
    for item in (
        issue("close111", "To be closed"),
        issue("reopen11", "To be reopened", status="closed", closed=T0),
        issue("edit1111", "Old title", labels=["bug", "ui"], priority=2, body="One.\nTwo.\n",
              links={"related": ["keep1111"]}, comments=old_comments),
        issue("gone1111", "To be deleted"),
        issue("keep1111", "Left alone"),
        issue("move1111", "Work starts"),
    ):
        write(repo, item)
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    closed = read(repo, "close111")
    closed.status, closed.closed = "closed", "2026-11-27T09:00:00Z"
    reopened = read(repo, "reopen11")
    reopened.status, reopened.closed = "open", None
    edited = read(repo, "edit1111")
    edited.title = "New title"
    edited.labels = ["ui", "perf"]
    edited.assignees = ["bob@example.com"]
    edited.milestone = "v1"
    edited.priority = 0
    edited.body = "One.\nTwo and a half.\nThree.\n"
    edited.links = {"blocks": ["keep1111"]}
    edited.comments[0].body = "Typo fixed.\n"
    del edited.comments[1]
    edited.comments.append(Comment(id="cmt00003", author="Bob <bob@example.com>",
                                   date="2026-11-27T10:00:00Z",
                                   body="\nReproduced on Linux.\nDetails follow."))
    moved = read(repo, "move1111")
    moved.status = "in-progress"
    for item in (closed, reopened, edited, moved):
        write(repo, item)
    git(repo, "rm", "-q", str(path_of(repo, "gone1111")))
    write(repo, issue("new11111", "Brand *new* <b>issue</b>", labels=["bug"], priority=1))
    git(repo, "commit", "-q", "-m", "feature")
    git(repo, "checkout", "-q", "main")
    kept = read(repo, "keep1111")
    kept.title = "Changed on main"
    write(repo, kept)
    git(repo, "commit", "-q", "-m", "main moves on")
    return repo


def test_text_names_every_kind_of_change(pr, run):
    out = run("diff", "main...feature").stdout
    assert out.splitlines()[0] == "new11111  Brand *new* <b>issue</b>"
    assert f'    opened "Brand *new* <b>issue</b>" by {ADA}: P1; labels bug' in out
    expected = [
        "close111  To be closed\n    closed\n",
        "reopen11  To be reopened\n    reopened\n",
        "move1111  Work starts\n    status open → in-progress\n",
        'edit1111  New title\n    retitled "Old title" → "New title"\n'
        "    priority P2 → P0\n"
        "    labels +perf -bug\n"
        "    assignees +bob@example.com\n"
        "    milestone (none) → v1\n"
        "    description edited (+2 -1 lines)\n"
        "    links +blocks keep1111, -related keep1111\n"
        '    comment edited by Ada Tester <ada@example.com>: "Typo fixed."\n'
        '    comment by Bob <bob@example.com>: "Reproduced on Linux."\n'
        '    comment deleted by Ada Tester <ada@example.com>: "Obsolete."\n',
        "gone1111  To be deleted\n    deleted (the file was removed)\n",
    ]
    for block in expected:
        assert block in out
    assert not any(line.startswith("keep1111") for line in out.splitlines())  # untouched
    assert out.index("new11111") < out.index("close111") < out.index("gone1111")


def test_two_dots_compare_the_tips_three_dots_the_merge_base(pr, run):
    assert "Changed on main" not in run("diff", "main...feature").stdout
    two = run("diff", "main..feature").stdout
    assert 'retitled "Changed on main" → "Left alone"' in two


def test_markdown_is_a_pull_request_comment(pr, run):
    out = run("diff", "main...feature", "--format", "markdown").stdout
    assert out.startswith("<!-- git-issues diff -->\n### Issues: 1 opened, 1 closed, "
                          "1 reopened, 2 updated, 1 deleted\n")
    assert "<sub>6 issues · merge base of main and feature → feature" in out
    assert r"- **Brand \*new\* &lt;b&gt;issue&lt;/b&gt;** `new11111`" in out
    assert "  - retitled “Old title” → “New title”" in out
    assert "  - labels +`perf` -`bug`" in out
    assert "  - comment by Bob &lt;bob@example.com&gt;: “Reproduced on Linux.”" in out
    assert "<b>" not in out


def test_json_has_one_record_per_change(pr, run):
    report = json.loads(run("diff", "main...feature", "--format", "json").stdout)
    assert (report["from"], report["to"]) == ("merge base of main and feature", "feature")
    by_id = {item["id"]: item for item in report["issues"]}
    assert set(by_id) == {"new11111", "close111", "reopen11", "edit1111", "move1111",
                          "gone1111"}
    assert by_id["new11111"]["changes"] == [{
        "type": "opened", "title": "Brand *new* <b>issue</b>", "status": "open",
        "labels": ["bug"], "priority": 1, "assignees": [], "milestone": None, "origin": {},
        "author": ADA}]
    kinds = [c["type"] for c in by_id["edit1111"]["changes"]]
    assert kinds == ["retitled", "priority", "labels", "assignees", "field", "body", "links",
                     "comment_edited", "comment", "comment_deleted"]
    labels = by_id["edit1111"]["changes"][2]
    assert labels == {"type": "labels", "field": "labels", "from": ["bug", "ui"],
                      "to": ["ui", "perf"], "added": ["perf"], "removed": ["bug"]}
    assert by_id["close111"]["changes"] == [{"type": "closed", "field": "status",
                                             "from": "open", "to": "closed",
                                             "status": "closed"}]
    assert by_id["gone1111"]["kind"] == "deleted"
    comment = by_id["edit1111"]["changes"][8]
    assert (comment["author"], comment["first_line"]) == ("Bob <bob@example.com>",
                                                          "Reproduced on Linux.")


def test_no_argument_compares_the_work_tree_with_head(pr, run, repo):
    assert run("diff").stdout == ""
    kept = read(repo, "keep1111")
    kept.labels = ["later"]
    path_of(repo, "keep1111").write_text(dump_issue(kept))  # not staged
    path_of(repo, "hand1111").write_text(dump_issue(issue("hand1111", "Written by hand")))
    out = run("diff").stdout
    assert "keep1111  Changed on main\n    labels +later\n" in out
    assert 'hand1111  Written by hand\n    opened "Written by hand" by' in out
    assert "keep1111" in run("diff", "HEAD~1").stdout  # REV: that commit vs the work tree


def test_an_unreadable_version_is_named_not_fatal(pr, run, repo):
    path_of(repo, "keep1111").write_text("id: keep1111\ntitle: [broken\n")
    out = run("diff").stdout
    assert "keep1111" in out and "cannot be read (now): invalid YAML" in out


def test_no_changes_print_nothing_but_json_stays_json(pr, run):
    assert run("diff", "main..main").stdout == ""
    assert run("diff", "main..main", "--format", "markdown").stdout == ""
    assert json.loads(run("diff", "main..main", "--format", "json").stdout)["issues"] == []


@pytest.mark.parametrize("spec", ["nosuchbranch", "main...nosuch", "--output=/tmp/x"])
def test_a_bad_revision_is_a_one_line_error(pr, run, spec):
    proc = run("diff", "--", spec, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1


def test_a_repository_without_commits(run, repo, tmp_path):
    fresh = tmp_path / "fresh"
    git(tmp_path, "init", "-q", str(fresh))
    (fresh / ".issues").mkdir()
    (fresh / ".issues" / "abcd1234.yml").write_text(dump_issue(issue("abcd1234", "First")))
    assert "abcd1234  First\n    opened" in run("diff", cwd=fresh).stdout


def _workflow() -> dict:
    import yaml

    doc = (Path(__file__).parent.parent / "docs" / "ci.md").read_text()
    doc = doc.split("### Without the action", 1)[1]  # the workflow that uses no action
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)


def test_the_ci_workflow_in_the_docs_runs_as_written(pr, repo, tmp_path):
    """The shell steps of docs/ci.md, run by bash as the runner would, on a PR checkout."""
    workflow = _workflow()
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key 'on' as True
    assert workflow["permissions"]["pull-requests"] == "write"
    steps = {step.get("name") or step["uses"].split("@")[0]: step
             for step in workflow["jobs"]["issues"]["steps"]}
    assert steps["actions/checkout"]["with"]["fetch-depth"] == 0
    git(repo, "checkout", "-q", "--detach", "feature")
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary),
           "BASE": git(repo, "rev-parse", "main").strip(),
           "HEAD": git(repo, "rev-parse", "feature").strip()}
    for name in ("Check the issue files", "Describe the issue changes"):
        proc = subprocess.run(["bash", "-e", "-c", steps[name]["run"]], cwd=repo, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    posted = (repo / "issues.md").read_text()
    assert posted.startswith("<!-- git-issues diff -->\n")  # what the script looks for
    assert "retitled “Old title” → “New title”" in posted
    assert f"merge base of {env['BASE'][:12]} and {env['HEAD'][:12]}" in posted
    assert summary.read_text() == posted
    if shutil.which("node"):
        script = steps["Comment on the pull request"]["with"]["script"]
        assert _comment_script(script, repo, []) == [["create", 7, posted]]
        ours = {"id": 5, "user": {"type": "Bot"}, "body": posted}
        other = {"id": 4, "user": {"type": "Bot"}, "body": "coverage report"}
        assert _comment_script(script, repo, [other, ours]) == [["update", 5, posted]]
        (repo / "issues.md").write_text("")
        assert _comment_script(script, repo, [other, ours]) == [["delete", 5, None]]


# actions/github-script runs the script as the body of an async function with
# these names bound; the stand-in for GitHub's API records the calls made.
_GITHUB_SCRIPT = """
const calls = [];
const existing = JSON.parse(process.env.EXISTING);
const record = (kind) => async (a) => calls.push([kind, a.comment_id || a.issue_number,
                                                   a.body === undefined ? null : a.body]);
const github = {
  paginate: async (method, args) => existing,
  rest: {issues: {listComments: 'listComments', createComment: record('create'),
                  updateComment: record('update'), deleteComment: record('delete')}},
};
const context = {repo: {owner: 'o', repo: 'r'}, issue: {number: 7}};
(async () => {
%s
})().then(() => console.log(JSON.stringify(calls)));
"""


def _comment_script(script: str, cwd: Path, existing: list[dict]) -> list:
    proc = subprocess.run(["node", "-e", _GITHUB_SCRIPT % script], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "EXISTING": json.dumps(existing)})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
