"""Which directory entries are issue files: one rule (store.py), asked the same way by
every reader: the freshness scan, ``Store.ids``, ``check``, ``diff``, the hooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_issues.index.scan import list_names, scan
from git_issues.repo.store import (
    CONFIG_PATH,
    Store,
    file_name,
    is_listed,
    issue_names,
    issue_stem,
    path_stem,
)

# name -> the id it holds (None: not an issue file), and whether `check` looks at it
NAMES = {
    "4k7xq2m9.yml": ("4k7xq2m9", True),
    "abcd-old.yml": ("abcd-old", True),  # not an id, but an issue file `check` reports
    "config.yml": (None, True),  # the project's config: checked as such
    ".4k7xq2m9.yml.123.tmp": (None, False),  # a writer's temporary
    ".hidden.yml": (None, False),
    "notes.yaml": (None, False),
    "notes.txt": (None, False),
    "a\nb.yml": (None, True),  # no id holds a newline; `check` names it
    "esc\x1b.yml": (None, True),
}


@pytest.mark.parametrize(("name", "expected"), NAMES.items())
def test_one_rule_answers_for_a_name(name: str, expected: tuple[str | None, bool]):
    stem, listed = expected
    assert issue_stem(name) == stem
    assert issue_names([name]) == ([name] if stem else [])
    assert path_stem(f".issues/{name}") == stem
    assert is_listed(name) is listed


@pytest.mark.parametrize("path", ["4k7xq2m9.yml", "docs/4k7xq2m9.yml",
                                  ".issues/sub/4k7xq2m9.yml", "x/.issues/4k7xq2m9.yml"])
def test_only_entries_directly_in_the_issue_folder_count(path: str):
    assert path_stem(path) is None


def test_the_names_round_trip():
    assert issue_stem(file_name("4k7xq2m9")) == "4k7xq2m9"
    assert CONFIG_PATH == ".issues/config.yml"


def test_the_scan_and_the_store_list_the_same_files(tmp_path: Path):
    folder = tmp_path / ".issues"
    folder.mkdir()
    for name in NAMES:
        (folder / name).write_text("x")
    expected = sorted(name for name, (stem, _) in NAMES.items() if stem)
    assert sorted(scan(folder)) == sorted(list_names(folder)) == expected
    assert sorted(Store(tmp_path).ids()) == sorted(issue_stem(n) for n in expected)


@pytest.mark.parametrize(("path", "stem"), [
    (".issues/4k/4k7xq2m9.yml", "4k7xq2m9"),  # a fanned-out issue (layout: fanned)
    (".issues/zz/4k7xq2m9.yml", "4k7xq2m9"),  # in the wrong folder: a file check reports
    (".issues/4k/.4k7xq2m9.yml.1.tmp", None),
    (".issues/4k/config.yml", None),
    (".issues/4K/4k7xq2m9.yml", None),  # no id has capitals
    (".issues/templates/bug.yml", None),
    (".issues/4k/4k/4k7xq2m9.yml", None),
])
def test_a_fanned_out_folder_is_one_level_of_two_id_characters(path: str, stem: str | None):
    assert path_stem(path) == stem


def test_the_scan_and_the_store_list_fanned_out_files_and_follow_no_link(tmp_path: Path):
    folder = tmp_path / ".issues"
    (folder / "4k").mkdir(parents=True)
    (folder / "4k" / "4k7xq2m9.yml").write_text("x")
    (folder / "4k" / ".4k7xq2m9.yml.1.tmp").write_text("x")
    (folder / "ab").write_text("a file, not a folder")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "cdcdcdcd.yml").write_text("x")
    (folder / "cd").symlink_to(tmp_path / "elsewhere")
    (folder / "flatflat.yml").write_text("x")
    expected = ["4k/4k7xq2m9.yml", "flatflat.yml"]
    assert sorted(scan(folder)) == sorted(list_names(folder)) == expected
    assert sorted(Store(tmp_path).ids()) == ["4k7xq2m9", "flatflat"]
