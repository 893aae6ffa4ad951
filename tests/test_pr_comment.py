"""``pr-comment``: one comment on a pull (merge) request with the issue diff, against the
GitHub and GitLab stand-ins on 127.0.0.1, in real git repositories, never the network."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import git
from github_standin import PullRequestHandler, Repo, StandIn, make_comment, make_issue, serving
from gitlab_standin import MergeRequestHandler, MergeRequestStandIn, make_mr_note
from helpers import write_issue

from git_issues.sync.prcomment import GITHUB_LIMIT, MARKER

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

TOKEN = "ghs_standInToken0123456789"
GL_TOKEN = "glpat-standInToken0123456789"
REPO = "acme/rocket"
PR = 7
PROJECT = "acme/tools/rocket"
CI_VARS = ("GITHUB_EVENT_PATH", "GITHUB_REPOSITORY", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS",
           "GITLAB_TOKEN", "GITLAB_URL", "CI_SERVER_URL", "CI_PROJECT_PATH",
           "CI_MERGE_REQUEST_IID", "CI_MERGE_REQUEST_DIFF_BASE_SHA", "CI_COMMIT_SHA")


@pytest.fixture(autouse=True)
def no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite may itself run in GitHub Actions or GitLab CI: none of theirs leaks in."""
    for name in CI_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def github() -> Iterator[StandIn]:
    with serving(StandIn(token=TOKEN), PullRequestHandler) as served:
        served.repos[REPO] = Repo([make_issue(REPO, PR, "Add the engine", pull=True)])
        yield served


def env(github: StandIn, **more: str) -> dict[str, str]:
    return {"GITHUB_API_URL": github.url, "GITHUB_TOKEN": TOKEN,
            "GIT_ISSUES_FORGE_MIN_WAIT": "0.05", **more}


@pytest.fixture
def pull(repo: Path) -> Path:
    """main with two open issues; branch 'feature' closes one and opens another."""
    issues = repo / ".issues"
    write_issue(issues, "boil1111", "Boiler leaks")
    write_issue(issues, "fuel1111", "Fuel gauge lies")
    git(repo, "add", ".issues")
    git(repo, "commit", "-q", "-m", "issues")
    git(repo, "checkout", "-q", "-b", "feature")
    write_issue(issues, "boil1111", "Boiler leaks", status="closed",
                closed="2026-11-27T09:00:00Z")
    write_issue(issues, "wing1111", "Wing flutters at speed")
    git(repo, "add", ".issues")
    git(repo, "commit", "-q", "-m", "close the boiler, a wing issue")
    return repo


def comments(github: StandIn) -> list[dict]:
    return [c for c in github.repos[REPO].comments if c["issue_url"].endswith(f"/issues/{PR}")]


def writes(github: StandIn) -> list[str]:
    return [path.split("?")[0] for path, _ in github.requests
            if path.split(" ")[0] in ("POST", "PATCH", "DELETE")]


def test_one_comment_created_then_edited_then_left_alone(run, pull, github):
    first = run("pr-comment", "github", REPO, str(PR), "main...feature", env=env(github))
    [posted] = comments(github)
    assert posted["body"].startswith(MARKER + "\n")
    assert "Boiler leaks" in posted["body"] and "Wing flutters at speed" in posted["body"]
    assert "closed" in posted["body"] and "Fuel gauge" not in posted["body"]
    assert first.stdout == f"commented on {REPO}#{PR}: {posted['html_url']}\n"

    write_issue(pull / ".issues", "fuel1111", "Fuel gauge lies", status="closed",
                closed="2026-11-28T09:00:00Z")
    git(pull, "commit", "-q", "-am", "close the gauge too")
    second = run("pr-comment", "github", REPO, str(PR), "main...feature", env=env(github))
    [edited] = comments(github)
    assert edited["id"] == posted["id"] and "Fuel gauge lies" in edited["body"]
    assert second.stdout.startswith(f"updated the comment on {REPO}#{PR}: ")

    before = writes(github)
    third = run("pr-comment", "github", REPO, str(PR), "main...feature", env=env(github))
    assert writes(github) == before  # the same text: no edit, no notification
    assert "is up to date" in third.stdout
    assert [c["id"] for c in comments(github)] == [posted["id"]]


