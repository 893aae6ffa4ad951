"""The benchmark's generator makes issues the tool itself accepts.

The benchmark is run by hand, so a model change that breaks it would go
unnoticed until the next measurement: this keeps its generator honest.
"""

from __future__ import annotations

from pathlib import Path

from git_issues.fileformat.issuefile import dump_issue, load_text

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_the_benchmark_generates_issues_that_load_back_unchanged(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.syspath_prepend(str(BENCH.parent / "tests"))
    from gibench.generation import generate_issues

    issues = generate_issues(60, 7)
    assert len({issue.id for issue in issues}) == 60
    assert any(issue.assignees for issue in issues) and any(i.comments for i in issues)
    for issue in issues:
        assert load_text(dump_issue(issue).encode("utf-8"), issue.id) == issue
