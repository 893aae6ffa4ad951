"""Minting ids and resolving the prefixes people type (DESIGN.md §1, IDs)."""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

import pytest

from git_issues.core import ids
from git_issues.errors import GitIssuesError
from git_issues.repo.store import Store

ISSUE = "id: {id}\ntitle: T {id}\nstatus: open\ncreated: '2026-11-26T12:00:00Z'\n"


def test_minted_ids_use_the_alphabet_and_length():
    minted = {ids.mint(lambda _: False) for _ in range(500)}
    assert len(minted) == 500  # random, never repeating in practice
    for issue_id in minted:
        assert len(issue_id) == ids.LENGTH == 8
        assert set(issue_id) <= set(ids.ALPHABET)
        assert ids.ID_RE.fullmatch(issue_id)
    # No look-alikes: 0/o, 1/l/i are never minted.
    assert not set("01ilo") & set(ids.ALPHABET)
    assert not set("".join(minted)) & set("01ilo")


def test_minting_is_not_sequential():
    first, second = ids.mint(lambda _: False), ids.mint(lambda _: False)
    assert first != second
    assert abs(int(first, 36) - int(second, 36)) > 1


def test_mint_skips_ids_that_exist():
    asked: list[str] = []

    def exists(candidate: str) -> bool:
        asked.append(candidate)
        return len(asked) <= 5

    issue_id = ids.mint(exists)
    assert len(asked) == 6 and issue_id == asked[-1]


def test_mint_gives_up_with_a_clear_error():
    with pytest.raises(GitIssuesError, match="could not mint"):
        ids.mint(lambda _: True)


def test_store_mints_against_existing_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The store's check is the file system: a file (even a dangling link) blocks an id."""
    store = Store(tmp_path)
    store.dir.mkdir()
    (store.dir / "aaaaaaaa.yml").write_text(ISSUE.format(id="aaaaaaaa"))
    os.symlink("nowhere", store.dir / "bbbbbbbb.yml")
    letters = itertools.chain("a" * 8, "b" * 8, "c" * 8)
    monkeypatch.setattr(random.SystemRandom, "choices",
                        lambda _self, _alphabet, k: [next(letters) for _ in range(k)])
    assert store.mint_id() == "cccccccc"


@pytest.mark.parametrize("prefix", ["4k7x", "4K7X", " 4k7x ", "4k7xq2m9"])
def test_unique_prefix_and_exact_id_resolve(prefix):
    assert ids.resolve(prefix, ["4k7xq2m9", "9m2p7c4a"]) == "4k7xq2m9"


def test_exact_id_wins_over_longer_ids_it_prefixes():
    assert ids.resolve("abcd", ["abcd", "abcdef", "abcdxy"]) == "abcd"


def test_ambiguous_prefix_lists_the_candidates():
    with pytest.raises(GitIssuesError) as caught:
        ids.resolve("4k", ["4k7xq2m9", "4kaa2222", "9m2p7c4a"])
    message = str(caught.value)
    assert "ambiguous" in message and "'4k'" in message
    assert "4k7xq2m9" in message and "4kaa2222" in message and "9m2p7c4a" not in message


def test_many_candidates_are_cut_short():
    many = [f"ab{n:04d}" for n in range(25)]
    message = str(pytest.raises(GitIssuesError, ids.resolve, "ab", many).value)
    assert "ab0000" in message and "and 15 more" in message and "ab0024" not in message


def test_no_match_names_the_prefix():
    with pytest.raises(GitIssuesError, match="no issue matches 'zzzz'"):
        ids.resolve("zzzz", ["4k7xq2m9"])
    with pytest.raises(GitIssuesError, match="no issue matches"):
        ids.resolve("4k7x", [])


@pytest.mark.parametrize("bad", ["../x", "a/b", "/etc/passwd", "..", ".", "", "   ",
                                 "abc.yml", "x y", "a\nb", "ab-cd", "a" * 17, "é"])