def test_the_marked_comment_is_found_on_a_later_page_among_others(run, pull, github):
    others = [make_comment(REPO, PR, 30_000 + n, f"LGTM {n}") for n in range(130)]
    old = make_comment(REPO, PR, 40_000, f"{MARKER}\nold text", login="github-actions[bot]")
    someone = make_comment(REPO, PR, 40_001, "quoting it:\n" + MARKER)  # not at the start
    github.repos[REPO].comments = [*others, old, someone]
    run("pr-comment", "github", REPO, str(PR), "main...feature", env=env(github))
    assert writes(github) == [f"PATCH /repos/{REPO}/issues/comments/40000"]
    assert "Wing flutters" in old["body"] and someone["body"].startswith("quoting")
    pages = [p for p, _ in github.requests if f"/issues/{PR}/comments?" in p]
    assert len(pages) == 2  # 131 comments: the second page was read


def test_the_long_workflows_comment_is_taken_over_not_doubled(run, pull, github):
    """A project moving from docs/ci.md's script to the action keeps its one comment."""
    old = make_comment(REPO, PR, 50_000, "<!-- git-issues diff -->\n### Issues: 1 opened")
    github.repos[REPO].comments = [old]
    run("pr-comment", "github", REPO, str(PR), "main...feature", env=env(github))
    assert [c["id"] for c in comments(github)] == [50_000]
    assert old["body"].startswith(MARKER)


def test_a_range_that_no_longer_changes_issues_deletes_the_comment(run, pull, github):
    run("pr-comment", "github", REPO, str(PR), "main...feature", env=env(github))
    assert len(comments(github)) == 1
    git(pull, "checkout", "-q", "-b", "code-only", "main")
    (pull / "engine.py").write_text("print('vroom')\n")
    git(pull, "add", "engine.py")
    git(pull, "commit", "-q", "-m", "code only")
    gone = run("pr-comment", "github", REPO, str(PR), "main...code-only", env=env(github))
    assert comments(github) == []
    assert gone.stdout.startswith(f"deleted the comment on {REPO}#{PR}: ")
    again = run("pr-comment", "github", REPO, str(PR), "main...code-only", env=env(github))
    assert again.stdout.startswith("no issue changes in main...code-only: no comment")
    assert [w.split(" ")[0] for w in writes(github)] == ["POST", "DELETE"]


def test_a_create_never_answered_is_found_by_the_next_run_not_doubled(run, pull, github):
    """GitHub made the comment but the answer was lost: the POST is not sent twice, and
    the next run finds the comment by its marker."""
    github.drop_after_create = 1
    lost = run("pr-comment", "github", REPO, str(PR), "main...feature", env=env(github),
               check=False)
    assert lost.returncode == 1 and "run the same command again" in lost.stderr
    assert len(comments(github)) == 1
    again = run("pr-comment", "github", REPO, str(PR), "main...feature", env=env(github))
    assert "is up to date" in again.stdout and len(comments(github)) == 1
    assert [w.split(" ")[0] for w in writes(github)] == ["POST"]


def test_defaults_come_from_the_github_actions_pull_request_event(run, pull, github, tmp_path):
    base, head = git(pull, "rev-parse", "main").strip(), git(pull, "rev-parse", "feature").strip()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": PR, "pull_request": {
        "number": PR, "base": {"sha": base, "ref": "main"}, "head": {"sha": head}}}))
    summary = tmp_path / "summary.md"
    summary.write_text("## check\n")
    git(pull, "checkout", "-q", "main")  # Actions checks out the merge: HEAD is not the head
    proc = run("pr-comment", "github", env=env(
        github, GITHUB_EVENT_PATH=str(event), GITHUB_REPOSITORY=REPO,
        GITHUB_STEP_SUMMARY=str(summary)))
    [posted] = comments(github)
    assert proc.stdout.startswith(f"commented on {REPO}#{PR}")
    assert "Wing flutters at speed" in posted["body"]
    assert summary.read_text() == "## check\n" + posted["body"] + "\n"


