"""Issues at any revision: ``ls --at REV``, ``show ID --at REV`` and ``changelog A..B``,
against real repositories with tags, branches, a reopened issue and a bad revision."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import git
from helpers import ids, snapshot, write_issue

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

GITHUB = {"repo": "acme/tool", "number": 12, "url": "https://github.com/acme/tool/issues/12"}


def issues_dir(repo: Path) -> Path:
    return repo / ".issues"


def commit(repo: Path, message: str, tag: str | None = None) -> None:
    git(repo, "add", "-A", ".issues")
    git(repo, "commit", "-q", "-m", message)
    if tag:
        git(repo, "tag", tag)


@pytest.fixture
def history(run, repo: Path) -> Path:
    """v1: three open issues.  v2: the bug closed, the feature retitled, one more
    issue.  Branch 'next' (from v2): the feature closed.  The work tree (back on
    main): one more issue, not committed."""
    run("init", "--no-hooks")
    folder = issues_dir(repo)
    write_issue(folder, "bug11111", "Crash on start", labels=["bug"], origin={"github": GITHUB})
    write_issue(folder, "feat2222", "Dark mode", labels=["feature"])
    write_issue(folder, "docs3333", "Write the guide", created="2026-01-02T00:00:00Z")
    commit(repo, "v1", "v1")
    write_issue(folder, "bug11111", "Crash on start", labels=["bug"], origin={"github": GITHUB},
                status="closed", closed="2026-02-01T00:00:00Z")
    write_issue(folder, "feat2222", "Dark mode for the web view", labels=["feature"])
    write_issue(folder, "new44444", "Later idea", created="2026-01-03T00:00:00Z")
    commit(repo, "v2", "v2")
    git(repo, "checkout", "-q", "-b", "next")
    write_issue(folder, "feat2222", "Dark mode for the web view", labels=["feature"],
                status="closed", closed="2026-03-01T00:00:00Z")
    commit(repo, "feature done")
    git(repo, "checkout", "-q", "main")
    write_issue(folder, "wip55555", "Not committed yet", created="2026-01-04T00:00:00Z")
    return repo


def test_ls_at_a_tag_a_branch_and_a_commit_lists_the_issues_as_they_were(run, history):
    # newest first; bug11111 and feat2222 were made in one second: the forge's number first
    assert ids(run("ls", "--at", "v1")) == ["docs3333", "bug11111", "feat2222"]
    at_v2 = run("ls", "--at", "v2", "-s", "all").stdout
    assert "bug11111\tclosed" in at_v2 and "Dark mode for the web view" in at_v2
    assert "wip55555" not in at_v2
    assert ids(run("ls", "--at", "next", "-s", "closed")) == ["bug11111", "feat2222"]
    sha = git(history, "rev-parse", "v1").strip()
    assert run("ls", "--at", sha[:10]).stdout == run("ls", "--at", "v1").stdout
    # the work tree's own listing is unchanged: the uncommitted issue, the closed bug
    assert ids(run("ls")) == ["wip55555", "new44444", "docs3333", "feat2222"]


def test_ls_at_filters_and_prints_json(run, history):
    docs = json.loads(run("ls", "--at", "v1", "-l", "bug", "--json").stdout)
    assert [(d["id"], d["status"], d["github"]["number"]) for d in docs] == \
        [("bug11111", "open", 12)]
    assert ids(run("ls", "--at", "v2", "-q", "web view")) == ["feat2222"]
    assert run("ls", "--at", "v1", "-s", "closed").stdout == ""


def test_ls_at_changes_neither_the_work_tree_nor_gits_index(run, history):
    before_files, before_ls = snapshot(history), run("ls").stdout
    before_status = git(history, "status", "--porcelain")
    run("ls", "--at", "v1")
    run("show", "feat", "--at", "v1")
    assert snapshot(history) == before_files
    assert git(history, "status", "--porcelain") == before_status
    assert run("ls").stdout == before_ls


def test_a_trees_index_is_kept_and_read_again(run, history):
    first = run("ls", "--at", "v1", "-s", "all").stdout
    kept = list((history / ".git" / "git-issues" / "trees").glob("*.sqlite"))
    tree = git(history, "rev-parse", "v1:.issues").strip()
    assert [p.name.split("-")[0] for p in kept] == [tree]
    assert run("ls", "--at", "v1", "-s", "all").stdout == first
    assert "feat2222" in run("show", "feat", "--at", "v1").stdout


def test_show_at_a_revision(run, history):
    shown = run("show", "feat", "--at", "v1").stdout
    assert shown.startswith("Dark mode  #feat2222") and "web view" not in shown
    doc = json.loads(run("show", "bug1", "--at", "v1", "--json").stdout)
    assert (doc["id"], doc["status"]) == ("bug11111", "open")
    assert json.loads(run("show", "bug1", "--at", "v2", "--json").stdout)["status"] == "closed"
    missing = run("show", "new4", "--at", "v1", check=False)
    assert missing.returncode == 1
    assert missing.stderr == "error: no issue matches 'new4' at v1\n"


def test_show_at_names_a_file_that_could_not_be_read_there(run, history):
    (issues_dir(history) / "brok6666.yml").write_text("title: [unclosed\n")
    commit(history, "broken", "v3")
    proc = run("show", "brok", "--at", "v3", check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: .issues/brok6666.yml at v3: ")
    listed = run("ls", "--at", "v3", check=False)
    assert listed.returncode == 1 and "brok6666.yml at v3" in listed.stderr
    assert "docs3333" in listed.stdout  # the others are still listed


@pytest.mark.parametrize("args", [
    ("ls", "--at", "nope"),
    ("show", "feat", "--at", "nope"),
    ("ls", "--at", "-s"),
    ("changelog", "v1..nope"),
])
def test_a_bad_revision_is_one_line_and_exit_1(run, history, args):
    proc = run(*args, check=False)
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("error: unknown revision ")
    assert "nope" in proc.stderr or "'-s'" in proc.stderr


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The names of the files the first read of a tree parses (the others' rows
    come from the work tree's index)."""
    from git_issues.index import snapshot as kept

    names: list[str] = []
    real = kept.parse_blobs

    def counting(chunk, rev, statuses):
        names.extend(name for name, _ in chunk)
        return real(chunk, rev, statuses)

    monkeypatch.setattr(kept, "parse_blobs", counting)
    return names


