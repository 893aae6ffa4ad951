"""The sync state file: one issue a line, kept as text in memory, read back byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_issues.errors import GitIssuesError
from git_issues.sync import state as state_mod

VALUES = {"title": "Crash \"quoted\" é", "status": "closed", "closed": "2024-01-02T00:00:00Z",
          "labels": ["bug"], "assignees": [], "milestone": None, "body": "0123456789abcdef"}


def test_a_state_is_written_a_line_an_issue_and_read_back_byte_for_byte(tmp_path: Path):
    state = state_mod.load(tmp_path, "github", "acme/rocket")
    state.since = "2024-05-01T00:00:00Z"
    state.record(12, "abcd2345", VALUES, {"9001": "aaaa"})
    state.record(3, "efgh6789", {**VALUES, "title": "Other"})
    state.record(12, "abcd2345", {**VALUES, "status": "open"}, {"9002": "bbbb"})
    path = state.save()
    text = path.read_text()
    lines = text.splitlines()
    assert len(lines) == 4 and lines[1].startswith('"3": ["efgh6789", "Other"')
    assert json.loads(text)["issues"]["12"][-1] == {"9001": "aaaa", "9002": "bbbb"}
    again = state_mod.load(tmp_path, "github", "acme/rocket")
    assert again.dump() == text
    assert again.issues.local_ids() == {3: "efgh6789", 12: "abcd2345"}
    assert again.base(12)["status"] == "open" and again.comment_base(12, 9002) == "bbbb"
    entry = again.issues[12]  # the entry, kept: a caller may change it in place
    entry.status = "not_planned"
    assert again.base(12)["status"] == "not_planned"
    assert '"not_planned"' in again.dump()


def test_an_empty_state_and_a_hand_edited_one_are_read(tmp_path: Path):
    state = state_mod.load(tmp_path, "github", "acme/rocket")
    state.since = "2024-05-01T00:00:00Z"
    text = state.save().read_text()
    assert text.splitlines()[-1] == "}}" and state_mod.load(tmp_path, "github",
                                                            "acme/rocket").since == state.since
    entry = ["abcd2345", "T", "open", None, [], [], None, "d", {}]
    state.path.write_text(json.dumps({"version": 1, "since": None, "partial": None,
                                      "issues": {"7": entry}}, indent=2))
    assert state_mod.load(tmp_path, "github", "acme/rocket").issues[7].row() == entry


def test_a_broken_line_is_refused_with_the_way_out(tmp_path: Path):
    state = state_mod.load(tmp_path, "github", "acme/rocket")
    state.record(1, "abcd2345", VALUES)
    path = state.save()
    path.write_text(path.read_text().replace('["abcd2345"', '["abcd2345" oops'))
    with pytest.raises(GitIssuesError, match="delete it to fetch everything again"):
        state_mod.load(tmp_path, "github", "acme/rocket")
