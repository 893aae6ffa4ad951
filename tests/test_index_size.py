"""The index on disk stays within twice the issue files it indexes (issue 27).

It was 2.8x: each issue's JSON as large as its file, and the words' index
holding every word's positions.  The issues are the benchmark's (a few-line
body, up to three comments), the size the bench's 100,000 and 250,000 measure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import ids

pytestmark = pytest.mark.in_process

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _bytes(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in os.scandir(folder) if entry.is_file())


@pytest.fixture
def generated(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(BENCH))
    from gibench.generation import generate_issues, write_issues

    folder = repo / ".issues"
    folder.mkdir(exist_ok=True)
    write_issues(folder, generate_issues(3_000, seed=27))
    return repo


def test_the_index_stays_within_twice_the_issue_files(run, generated: Path):
    assert len(ids(run("ls", "-s", "all"))) == 3_000
    for number in range(20):  # writes between reads: pages split, rows move
        run("new", f"Written between reads {number}", "-m", "A body\nof two lines\n")
    assert len(ids(run("ls", "-s", "all", "-q", "written"))) == 20
    index = generated / ".git" / "git-issues" / "index.sqlite"
    ratio = index.stat().st_size / _bytes(generated / ".issues")
    assert ratio <= 2.0, f"the index is {ratio:.2f}x the issue files"