def test_a_read_only_token_is_one_warning_exit_0_and_the_summary_written(run, pull, github,
                                                                         tmp_path):
    github.read_only = True
    summary = tmp_path / "summary.md"
    proc = run("pr-comment", "github", REPO, str(PR), "main...feature",
               env=env(github, GITHUB_STEP_SUMMARY=str(summary)))
    assert proc.returncode == 0 and proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("warning: GitHub refused to write the comment (403)")
    assert comments(github) == []
    assert "Wing flutters at speed" in summary.read_text()


def test_a_long_diff_is_cut_within_githubs_limit_saying_how_many_were_left_out(run, repo,
                                                                                  github):
    git(repo, "checkout", "-q", "-b", "big")
    for n in range(320):
        write_issue(repo / ".issues", f"big{n:05d}", f"Issue {n:03d} " + "x" * 240)
    git(repo, "add", ".issues")
    git(repo, "commit", "-q", "-m", "many issues")
    run("pr-comment", "github", REPO, str(PR), "main...big", env=env(github))
    [posted] = comments(github)
    body = posted["body"]
    assert 60_000 < len(body) <= GITHUB_LIMIT
    shown = body.count("\n- **Issue ")
    assert 0 < shown < 320
    assert f"- *{320 - shown} more issues left out" in body
    assert "320 issues" in body  # the summary counts them all


@pytest.mark.parametrize(("args", "code", "says"), [
    (("acme/rocket", "seven"), 2, "NUMBER must be a number, got 'seven'"),
    (("acme/rocket",), 2, "give OWNER/REPO NUMBER together"),
    ((), 1, "error: no pull request to comment on"),
    (("acme/rocket", "7", "main...nope"), 1, "error: unknown revision 'nope'"),
    (("acme/rocket", "7", "feature"), 1, "error: 'feature' is not a range: give BASE...HEAD"),
    (("not a repo", "7", "main...feature"), 1, "error: 'not a repo' is not OWNER/REPO"),
])
def test_bad_arguments_are_one_line(run, pull, github, args, code, says):
    proc = run("pr-comment", "github", *args, env=env(github), check=False)
    assert proc.returncode == code and says in proc.stderr
    assert "Traceback" not in proc.stderr and writes(github) == []


def test_a_shallow_clone_is_told_to_fetch_the_whole_history(run, pull, github, tmp_path):
    """actions/checkout fetches one commit unless told otherwise: the base is missing."""
    base = git(pull, "rev-parse", "main").strip()
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", pull.as_uri(),
        str(shallow))
    proc = run("pr-comment", "github", REPO, str(PR), f"{base}...HEAD", cwd=shallow,
               env=env(github), check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"error: unknown revision '{base}'; this clone is shallow")
    assert "fetch-depth: 0" in proc.stderr and github.requests == []


