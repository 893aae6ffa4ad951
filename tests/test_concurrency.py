"""Many commands at once in one repository: real processes, real SQLite, real git.

The index is shared by the user's commands, the hooks and their editor; writers
of one issue file race.  Nothing may fail with "database is locked", mint one id
twice, or silently lose an edit.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import GIT_ISSUES

GUARD_S = 120  # a hang guard on a shared two-core machine, not a timing assert


def start(repo: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([GIT_ISSUES, *args], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def finish(procs: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=GUARD_S)
        results.append((proc.returncode, out, err))
    return results


def listed_ids(run) -> list[str]:
    return [issue["id"] for issue in json.loads(run("ls", "-s", "all", "--json").stdout)]


def refresh_command() -> tuple[str, ...]:
    """What a hook runs to refresh the index, or reindex before hooks existed."""
    return ("hooks", "run", "post-merge", "0")


@pytest.mark.parametrize("index", ["cold", "warm"])
def test_twelve_new_six_ls_and_a_refresh_at_once(index, run, repo, invoke):
    assert invoke("init", "--no-hooks").exit_code == 0
    existing = [invoke("new", f"Existing issue {n}").stdout.strip() for n in range(30)]
    if index == "warm":
        run("ls")
    else:  # no index at all: every process wants to build it at the same moment
        for stale in (repo / ".git" / "git-issues").glob("index.sqlite*"):
            stale.unlink()

    procs = [start(repo, "new", f"Concurrent issue {n}", "-l", "race") for n in range(12)]
    procs += [start(repo, "ls") for _ in range(6)]
    procs += [start(repo, *refresh_command()), start(repo, "reindex")]
    results = finish(procs)

    for code, _, err in results:
        assert code == 0, err
        assert "locked" not in err.lower() and "Traceback" not in err
    minted = [out.strip() for _, out, _ in results[:12]]
    assert len(set(minted)) == 12
    ids = listed_ids(run)
    assert len(ids) == len(set(ids)) == 42  # no id twice, none lost
    assert set(minted) | set(existing) == set(ids)
    files = sorted(p.stem for p in (repo / ".issues").glob("*.yml") if p.name != "config.yml")
    assert files == sorted(ids)
    staged = run("ls", "-l", "race", "--json").stdout
    assert len(json.loads(staged)) == 12


def test_two_edits_of_one_issue_never_lose_one(run, repo, invoke):
    """Different fields changed at once: both survive, or the loser is told so."""
    assert invoke("init", "--no-hooks").exit_code == 0
    issue_id = invoke("new", "Raced over").stdout.strip()
    path = repo / ".issues" / f"{issue_id}.yml"
    for round_ in range(6):
        title, label = f"Title of round {round_}", f"round-{round_}"
        first = start(repo, "edit", issue_id, "--title", title)
        second = start(repo, "edit", issue_id, "-l", label)
        (code1, _, err1), (code2, _, err2) = finish([first, second])
        assert code1 == 0 or code2 == 0, (err1, err2)
        text = path.read_text()
        for code, err, mark in ((code1, err1, title), (code2, err2, label)):
            assert "Traceback" not in err and "locked" not in err.lower()
            if code == 0:
                assert mark in text, f"an edit that said it worked was lost: {mark}"
            else:
                assert code == 1
                assert err.startswith("error: ") and err.count("\n") == 1, err
                assert issue_id in err  # names the file (or the issue) it refused
        assert issue_id in run("ls").stdout
    run("show", issue_id)


def test_comments_at_once_all_land(run, repo, invoke):
    """Eight comments on one issue at once: adding a comment conflicts with nothing,
    so a writer that lost the race re-reads and tries again, and all eight land."""
    assert invoke("init", "--no-hooks").exit_code == 0
    issue_id = invoke("new", "Busy thread").stdout.strip()
    procs = [start(repo, "comment", issue_id, "-m", f"comment number {n}") for n in range(8)]
    for code, _, err in finish(procs):
        assert code == 0, err
    shown = json.loads(run("show", issue_id, "--json").stdout)
    bodies = sorted(c["body"] for c in shown["comments"])
    assert bodies == sorted(f"comment number {n}" for n in range(8))


def test_labels_a_close_and_comments_at_once_all_land(run, repo, invoke):
    """Writes whose change does not depend on what changed underneath all apply."""
    assert invoke("init", "--no-hooks").exit_code == 0
    issue_id = invoke("new", "Many hands").stdout.strip()
    procs = [start(repo, "edit", issue_id, "-l", f"area-{n}") for n in range(4)]
    procs += [start(repo, "comment", issue_id, "-m", f"note {n}") for n in range(3)]
    procs.append(start(repo, "close", issue_id))
    for code, _, err in finish(procs):
        assert code == 0, err
    shown = json.loads(run("show", issue_id, "--json").stdout)
    assert sorted(shown["labels"]) == [f"area-{n}" for n in range(4)]
    assert sorted(c["body"] for c in shown["comments"]) == [f"note {n}" for n in range(3)]
    assert shown["status"] == "closed"


def test_writers_and_readers_with_hand_edits_in_between(run, repo, invoke):
    """ls running while files are replaced and removed under it: every ls succeeds,
    and the final listing is exactly the files on disk."""
    assert invoke("init", "--no-hooks").exit_code == 0
    ids = [invoke("new", f"Issue {n}").stdout.strip() for n in range(20)]
    run("ls")
    readers = [start(repo, "ls", "-s", "all") for _ in range(4)]
    for n, issue_id in enumerate(ids):
        path = repo / ".issues" / f"{issue_id}.yml"
        if n % 3 == 0:
            path.unlink()
        else:
            path.write_text(path.read_text().replace(f"Issue {n}", f"Renamed {n}"))
    readers += [start(repo, "ls", "-s", "all") for _ in range(4)]
    for code, _, err in finish(readers):
        assert code == 0, err
        assert "Traceback" not in err
    on_disk = sorted(p.stem for p in (repo / ".issues").glob("*.yml") if p.name != "config.yml")
    assert sorted(listed_ids(run)) == on_disk
    titles = {i["id"]: i["title"] for i in json.loads(run("ls", "-s", "all", "--json").stdout)}
    assert all(title.startswith("Renamed") for title in titles.values())
