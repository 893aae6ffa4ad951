"""Imports of what the file format or ``check`` cannot hold as it comes: refused lines,
times in the future, titles too long, issues too big for one file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import git
from github_standin import Repo, StandIn, make_comment, make_issue, serving
from helpers import last_line

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

TOKEN = "ghp_standInToken0123456789"
REPO = "acme/rocket"


@pytest.fixture
def github() -> Iterator[StandIn]:
    stand_in = StandIn(token=TOKEN)
    with serving(stand_in) as served:
        yield served


def env(github: StandIn) -> dict[str, str]:
    return {"GITHUB_API_URL": github.url, "GITHUB_TOKEN": TOKEN, "GH_TOKEN": ""}


def by_number(repo: Path) -> dict[int, dict]:
    out = {}
    for path in (repo / ".issues").glob("*.yml"):
        if path.name != "config.yml":
            data = yaml.safe_load(path.read_text())
            out[data["github"]["number"]] = data
    return out


# --- import jsonl: refused lines ------------------------------------------------

GOOD = {"id": "abcd1234", "title": "A good one", "status": "open",
        "created": "2025-01-01T00:00:00Z"}


def test_a_jsonl_file_with_no_valid_line_is_an_error_that_names_the_lines(run, repo, tmp_path):
    source = tmp_path / "bad.jsonl"
    source.write_text("not json\n\n" + json.dumps({"id": "x"}) + "\n[1, 2]\n"
                      + json.dumps({**GOOD, "status": "no good"}) + "\n")
    proc = run("import", "jsonl", str(source), check=False)
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: {source}: nothing imported: 4 lines refused (line 1: not "
                           "JSON") and "; line 3: " in line and "; line 4: " in line, line
    assert line.endswith("; ...)") and "Traceback" not in proc.stderr
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_jsonl_file_with_some_valid_lines_imports_them_and_counts_the_rest(run, repo,
                                                                             tmp_path):
    source = tmp_path / "mixed.jsonl"
    source.write_text(json.dumps(GOOD) + "\n{broken\n")
    proc = run("import", "jsonl", str(source))
    assert last_line(proc) == "imported 1, updated 0, unchanged 0, skipped 1 invalid lines"
    assert "note: 1 line refused (line 2: not JSON" in proc.stderr


def test_a_jsonl_line_with_a_time_in_the_future_is_refused_by_number(run, repo, tmp_path):
    source = tmp_path / "future.jsonl"
    source.write_text(json.dumps(GOOD) + "\n"
                      + json.dumps({**GOOD, "id": "efgh5678", "created": "9999-01-01T00:00:00Z"})
                      + "\n")
    proc = run("import", "jsonl", str(source))
    assert "line 2: created 9999-01-01T00:00:00Z is in the future" in proc.stderr
    assert run("check").returncode == 0


# --- times check refuses, titles too long ---------------------------------------

FAR = "9999-12-31T23:59:59Z"
LONG = "A title that goes on " * 20  # 420 characters


def test_github_times_in_the_future_and_long_titles_pass_check_and_the_hook(run, repo, github):
    run("init")
    github.repos[REPO] = Repo(
        [make_issue(REPO, 1, "From the future", created=FAR, state="closed", closed=FAR),
         make_issue(REPO, 2, LONG, created="2024-01-01T00:00:00Z")],
        [make_comment(REPO, 1, 501, "Later", created=FAR)])
    proc = run("import", "github", REPO, env=env(github))
    assert f"note: {REPO}#1: created {FAR} is in the future: imported as " in proc.stderr
    assert f"note: {REPO}#1: closed {FAR} is in the future" in proc.stderr
    assert f"note: {REPO}#1 comment 501: created {FAR} is in the future" in proc.stderr
    assert f"note: {REPO}#2: the title is cut to 256 characters" in proc.stderr
    assert last_line(proc).startswith("imported 2,")
    issues = by_number(repo)
    assert issues[1]["created"] < FAR and issues[1]["comments"][0]["date"] < FAR
    title = issues[2]["title"]
    assert len(title) == 256 and title.endswith("\u2026") and LONG.startswith(title[:-1])
    assert run("check").returncode == 0
    git(repo, "commit", "-q", "-m", "import")  # the pre-commit hook checks the files
    again = run("import", "github", REPO, env=env(github))
    assert "conflict" not in again.stderr and "updated 0" in last_line(again)


def test_beads_times_in_the_future_and_long_titles_pass_check(run, repo, tmp_path):
    source = tmp_path / "issues.jsonl"
    source.write_text(json.dumps({"id": "bd-1", "title": LONG, "status": "closed",
                                  "created_at": FAR, "closed_at": FAR,
                                  "comments": [{"text": "hi", "created_at": FAR}]}) + "\n")
    proc = run("import", "beads", str(source))
    assert f"note: bd-1: created {FAR} is in the future" in proc.stderr
    assert "note: bd-1: the title is cut to 256 characters" in proc.stderr
    assert last_line(proc).startswith("imported 1,")
    assert run("check").returncode == 0


# --- an issue too big for one file --------------------------------------------------

# 52,500 characters (GitHub's limit is 65,536) of plain lines: 20 of them pass 1 MiB.
TEXT = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempo\n" * 656


def _thread(count: int = 20, start: int = 0) -> list[dict]:
    """Comments on #2, each of 52,500 characters."""
    return [make_comment(REPO, 2, 700 + n, f"{n:02d} {TEXT}",
                         created=f"2024-02-01T00:00:{n:02d}Z") for n in range(start, start + count)]