def test_anything_but_a_plain_id_is_refused(bad):
    with pytest.raises(GitIssuesError) as caught:
        ids.resolve(bad, ["abcd1234", "aaaaaaaa"])
    assert "is not an issue id" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("bad", ["../x", "a/b", "ab", "ABCD", "x" * 17])
def test_store_builds_no_path_from_a_non_id(tmp_path: Path, bad):
    with pytest.raises(GitIssuesError, match="is not an issue id"):
        Store(tmp_path).path(bad)


def test_store_resolves_only_names_that_are_ids(tmp_path: Path):
    store = Store(tmp_path)
    store.dir.mkdir()
    (store.dir / "abcd1234.yml").write_text(ISSUE.format(id="abcd1234"))
    (store.dir / "abcd-old.yml").write_text("a backup copy someone left\n")
    (store.dir / "config.yml").write_text("statuses: {open: open, closed: closed}\n")
    assert store.resolve("abcd") == "abcd1234"
    with pytest.raises(GitIssuesError, match="no issue matches 'conf'"):
        store.resolve("conf")


def test_store_resolves_whole_ids_and_prefixes_alike(tmp_path: Path):
    """A whole id is found without listing the folder: the answers must not change."""
    store = Store(tmp_path)
    store.dir.mkdir()
    for issue_id in ("abcd", "abcdef12", "abcdxy34"):
        (store.dir / f"{issue_id}.yml").write_text(ISSUE.format(id=issue_id))
    assert store.resolve("abcd") == "abcd"
    assert store.resolve(" ABCDEF12 ") == "abcdef12"
    assert store.resolve("abcdx") == "abcdxy34"
    with pytest.raises(GitIssuesError, match="ambiguous"):
        store.resolve("abc")
    with pytest.raises(GitIssuesError, match="no issue matches 'abcdef13'"):
        store.resolve("abcdef13")
    with pytest.raises(GitIssuesError, match="is not an issue id"):
        store.resolve("../abcd")


def test_path_traversal_through_the_cli_reads_nothing(run, repo: Path):
    """``show ../x`` must not open ``x.yml`` beside ``.issues/``, even if it is an issue."""
    (repo / ".issues").mkdir()
    (repo / ".issues" / "a").mkdir()
    (repo / "x.yml").write_text(ISSUE.format(id="xxxx1111").replace("T xxxx1111", "SECRET"))
    (repo / ".issues" / "a" / "b.yml").write_text(ISSUE.format(id="bbbb2222"))
    for bad in ("../x", "a/b", "../x.yml"):
        proc = run("show", bad, check=False)
        assert proc.returncode == 1, proc
        assert proc.stderr.startswith("error: ") and "is not an issue id" in proc.stderr
        assert "SECRET" not in proc.stdout + proc.stderr and proc.stdout == ""
        assert "Traceback" not in proc.stderr


def test_a_shown_id_is_the_shortest_prefix_that_names_it_alone():
    every = ["abcd2345", "abcd2367", "abce2345", "abcd", "q2345678", "abcdx234"]
    assert ids.abbreviations(["abcd2345", "abce2345", "abcd", "q2345678", "abcdx234"],
                             every) == {"abcd2345": "abcd234", "abce2345": "abce",
                                        "abcd": "abcd", "q2345678": "q234",
                                        "abcdx234": "abcdx"}
    for full, short in ids.abbreviations(every, every).items():
        assert ids.resolve(short, every) == full


def test_shown_ids_grow_with_the_repository_as_git_hashes_do():
    assert [ids.abbrev_length(n) for n in (1, 500, 1_000, 10_000, 400_000)] == [4, 4, 5, 6, 8]
    many = [f"{n:08d}" for n in range(2_000)]  # 2,000 issues: at least 5 characters
    assert all(len(s) >= 5 for s in ids.abbreviations(many[:10], many).values())