def forget_trees(repo: Path) -> None:
    for path in (repo / ".git" / "git-issues" / "trees").glob("*.sqlite"):
        path.unlink()


def test_the_first_read_parses_only_what_the_work_tree_does_not_hold(run, history, parsed):
    """v1's docs3333 is the work tree's, unchanged: its rows are the work tree
    index's.  Edited in the work tree (staged or not), it is parsed from v1 again."""
    at_v2 = json.loads(run("ls", "--at", "v2", "-s", "all", "--json").stdout)
    here = json.loads(run("ls", "-s", "all", "--json").stdout)
    assert parsed == [] and at_v2 == [d for d in here if d["id"] != "wip55555"]
    assert ids(run("ls", "--at", "v1")) == ["docs3333", "bug11111", "feat2222"]
    assert sorted(parsed) == ["bug11111.yml", "feat2222.yml"]
    write_issue(issues_dir(history), "docs3333", "Guide rewritten here",
                created="2026-01-02T00:00:00Z")
    for staged in (False, True):
        if staged:
            git(history, "add", ".issues/docs3333.yml")
        forget_trees(history)
        parsed.clear()
        listed = run("ls", "--at", "v1", "-q", "guide").stdout
        assert "docs3333.yml" in parsed and "Write the guide" in listed, (staged, listed)


def test_a_copied_repository_still_lends_its_rows(run, history, parsed):
    """A copy's stat data are stale in git's index (other inodes): git compares the
    content, finds nothing changed, and writes nothing."""
    copy = history.parent / "copy"
    shutil.copytree(history, copy, symlinks=True)
    git_index = (copy / ".git" / "index").read_bytes()
    assert ids(run("ls", "--at", "v2", cwd=copy)) == ["new44444", "docs3333", "feat2222"]
    assert parsed == []
    assert (copy / ".git" / "index").read_bytes() == git_index


@pytest.mark.parametrize("meanwhile", ["file broken", "index deleted"])
def test_a_work_tree_index_that_changes_meanwhile_lends_nothing(run, history, parsed,
                                                                monkeypatch, meanwhile):
    """Between git's answer and the copy of the rows, a file of the work tree is
    broken and its row gone, or the whole index deleted: the tree is parsed whole,
    and the index kept for it misses no issue."""
    from git_issues.ops import revisions

    real = revisions._clean_blobs

    def then_change(root):
        clean = real(root)
        if meanwhile == "file broken":
            (issues_dir(history) / "docs3333.yml").write_text("title: [\n")
            run("ls", check=False)  # the work tree's index drops its row
        else:
            for index in (history / ".git" / "git-issues").glob("*.sqlite*"):
                index.unlink()
        return clean

    monkeypatch.setattr(revisions, "_clean_blobs", then_change)
    assert ids(run("ls", "--at", "v2")) == ["new44444", "docs3333", "feat2222"]
    assert "docs3333.yml" in parsed
    monkeypatch.setattr(revisions, "_clean_blobs", real)
    assert ids(run("ls", "--at", "v2")) == ["new44444", "docs3333", "feat2222"]


def test_a_work_tree_config_with_other_statuses_lends_no_rows(run, history, parsed):
    config = issues_dir(history) / "config.yml"
    config.write_text(config.read_text().replace("closed: closed", "closed: open"))
    assert "bug11111\tclosed" in run("ls", "--at", "v2", "-s", "all").stdout
    assert sorted(parsed) == ["bug11111.yml", "docs3333.yml", "feat2222.yml", "new44444.yml"]
    assert ids(run("ls", "--at", "v2", "-s", "closed")) == ["bug11111"]