def test_an_issue_over_a_mebibyte_keeps_its_newest_comments_and_the_rest_arrives(run, repo,
                                                                               github):
    issues = [make_issue(REPO, n, f"Issue {n}", created=f"2024-01-01T00:00:{n:02d}Z")
              for n in range(1, 6)]
    github.repos[REPO] = Repo(issues, _thread())
    proc = run("import", "github", REPO, env=env(github))
    assert last_line(proc).startswith("imported 5,")
    assert f"note: {REPO}#2: " in proc.stderr and "older comments left out" in proc.stderr
    stored = by_number(repo)
    assert sorted(stored) == [1, 2, 3, 4, 5]
    kept = [c["github_id"] for c in stored[2]["comments"]]
    left = stored[2]["github"]["left_out"]
    assert left >= 1 and kept == list(range(700 + left, 720))  # the newest ones
    shown = run("show", stored[2]["id"]).stdout
    assert f"{left} older comments are not stored here: https://github.com/{REPO}/issues/2" \
        in shown
    assert run("check").returncode == 0
    git(repo, "commit", "-q", "-m", "import")
    again = run("import", "github", REPO, env=env(github))  # nothing new: nothing changes
    assert "updated 0" in last_line(again)
    assert git(repo, "status", "--porcelain", "--", ":!.issues/sync") == ""
    new = _thread(1, start=20)  # a new comment on GitHub
    new[0]["updated_at"] = "2030-01-01T00:00:00Z"
    github.repos[REPO].comments += new
    github.repos[REPO].issues[1]["updated_at"] = "2030-01-01T00:00:00Z"
    third = run("import", "github", REPO, env=env(github))
    assert last_line(third).startswith("imported 0, updated 1,"), third.stderr
    comments = by_number(repo)[2]["comments"]
    assert comments[-1]["github_id"] == 720 and len(comments) <= len(kept)
    assert run("check").returncode == 0


def test_beads_issue_over_a_mebibyte_keeps_its_newest_comments(run, repo, tmp_path):
    source = tmp_path / "issues.jsonl"
    thread = [{"text": f"{n:02d} {TEXT}", "created_at": f"2024-02-01T00:00:{n:02d}Z"}
              for n in range(20)]
    source.write_text(json.dumps({"id": "bd-big", "title": "Long thread", "status": "open",
                                  "created_at": "2024-01-01T00:00:00Z", "comments": thread})
                      + "\n" + json.dumps({"id": "bd-small", "title": "Small", "status": "open",
                                           "created_at": "2024-01-01T00:00:00Z"}) + "\n")
    proc = run("import", "beads", str(source))
    assert last_line(proc).startswith("imported 2,")
    assert "note: bd-big: " in proc.stderr and "older comments left out" in proc.stderr
    [big] = [yaml.safe_load(p.read_text()) for p in (repo / ".issues").glob("*.yml")
             if "bd-big" in p.read_text()]
    first, *rest = big["comments"]
    assert "older comments are left out" in first["body"]
    assert rest[-1]["body"].startswith("19 ") and len(rest) < 20
    assert run("check").returncode == 0