def test_no_token_is_an_error_after_the_summary(run, pull, github, tmp_path):
    summary = tmp_path / "summary.md"
    proc = run("pr-comment", "github", REPO, str(PR), "main...feature", check=False,
               env={"GITHUB_API_URL": github.url, "GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: no GitHub token (GITHUB_TOKEN, GH_TOKEN or "
                                  "`gh auth token`)")
    assert "Wing flutters" in summary.read_text() and github.requests == []


# --- GitLab -------------------------------------------------------------------

@pytest.fixture
def gitlab() -> Iterator[MergeRequestStandIn]:
    with serving(MergeRequestStandIn(token=GL_TOKEN), MergeRequestHandler) as served:
        served.notes[(PROJECT, 3)] = [make_mr_note(3, 100, "added 1 commit", system=True),
                                      make_mr_note(3, 101, "Looks fine", author="carol")]
        yield served  # type: ignore[misc]


def ci_env(gitlab: MergeRequestStandIn, pull: Path, head: str = "feature") -> dict[str, str]:
    """What a GitLab merge request pipeline sets (GITLAB_TOKEN is the project's own)."""
    return {"CI_SERVER_URL": gitlab.url, "GITLAB_TOKEN": GL_TOKEN,
            "CI_PROJECT_PATH": PROJECT, "CI_MERGE_REQUEST_IID": "3",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": git(pull, "rev-parse", "main").strip(),
            "CI_COMMIT_SHA": git(pull, "rev-parse", head).strip(),
            "GIT_ISSUES_FORGE_MIN_WAIT": "0.05"}


def test_gitlab_note_from_ci_variables_created_edited_deleted(run, pull, gitlab):
    notes = gitlab.notes[(PROJECT, 3)]
    made = run("pr-comment", "gitlab", env=ci_env(gitlab, pull))
    mine = [n for n in notes if n["body"].startswith(MARKER)]
    assert len(notes) == 3 and len(mine) == 1 and "Wing flutters" in mine[0]["body"]
    assert made.stdout == (f"commented on {PROJECT}!3: {gitlab.url}/{PROJECT}"
                           f"/-/merge_requests/3#note_{mine[0]['id']}\n")

    write_issue(pull / ".issues", "fuel1111", "Fuel gauge lies", status="closed",
                closed="2026-11-28T09:00:00Z")
    git(pull, "commit", "-q", "-am", "close the gauge too")
    run("pr-comment", "gitlab", env=ci_env(gitlab, pull))
    assert len(notes) == 3 and "Fuel gauge lies" in mine[0]["body"]
    assert any(p.startswith(f"PUT /api/v4/projects/acme%2Ftools%2Frocket/merge_requests/3/"
                            f"notes/{mine[0]['id']}") for p, _ in gitlab.requests)

    gone = run("pr-comment", "gitlab", env=ci_env(gitlab, pull, head="main"))
    assert [n["id"] for n in notes] == [100, 101]
    assert gone.stdout.startswith(f"deleted the comment on {PROJECT}!3")


def test_gitlab_read_only_token_is_a_warning(run, pull, gitlab):
    gitlab.read_only = True
    proc = run("pr-comment", "gitlab", PROJECT, "3", "main...feature",
               env=ci_env(gitlab, pull))
    assert proc.returncode == 0
    assert proc.stderr.startswith("warning: GitLab refused to write the comment (403)")
    assert len(gitlab.notes[(PROJECT, 3)]) == 2


# --- the installed command, end to end ------------------------------------------

@pytest.mark.subprocess
def test_the_installed_command_comments_a_real_branch(run, pull, github):
    proc = run("pr-comment", "github", REPO, str(PR), "main...feature", env=env(github))
    [posted] = comments(github)
    assert proc.stdout.startswith(f"commented on {REPO}#{PR}: https://github.com/")
    assert "Boiler leaks" in posted["body"]
    assert [a for p, a in github.requests if p.startswith("POST")] == [f"Bearer {TOKEN}"]


# --- the action and the GitLab template ------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
TEMPLATE = ROOT / "ci" / "git-issues.gitlab-ci.yml"
SCHEMA = Path(__file__).parent / "data" / "action-metadata.schema.json"


def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def step(named: str) -> dict:
    [found] = [s for s in action()["runs"]["steps"] if s.get("name") == named]
    return found


def test_action_yml_is_valid_action_metadata():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(action(), schema)
    broken = action()
    del broken["runs"]["steps"][1]["shell"]  # a composite run step must name its shell
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_action_yml_installs_this_version_checks_and_comments():
    data = action()
    assert data["runs"]["using"] == "composite"
    assert set(data["inputs"]) == {"token", "version", "comment"}
    assert data["inputs"]["token"]["default"] == "${{ github.token }}"
    assert data["inputs"]["comment"]["default"] == "true"
    install = step("Install git-issues")
    assert install["env"]["SOURCE"] == "${{ github.action_path }}"
    assert '"git-issues-cli==$VERSION"' in install["run"] and '"$SOURCE"' in install["run"]
    assert "git issues check" in step("Check the issue files")["run"]
    comment = step("Comment the issue changes")
    assert comment["run"] == "git issues pr-comment github"
    assert comment["env"] == {"GITHUB_TOKEN": "${{ inputs.token }}"}
    assert "!cancelled()" in comment["if"]  # a failed check still gets its comment


def actions_env(github: StandIn, pull: Path, tmp_path: Path) -> dict[str, str]:
    """What GitHub Actions sets for a step of a pull_request run (the token: the input)."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {
        "number": PR, "base": {"sha": git(pull, "rev-parse", "main").strip()},
        "head": {"sha": git(pull, "rev-parse", "feature").strip()}}}))
    (tmp_path / "runner").mkdir()
    return {**env(github), "GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": REPO, "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "RUNNER_TEMP": str(tmp_path / "runner")}


def run_step(script: str, cwd: Path, environ: dict[str, str]) -> subprocess.CompletedProcess:
    """A step's ``run`` as the runner runs it: ``bash --noprofile --norc -eo pipefail``."""
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=cwd, env={**os.environ, **environ}, capture_output=True,
                          text=True)