def test_many_files_are_parsed_on_every_core(run, history, monkeypatch):
    """Above the threshold the files of a tree are parsed by forked workers, in
    chunks; a broken one is still its own line."""
    from git_issues.index import pool

    monkeypatch.setattr(pool, "_PARALLEL_MIN", 2)
    sizes: list[int] = []
    real = pool.in_parallel

    def two_workers(work, chunks, size, jobs):
        sizes.append(size)
        return real(work, chunks, size, 2)

    monkeypatch.setattr(pool, "in_parallel", two_workers)
    (issues_dir(history) / "brok6666.yml").write_text("title: [unclosed\n")
    commit(history, "broken", "v3")
    git(history, "rm", "-q", "--cached", ".issues/brok6666.yml")
    (issues_dir(history) / "brok6666.yml").unlink()
    listed = run("ls", "--at", "v1", "-s", "all", check=False)
    assert ids(listed) == ["docs3333", "bug11111", "feat2222"] and sizes[-1] == 2
    git(history, "checkout", "-q", "v1", "--", ".issues")  # v3 and the work tree differ more
    listed = run("ls", "--at", "v3", "-s", "all", check=False)
    assert listed.returncode == 1 and "brok6666.yml at v3" in listed.stderr
    assert ids(listed) == ["wip55555", "new44444", "docs3333", "bug11111", "feat2222"]
    assert sizes[-1] >= 3


# --- changelog ----------------------------------------------------------------

@pytest.fixture
def release(run, repo: Path) -> Path:
    """v1 -> v2: a bug and a feature closed, one issue closed and reopened, one
    opened and closed, one opened and still open, one closed before v1."""
    run("init", "--no-hooks")
    folder = issues_dir(repo)
    write_issue(folder, "bug11111", "Crash on start", labels=["bug"], origin={"github": GITHUB})
    write_issue(folder, "feat2222", "Dark mode", labels=["Feature", "ui"])
    write_issue(folder, "back3333", "Flaky test")
    write_issue(folder, "old44444", "Closed long ago", status="closed",
                closed="2025-01-01T00:00:00Z")
    write_issue(folder, "keep5555", "Still open, untouched")
    commit(repo, "v1", "v1")
    for issue_id, title, labels in (("bug11111", "Crash on start", ["bug"]),
                                    ("feat2222", "Dark mode", ["Feature", "ui"]),
                                    ("back3333", "Flaky test", [])):
        extra = {"origin": {"github": GITHUB}} if issue_id == "bug11111" else {}
        write_issue(folder, issue_id, title, labels=labels, status="closed",
                    closed="2026-02-01T00:00:00Z", **extra)
    write_issue(folder, "fast6666", "Quick fix", labels=["chore"], status="closed",
                closed="2026-02-02T00:00:00Z")
    commit(repo, "close things")
    write_issue(folder, "back3333", "Flaky test")  # reopened
    write_issue(folder, "idea7777", "New idea", labels=["bug"])
    write_issue(folder, "keep5555", "Still open, retitled")
    commit(repo, "reopen", "v2")
    return repo


def test_changelog_json_lists_closed_then_opened_by_label(run, release):
    notes = json.loads(run("changelog", "v1..v2", "--format", "json").stdout)
    assert (notes["from"], notes["to"]) == ("v1", "v2")
    assert [(e["id"], e["group"], e["forge"]) for e in notes["closed"]] == [
        ("bug11111", "bug", "acme/tool#12"), ("feat2222", "feature", None),
        ("fast6666", "other", None)]
    assert [(e["id"], e["title"]) for e in notes["opened"]] == [("idea7777", "New idea")]
    assert "back3333" not in json.dumps(notes)  # closed and reopened in the range


def test_changelog_markdown_and_text(run, release):
    markdown = run("changelog", "v1..v2").stdout
    assert markdown.splitlines() == [
        "# Issues from v1 to v2", "", "## Closed", "", "### Bugs", "",
        "- Crash on start (`bug11111`, acme/tool#12)", "", "### Features", "",
        "- Dark mode (`feat2222`)", "", "### Other", "", "- Quick fix (`fast6666`)", "",
        "## Opened, still open", "", "### Bugs", "", "- New idea (`idea7777`)"]
    text = run("changelog", "v1..v2", "--format", "text").stdout
    assert text.splitlines() == [
        "Closed", "  Bugs", "    bug11111  Crash on start  (acme/tool#12)",
        "  Features", "    feat2222  Dark mode", "  Other", "    fast6666  Quick fix",
        "Opened, still open", "  Bugs", "    idea7777  New idea"]


def test_changelog_of_a_range_without_changes_says_so(run, release):
    proc = run("changelog", "v2..v2", "--format", "text")
    assert proc.stdout == "No issue was closed or opened from v2 to v2.\n"
    refused = run("changelog", "v1", check=False)
    assert refused.returncode == 1 and "A..B" in refused.stderr
