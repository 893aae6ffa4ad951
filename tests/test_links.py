"""link, unlink and ready, run as a user types them (in this process: see conftest.run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers import new, path_of

pytestmark = pytest.mark.in_process


def links(repo: Path, issue_id: str) -> dict:
    return yaml.safe_load(path_of(repo, issue_id).read_text()).get("links", {})


def ready_ids(run, *args: str) -> list[str]:
    return [line.split("\t")[0] for line in run("ready", *args).stdout.splitlines()]


def test_link_is_stored_once_and_shown_from_both_sides(run, repo):
    engine = new(run, "Fix the engine")
    release = new(run, "Release 2.0")
    release_before = path_of(repo, release).read_bytes()
    proc = run("link", engine[:5], "--blocks", release[:5])
    assert f"Linked: {engine} blocks {release}" in proc.stderr
    assert links(repo, engine) == {"blocks": [release]}
    assert path_of(repo, release).read_bytes() == release_before
    assert f"blocks: {release}  Release 2.0" in run("show", engine).stdout
    assert f"blocked by: {engine}  Fix the engine" in run("show", release).stdout


def test_blocked_by_and_related(run, repo):
    a, b, c = new(run, "A"), new(run, "B"), new(run, "C")
    run("link", a, "--blocked-by", b)
    run("link", a, "--related", c)
    assert links(repo, a) == {"blocked_by": [b], "related": [c]}
    assert f"blocks: {a}" in run("show", b).stdout
    assert f"related: {a}" in run("show", c).stdout


def test_linking_again_from_either_side_changes_nothing(run, repo):
    a, b = new(run, "A"), new(run, "B")
    run("link", a, "--blocks", b)
    before = [path_of(repo, i).read_bytes() for i in (a, b)]
    assert "Already linked" in run("link", a, "--blocks", b).stderr
    assert "Already linked" in run("link", b, "--blocked-by", a).stderr
    run("link", a, "--related", b)
    assert "Already linked" in run("link", b, "--related", a).stderr
    assert path_of(repo, b).read_bytes() == before[1]


def test_unlink_from_the_side_that_does_not_store_it(run, repo):
    a, b = new(run, "A"), new(run, "B")
    run("link", a, "--blocks", b)
    proc = run("unlink", b, "--blocked-by", a)
    assert f"Unlinked: {b} blocked by {a}" in proc.stderr
    assert links(repo, a) == {}
    assert "links" not in path_of(repo, a).read_text()
    assert sorted(ready_ids(run)) == sorted([a, b])


def test_unlink_a_dangling_link(run, repo):
    a, b = new(run, "A"), new(run, "B")
    run("link", a, "--related", b)
    path_of(repo, b).unlink()
    run("unlink", a, "--related", b[:6])
    assert links(repo, a) == {}


@pytest.mark.parametrize(("args", "words"), [
    (("--blocks", "SELF"), ("itself",)),
    (("--related", "SELF"), ("itself",)),
    (("--blocks", "zzzz"), ("--blocks", "zzzz")),
    (("--blocked-by", "9"), ("--blocked-by",)),
])
def test_bad_links_are_refused(run, repo, args, words):
    a = new(run, "A")
    args = tuple(arg.replace("SELF", a) for arg in args)
    before = path_of(repo, a).read_bytes()
    proc = run("link", a, *args, check=False)
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("error: ")
    for word in words:
        assert word in proc.stderr
    assert path_of(repo, a).read_bytes() == before


def test_unlink_of_a_missing_link_is_an_error(run, repo):
    a, b = new(run, "A"), new(run, "B")
    before = path_of(repo, a).read_bytes()
    proc = run("unlink", a, "--blocks", b, check=False)
    assert proc.returncode == 1 and "no link" in proc.stderr
    assert path_of(repo, a).read_bytes() == before


def test_link_needs_exactly_one_kind(run, repo):
    a, b = new(run, "A"), new(run, "B")
    assert run("link", a, check=False).returncode == 2
    assert run("link", a, "--blocks", b, "--related", b, check=False).returncode == 2


def test_a_cycle_is_reported(run, repo):
    a, b, c = new(run, "A"), new(run, "B"), new(run, "C")
    run("link", a, "--blocks", b)
    run("link", b, "--blocks", c)
    proc = run("link", c, "--blocks", a)
    assert proc.returncode == 0
    assert f"cycle: {c} -> {a} -> {b} -> {c}" in proc.stderr
    assert links(repo, c) == {"blocks": [a]}
    assert ready_ids(run) == []
    proc = run("link", a, "--related", c)
    assert "cycle" not in proc.stderr


def test_ready(run, repo):
    first = new(run, "First", "-l", "core", "-p", "2")
    second = new(run, "Second", "-p", "0")
    third = new(run, "Third", "-l", "core")
    run("link", first, "--blocks", second)
    run("link", third, "--blocked-by", first)
    assert ready_ids(run) == [first]
    run("close", first)
    assert ready_ids(run, "--sort", "title") == [second, third]
    assert ready_ids(run, "--sort", "priority") == [second, third]
    assert ready_ids(run, "-l", "core") == [third]
    assert ready_ids(run, "--sort", "title", "-n", "1") == [second]
    rows = json.loads(run("ready", "--json", "--sort", "title").stdout)
    assert [r["id"] for r in rows] == [second, third]
    assert rows[1]["links"] == {"blocked_by": [first]}
    line = run("ready", "--sort", "title").stdout.splitlines()[0]
    assert line.split("\t")[:4] == [second, "open", "P0", "Second"]
    run("close", second)
    run("close", third)
    proc = run("ready")
    assert proc.stdout == "" and proc.returncode == 0


def test_a_closed_or_unknown_blocker_does_not_block(run, repo):
    a, b = new(run, "A"), new(run, "B")
    run("link", a, "--blocks", b)
    path_of(repo, a).unlink()
    assert ready_ids(run) == [b]


def test_link_completion_offers_ids(run, repo):
    a, b = new(run, "Alpha"), new(run, "Beta")
    proc = run(env={"_GIT_ISSUES_COMPLETE": "bash_complete",
                    "COMP_WORDS": f"git-issues link {a} --blocks ", "COMP_CWORD": "4"})
    assert sorted(proc.stdout.split()) == sorted([f"plain,{a}", f"plain,{b}"])