@pytest.mark.subprocess
def test_the_actions_steps_check_then_comment_on_the_pull_request(pull, github, tmp_path):
    environ = actions_env(github, pull, tmp_path)
    (pull / ".issues" / "wing1111.yml").write_text("id: wing1111\ntitle: [broken\n")
    git(pull, "commit", "-q", "-am", "a broken file")
    checked = run_step(step("Check the issue files")["run"], pull, environ)
    assert checked.returncode == 1 and "wing1111.yml" in checked.stdout
    summary = Path(environ["GITHUB_STEP_SUMMARY"])
    assert "### Issue files with problems" in summary.read_text()

    commented = run_step(step("Comment the issue changes")["run"], pull, environ)
    assert commented.returncode == 0, commented.stderr
    [posted] = comments(github)
    assert "Boiler leaks" in posted["body"] and posted["body"] in summary.read_text()


@pytest.mark.subprocess
def test_the_actions_check_step_warns_of_closing_words_on_the_pull_requests_files(pull, github,
                                                                                 tmp_path):
    environ = actions_env(github, pull, tmp_path)
    git(pull, "commit", "-q", "--allow-empty", "-m", "Tidy the fuel code\n\nFixes: fuel1111")
    environ.update(BASE=git(pull, "rev-parse", "main").strip(),
                   HEAD=git(pull, "rev-parse", "feature").strip())
    checked = run_step(step("Check the issue files")["run"], pull, environ)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "::warning file=.issues/fuel1111.yml" in checked.stdout
    assert "still open" in checked.stdout


def template() -> dict:
    return yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))


def test_the_gitlab_template_runs_check_and_pr_comment_on_merge_requests():
    job = template()["git-issues"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in job["rules"]
    script = "\n".join(job["script"])
    assert "git issues check" in script and "git issues pr-comment gitlab" in script
    assert "git-issues-cli" in " ".join(job["before_script"])


@pytest.mark.subprocess
def test_the_gitlab_templates_script_notes_the_merge_request(pull, gitlab):
    script = "\n".join(template()["git-issues"]["script"])
    environ = {**ci_env(gitlab, pull), "GIT_ISSUES_COMMENT": "true"}
    proc = run_step(script, pull, environ)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"commented on {PROJECT}!3")
    assert any(n["body"].startswith(MARKER) for n in gitlab.notes[(PROJECT, 3)])

    (pull / ".issues" / "wing1111.yml").write_text("id: wing1111\ntitle: [broken\n")
    failed = run_step(script, pull, environ)  # a broken file fails the job, the note stays
    assert failed.returncode == 1 and "wing1111.yml" in failed.stdout
    report = json.loads((pull / "gl-code-quality-report.json").read_text())  # the artifact
    assert [entry["location"]["path"] for entry in report] == [".issues/wing1111.yml"]
    assert failed.stdout.rstrip().endswith("is up to date: " + gitlab.url + f"/{PROJECT}"
                                           f"/-/merge_requests/3#note_{gitlab.next_note}")


def test_the_docs_workflows_use_this_action_with_inputs_it_has():
    """docs/ci.md's workflows before "Without the action": the action, by name and as ./"""
    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8").split("### Without the action")[0]
    blocks = [yaml.safe_load(b.split("```", 1)[0]) for b in doc.split("```yaml\n")[1:]]
    assert len(blocks) == 2
    inputs = set(action()["inputs"])
    uses = []
    for workflow in blocks:
        assert workflow["permissions"]["pull-requests"] == "write"
        steps = workflow["jobs"]["issues"]["steps"]
        assert steps[0]["uses"] == "actions/checkout@v4"
        assert steps[0]["with"]["fetch-depth"] == 0
        assert set(steps[1].get("with", {})) <= inputs
        uses.append(steps[1]["uses"])
    assert uses == ["OWNER/git-issues@v1", "./"]
    assert (ROOT / uses[1] / "action.yml").is_file()
