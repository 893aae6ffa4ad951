"""Fanned-out folders (issue 27): ``.issues/ab/abcdefgh.yml`` for very large trackers.

``layout: fanned`` in config.yml puts new issues in folders named by the id's
first two characters; ``git issues layout`` moves a tracker either way, as
``git mv`` would; every command and the merge driver read both layouts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git
from helpers import ids

pytestmark = pytest.mark.in_process


def _issue_files(repo: Path) -> list[str]:
    """The issue files in the work tree, as paths below the repository."""
    folder = repo / ".issues"
    return sorted(p.relative_to(repo).as_posix() for p in folder.rglob("*.yml")
                  if p.name != "config.yml" and p.parent.name != "templates")


def _blobs(repo: Path, rev: str) -> dict[str, str]:
    """{id: blob} of the issue files committed at ``rev``, whatever their folder."""
    out = {}
    for line in git(repo, "ls-tree", "-r", rev, "--", ".issues").splitlines():
        meta, path = line.split("\t")
        if path.endswith(".yml") and not path.endswith("config.yml"):
            out[Path(path).stem] = meta.split()[2]
    return out


@pytest.fixture
def tracker(run, repo: Path) -> tuple[Path, list[str]]:
    """An initialised repository with eight committed issues, flat."""
    run("init", "--no-hooks")
    made = [run("new", f"Issue number {n}", "-m", f"Body {n}").stdout.strip() for n in range(8)]
    git(repo, "commit", "-q", "-m", "issues")
    return repo, made


def test_layout_moves_every_file_staged_and_back_to_the_same_blobs(run, tracker):
    repo, made = tracker
    before = _blobs(repo, "HEAD")
    listed = run("ls", "-s", "all").stdout
    moved = run("layout", "fanned")
    assert "moved 8 issue files to the fanned layout (8 staged)" in moved.stderr
    assert _issue_files(repo) == sorted(f".issues/{i[:2]}/{i}.yml" for i in made)
    status = git(repo, "status", "--porcelain", "--untracked-files=all", "--", ".issues")
    renamed = [f"R  .issues/{i}.yml -> .issues/{i[:2]}/{i}.yml" for i in made]
    assert sorted(status.splitlines()) == sorted(["M  .issues/config.yml", *renamed])
    assert "layout: fanned" in (repo / ".issues" / "config.yml").read_text()
    assert ".issues/*/*.yml merge=git-issues" in (repo / ".gitattributes").read_text()
    assert run("ls", "-s", "all").stdout == listed  # the same issues, read from the folders
    git(repo, "commit", "-q", "-m", "fan out")
    assert _blobs(repo, "HEAD") == before  # moved, not rewritten
    run("layout", "flat")
    assert _issue_files(repo) == sorted(f".issues/{i}.yml" for i in made)
    assert not [p for p in (repo / ".issues").iterdir() if p.is_dir() and len(p.name) == 2]
    git(repo, "commit", "-q", "-m", "flat again")
    assert _blobs(repo, "HEAD") == before


def test_a_fanned_tracker_puts_new_issues_in_folders_and_every_command_finds_them(run, tracker):
    repo, made = tracker
    run("layout", "fanned")
    new = run("new", "Fanned one", "-m", "Where does it go?").stdout.strip()
    path = f".issues/{new[:2]}/{new}.yml"
    assert (repo / path).is_file() and not (repo / ".issues" / f"{new}.yml").exists()
    assert path in git(repo, "diff", "--cached", "--name-only")  # staged, as new does
    run("comment", new, "-m", "A comment")
    run("close", made[0])
    run("edit", made[1], "--title", "Renamed in its folder")
    assert _issue_files(repo) == sorted(f".issues/{i[:2]}/{i}.yml" for i in [*made, new])
    assert "A comment" in run("show", new).stdout
    assert ids(run("ls", "-q", "renamed")) == [made[1]]
    assert made[0] not in ids(run("ls"))
    assert run("check").returncode == 0
    git(repo, "commit", "-q", "-am", "work")
    assert "Renamed in its folder" in run("log", made[1]).stdout
    assert set(ids(run("ls", "--at", "HEAD", "-s", "all"))) == {*made, new}  # fanned tree
    assert set(ids(run("ls", "--at", "HEAD~1", "-s", "all"))) == set(made)  # flat tree


def test_both_layouts_at_once_are_read_and_an_edit_stays_where_the_file_is(run, tracker):
    repo, made = tracker
    folder = repo / ".issues"
    (folder / made[0][:2]).mkdir(exist_ok=True)
    (folder / f"{made[0]}.yml").rename(folder / made[0][:2] / f"{made[0]}.yml")
    assert set(ids(run("ls"))) == set(made)
    run("edit", made[0], "--title", "Edited where it is")
    assert not (folder / f"{made[0]}.yml").exists()  # no flat twin made
    assert "Edited where it is" in (folder / made[0][:2] / f"{made[0]}.yml").read_text()
    new = run("new", "Still flat").stdout.strip()  # config.yml says flat
    assert (folder / f"{new}.yml").is_file()


def test_a_file_in_the_wrong_folder_is_one_line_and_hides_nothing(run, tracker):
    repo, made = tracker
    wrong = repo / ".issues" / "zz"
    wrong.mkdir()
    (repo / ".issues" / f"{made[0]}.yml").rename(wrong / f"{made[0]}.yml")
    listed = run("ls", check=False)
    assert set(ids(listed)) == set(made[1:])
    expected = f"belongs in .issues/{made[0][:2]}/{made[0]}.yml"
    assert expected in listed.stderr
    checked = run("check", check=False)
    assert checked.returncode == 1 and expected in checked.stdout + checked.stderr


def test_a_move_that_would_overwrite_refuses_and_moves_nothing(run, tracker):
    repo, made = tracker
    folder = repo / ".issues"
    (folder / made[0][:2]).mkdir()
    twin = folder / made[0][:2] / f"{made[0]}.yml"
    twin.write_bytes((folder / f"{made[0]}.yml").read_bytes())
    files = _issue_files(repo)
    refused = run("layout", "fanned", check=False)
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
    assert "hold the same id" in refused.stderr and "Traceback" not in refused.stderr
    assert _issue_files(repo) == files
    assert "layout:" not in (folder / "config.yml").read_text()


def test_two_branches_editing_one_fanned_issue_merge_field_by_field(run, tracker):
    repo, made = tracker
    run("layout", "fanned")
    git(repo, "commit", "-q", "-m", "fan out")
    git(repo, "checkout", "-q", "-b", "topic")
    run("edit", made[2], "--title", "Title from topic")
    git(repo, "commit", "-q", "-am", "topic")
    git(repo, "checkout", "-q", "main")
    run("edit", made[2], "-l", "from-main")
    git(repo, "commit", "-q", "-am", "main")
    git(repo, "merge", "-q", "--no-edit", "topic")  # raises if git left a conflict
    shown = run("show", made[2]).stdout
    assert "Title from topic" in shown and "from-main" in shown


def test_a_branch_from_before_the_move_merges_into_the_fanned_tracker(run, tracker):
    repo, made = tracker
    git(repo, "checkout", "-q", "-b", "old")
    run("edit", made[3], "--title", "Edited before the move")
    git(repo, "commit", "-q", "-am", "old")
    git(repo, "checkout", "-q", "main")
    run("layout", "fanned")
    git(repo, "commit", "-q", "-m", "fan out")
    git(repo, "merge", "-q", "--no-edit", "old")  # git follows the rename
    assert _issue_files(repo) == sorted(f".issues/{i[:2]}/{i}.yml" for i in made)
    assert "Edited before the move" in run("show", made[3]).stdout
    review = run("diff", "HEAD~1..HEAD").stdout
    assert "Edited before the move" in review


def test_a_reviewer_of_the_move_sees_only_the_issues_it_changed(run, tracker):
    import json

    repo, made = tracker
    run("layout", "fanned")
    assert json.loads(run("diff", "--format", "json").stdout)["issues"] == []  # work tree
    run("edit", made[4], "--title", "Moved and renamed")
    git(repo, "commit", "-q", "-m", "fan out, and one edit")
    report = json.loads(run("diff", "HEAD~1..HEAD", "--format", "json").stdout)
    assert [(i["id"], i["kind"]) for i in report["issues"]] == [(made[4], "changed")]
    assert "Moved and renamed" in run("diff", "HEAD~1..HEAD").stdout
    notes = json.loads(run("changelog", "HEAD~1..HEAD", "--format", "json").stdout)
    assert not any(notes.get(k) for k in ("opened", "closed")), notes


def test_init_after_the_move_registers_the_driver_for_the_folders_too(run, repo: Path):
    made = run("new", "Before init").stdout.strip()
    run("layout", "fanned")
    assert not (repo / ".gitattributes").exists()  # no driver yet: nothing to name
    assert (repo / ".issues" / made[:2] / f"{made}.yml").is_file()
    run("init", "--no-hooks")
    lines = (repo / ".gitattributes").read_text().splitlines()
    assert ".issues/*.yml merge=git-issues" in lines
    assert ".issues/*/*.yml merge=git-issues" in lines
    assert ".gitattributes" in git(repo, "diff", "--cached", "--name-only")


def test_a_sweep_of_temporaries_goes_into_the_folders_but_never_through_a_link(tmp_path: Path):
    import os

    from git_issues.repo.store import sweep_temporaries

    folder, elsewhere = tmp_path / ".issues", tmp_path / "elsewhere"
    (folder / "ab").mkdir(parents=True)
    elsewhere.mkdir()
    (folder / "cd").symlink_to(elsewhere)
    left = [folder / "ab" / ".abcdefgh.yml.99.tmp", elsewhere / ".cdcdcdcd.yml.99.tmp"]
    for path in left:
        path.write_text("killed writer")
        os.utime(path, (0, 0))  # long past the age a temporary is swept at
    sweep_temporaries(folder)
    assert not left[0].exists() and left[1].exists()
