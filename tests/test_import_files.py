"""``import beads``, ``import gh-json``, ``import jsonl`` and ``export``: files in, files out."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
import yaml
from conftest import make_repo
from helpers import last_line

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run


def issues(repo: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((repo / ".issues").glob("*.yml"))
            if p.name != "config.yml"]


def by_origin(repo: Path, key: str) -> dict[str, dict]:
    return {str(i[key] if key == "beads" else i[key]["number"]): i for i in issues(repo)}


# --- beads --------------------------------------------------------------------

BEADS = [
    {"id": "bd-6df0", "title": "Epic: move to git", "description": "The plan.",
     "design": "Files in .issues/", "acceptance_criteria": "check passes", "notes": "n",
     "status": "open", "priority": 1, "issue_type": "epic", "labels": ["infra"],
     "created_at": "2025-11-02T21:58:07.295058-08:00", "updated_at": "2025-11-02T22:00:00-08:00"},
    {"id": "bd-au0.7", "title": "Child task", "description": "", "status": "in_progress",
     "priority": 2, "issue_type": "task", "assignee": "beads/crew/giles",
     "created_at": "2025-11-03T10:00:00+01:00",
     "dependencies": [
         {"issue_id": "bd-au0.7", "depends_on_id": "bd-6df0", "type": "parent-child",
          "created_at": "2025-11-03T10:00:00+01:00", "created_by": "x", "metadata": "{}"},
         {"issue_id": "bd-au0.7", "depends_on_id": "bd-x1", "type": "blocks"},
         {"issue_id": "bd-au0.7", "depends_on_id": "bd-gone", "type": "blocks"},
         {"issue_id": "bd-au0.7", "depends_on_id": "bd-tomb", "type": "discovered-from"}],
     "comments": [{"id": 15, "issue_id": "bd-au0.7", "author": "giles",
                   "text": "Testing **markdown**\n\n- one\n",
                   "created_at": "2025-11-04T00:00:00Z"}]},
    {"id": "bd-x1", "title": "Blocker, closed", "status": "closed", "priority": 0,
     "issue_type": "bug", "created_at": "2025-11-01T08:00:00-08:00",
     "closed_at": "2025-11-05T09:30:00-08:00", "close_reason": "Fixed in abc123",
     "dependencies": [{"issue_id": "bd-x1", "depends_on_id": "bd-6df0", "type": "related"}]},
    {"id": "bd-tomb", "title": "Deleted", "status": "tombstone", "priority": 1,
     "issue_type": "bug", "created_at": "2025-11-01T00:00:00Z",
     "deleted_at": "2025-11-02T00:00:00Z", "deleted_by": "batch delete"},
    {"id": "bd-gone", "title": "Deleted too", "status": "open", "priority": 3,
     "issue_type": "task", "created_at": "2025-11-01T00:00:00Z",
     "deleted_at": "2025-11-02T00:00:00Z"},
    {"id": "bd-hk", "title": "Hooked work", "status": "hooked", "priority": 2,
     "issue_type": "task", "created_at": "2025-11-06T00:00:00Z"},
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_beads_maps_fields_links_and_statuses_and_leaves_out_the_deleted(run, repo, tmp_path):
    source = write_jsonl(tmp_path / "issues.jsonl", BEADS)
    proc = run("import", "beads", str(source))
    assert last_line(proc) == ("imported 4, updated 0, unchanged 0, skipped 2 deleted issues, "
                               "skipped 2 links to deleted or missing issues")
    got = by_origin(repo, "beads")
    assert sorted(got) == ["bd-6df0", "bd-au0.7", "bd-hk", "bd-x1"]
    epic, child, blocker = got["bd-6df0"], got["bd-au0.7"], got["bd-x1"]
    assert epic["body"] == ("The plan.\n\n## Design\n\nFiles in .issues/\n\n"
                            "## Acceptance criteria\n\ncheck passes\n\n## Notes\n\nn\n")
    assert epic["priority"] == 1 and epic["labels"] == ["infra", "epic"]
    assert epic["created"] == "2025-11-03T05:58:07Z"  # -08:00 became UTC
    assert child["status"] == "in_progress" and child["assignees"] == ["beads/crew/giles"]
    assert child["links"] == {"parent": [epic["id"]], "blocked_by": [blocker["id"]]}
    assert child["comments"][0]["author"] == "giles"
    assert blocker["status"] == "closed" and blocker["closed"] == "2025-11-05T17:30:00Z"
    assert blocker["comments"][-1]["body"] == "Closed: Fixed in abc123"
    assert blocker["links"] == {"related": [epic["id"]]}
    config = (repo / ".issues/config.yml").read_text()
    assert "in_progress: open" in config and "hooked: open" in config
    assert run("check").stdout == "" and run("check").returncode == 0
    assert "Child task" in run("ls", "-s", "all").stdout
    again = run("import", "beads", str(source))
    assert last_line(again) == "imported 0, updated 0, unchanged 4, skipped 2 deleted issues"
    assert len(issues(repo)) == 4


# beads' own tracker as its repository held it at commit 385c0c031
# (github.com/steveyegge/beads, MIT: tests/data/beads-LICENSE), its one email
# address replaced (tests/data/README.md).  GIT_ISSUES_REAL_BEADS names another
# such file instead, e.g. a larger revision with tombstones.
REAL_BEADS = os.environ.get("GIT_ISSUES_REAL_BEADS")
BEADS_SAMPLE = Path(__file__).parent / "data" / "beads-385c0c031.jsonl.gz"


def test_a_real_beads_tracker_imports_checks_and_reimports_without_duplicates(run, repo,
                                                                             tmp_path):
    source = Path(REAL_BEADS) if REAL_BEADS else tmp_path / "issues.jsonl"
    if not REAL_BEADS:
        source.write_bytes(gzip.decompress(BEADS_SAMPLE.read_bytes()))
    records = [json.loads(line) for line in source.read_text().splitlines()
               if line.strip()]
    live = [r for r in records if r.get("status") != "tombstone" and not r.get("deleted_at")]
    proc = run("import", "beads", str(source))
    print(proc.stderr)
    assert last_line(proc).startswith(f"imported {len(live)}, ")
    assert run("check").returncode == 0
    listed = run("ls", "-s", "all").stdout.splitlines()
    assert len(listed) == len(live)
    imported = issues(repo)
    assert sorted(i["beads"] for i in imported) == sorted(r["id"] for r in live)
    live_ids = {r["id"] for r in live}
    linked = {r["id"] for r in live for d in r.get("dependencies") or []
              if d.get("depends_on_id") in live_ids}
    assert {i["beads"] for i in imported if i.get("links")} == linked
    again = run("import", "beads", str(source))
    print(again.stderr)
    assert last_line(again).startswith(f"imported 0, updated 0, unchanged {len(live)}")
    assert len(run("ls", "-s", "all").stdout.splitlines()) == len(live)


# --- gh issue list --json -----------------------------------------------------

def gh_record(number: int, **extra) -> dict:
    record = {"number": number, "title": f"Issue {number}", "body": "text",
              "state": "OPEN", "stateReason": "", "labels": [], "assignees": [],
              "milestone": None, "author": {"login": "octocat", "is_bot": False},
              "createdAt": "2024-03-01T10:00:00Z", "closedAt": None, "comments": [],
              "url": f"https://github.com/acme/rocket/issues/{number}"}
    record.update(extra)
    return record


def test_gh_json_is_imported_like_the_api_and_notes_the_comment_cap(run, repo, tmp_path):
    many = [{"id": f"IC_{i}", "author": {"login": "bob"}, "body": f"c{i}",
             "createdAt": "2024-03-02T00:00:00Z",
             "url": f"https://github.com/acme/rocket/issues/2#issuecomment-{500 + i}"}
            for i in range(100)]
    records = [gh_record(1, labels=[{"id": "L1", "name": "bug", "color": "red"}],
                         assignees=[{"id": "U1", "login": "alice", "name": "Alice"}],
                         milestone={"number": 1, "title": "v1", "dueOn": None}),
               gh_record(2, state="CLOSED", stateReason="COMPLETED",
                         closedAt="2024-03-03T00:00:00Z", comments=many)]
    source = tmp_path / "gh.json"
    source.write_text(json.dumps(records))
    proc = run("import", "gh-json", str(source))
    assert last_line(proc) == "imported 2, updated 0, unchanged 0"
    assert "1 issue has 100 comments, where gh stops" in proc.stderr
    got = by_origin(repo, "github")
    assert got["1"]["labels"] == ["bug"] and got["1"]["assignees"] == ["alice"]
    assert got["1"]["milestone"] == "v1" and got["1"]["github"]["repo"] == "acme/rocket"
    assert got["2"]["status"] == "closed" and len(got["2"]["comments"]) == 100
    assert got["2"]["comments"][0]["github_id"] == 500
    assert run("check").returncode == 0
    again = run("import", "gh-json", str(source))
    assert last_line(again) == "imported 0, updated 0, unchanged 2"


# --- export and import jsonl --------------------------------------------------

def test_export_then_import_jsonl_gives_byte_identical_files(run, repo, tmp_path):
    source = write_jsonl(tmp_path / "issues.jsonl", BEADS)
    run("import", "beads", str(source))
    first = run("new", "Tabs\tand a 'quoted: title'", "-m", "line one\n\ttabbed  \nend",
                "-l", "no", "-p", "2").stdout.strip()
    run("comment", first, "-m", "A comment\nover two lines")
    run("close", first)
    exported = run("export").stdout
    lines = exported.splitlines()
    assert len(lines) == 5 and all(json.loads(line)["id"] for line in lines)
    assert json.loads(lines[0])["title"]  # one object per line
    dump = tmp_path / "export.jsonl"
    dump.write_text(exported)
    other = make_repo(tmp_path / "other")
    proc = run("import", "jsonl", str(dump), cwd=other)
    assert last_line(proc) == "imported 5, updated 0, unchanged 0"
    mine = {p.name: p.read_bytes() for p in (repo / ".issues").glob("*.yml")
            if p.name != "config.yml"}
    theirs = {p.name: p.read_bytes() for p in (other / ".issues").glob("*.yml")
              if p.name != "config.yml"}
    assert theirs == mine
    statuses = [yaml.safe_load((r / ".issues/config.yml").read_text())["statuses"]
                for r in (repo, other)]
    assert statuses[0] == statuses[1]  # the same statuses, each open or closed as there
    assert run("check", cwd=other).returncode == 0
    again = run("import", "jsonl", str(dump), cwd=other)
    assert last_line(again) == "imported 0, updated 0, unchanged 5"


def test_export_takes_the_ls_filters(run, repo):
    run("new", "Open bug", "-l", "bug")
    closed = run("new", "Closed bug", "-l", "bug").stdout.strip()
    run("close", closed)
    run("new", "Open feature", "-l", "feature")
    titles = [json.loads(line)["title"] for line in run("export", "-l", "bug").stdout.splitlines()]
    assert sorted(titles) == ["Closed bug", "Open bug"]
    titles = [json.loads(line)["title"] for line in
              run("export", "-s", "open", "-l", "bug").stdout.splitlines()]
    assert titles == ["Open bug"]
