"""Commands for reviewing issue changes: ``diff`` and ``check``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from git_issues.cli.app import cli, report_problems
from git_issues.core.changes import FORMATS
from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import read_bytes
from git_issues.ops import changelog, cireport, review, validation
from git_issues.repo import gitutil
from git_issues.repo.workspace import Workspace, open_workspace


@cli.command("diff")
@click.argument("revisions", required=False, metavar="[REV | A..B | A...B]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="markdown is made for pull-request comments.")
def diff_command(revisions: str | None, fmt: str) -> None:
    """Say what happened to issues between two states, for reviewers.

    Like git diff: no argument compares HEAD with the work tree, REV compares
    REV with the work tree, A..B compares A with B, and A...B compares the
    merge base of A and B with B: what a pull request does.
    """
    with open_workspace() as ws:
        report = review.diff(ws, revisions)
    click.echo(review.format_report(report, fmt), nl=False)


@cli.command("changelog")
@click.argument("revisions", metavar="A..B")
@click.option("--format", "fmt", type=click.Choice(changelog.FORMATS), default="markdown",
              show_default=True, help="markdown for release notes, json for programs.")
def changelog_command(revisions: str, fmt: str) -> None:
    """Release notes: the issues closed from A to B, then those opened and still open.

    Grouped by label (bug, feature, others), each with its id, title and its
    number on the forge it came from.  An issue closed and reopened within the
    range is open at B: it is not listed as closed.  A...B starts from the
    merge base of A and B.
    """
    with open_workspace() as ws:
        notes = changelog.changelog(ws.root, revisions)
    click.echo(changelog.format_changelog(notes, fmt), nl=False)
    report_problems(notes.problems)


CHECK_FORMATS = ("text", "codequality")


@cli.command()
@click.option("--staged", is_flag=True,
              help="Check what is staged in git's index (for the pre-commit hook).")
@click.option("--commits", "commit_range", metavar="BASE..HEAD",
              help="Also warn when a commit in the range says 'Fixes: ID' or 'Closes: ID' "
                   "and the issue is still open at HEAD.")
@click.option("--format", "fmt", type=click.Choice(CHECK_FORMATS), default="text",
              show_default=True, help="codequality: GitLab's Code Quality report (JSON).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the codequality report to this file (default: standard output).")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
def check(staged: bool, commit_range: str | None, fmt: str, output: str | None,
          paths: tuple[str, ...]) -> None:
    """Validate issue files (all, or PATHs) for CI and pre-commit.

    Prints one line per problem and exits 1; prints nothing and exits 0 when
    every file is valid.  Under GitHub Actions (GITHUB_ACTIONS=true) each
    problem is also printed as a workflow command, so it shows on the pull
    request's files.  Warnings (--commits) do not change the exit code.
    """
    with open_workspace() as ws:
        if staged:
            problems = validation.check_staged(ws, list(paths))
        else:
            problems = validation.check_worktree(ws, list(paths))
        warnings = validation.check_commits(ws, commit_range) if commit_range else []
        read = _staged_reader(ws) if staged else _file_reader(ws)
        found = [*cireport.findings(problems, read), *cireport.findings(warnings, read, "warning")]
    to_file = bool(output and output != "-")
    if fmt == "codequality":
        report = cireport.codequality(found)
        if to_file:
            _write_report(str(output), report)
        else:
            click.echo(report, nl=False)
    else:
        for line in problems:
            click.echo(line)
        for line in warnings:
            click.echo(f"warning: {line}")
    # the workflow commands, unless standard output is the JSON report
    if os.environ.get("GITHUB_ACTIONS") == "true" and (fmt == "text" or to_file):
        for command in cireport.github_commands(found):
            click.echo(command)
    if problems:
        sys.exit(1)


def _write_report(path: str, report: str) -> None:
    try:
        Path(path).write_text(report, encoding="utf-8")
    except OSError as exc:
        raise GitIssuesError(f"{path}: cannot write the report ({exc.strerror})") from None


def _file_reader(ws: Workspace) -> Callable[[str], bytes | None]:
    """A work tree file's bytes for a problem's line (through the guarded reader)."""
    def read(path: str) -> bytes | None:
        try:
            return read_bytes(str(ws.root / path), path)[0]
        except (OSError, GitIssuesError):
            return None
    return read


def _staged_reader(ws: Workspace) -> Callable[[str], bytes | None]:
    """A staged file's bytes for a problem's line."""
    def read(path: str) -> bytes | None:
        proc = gitutil.run(["cat-file", "blob", f":{path}"], ws.root, check=False)
        return proc.stdout if proc.returncode == 0 else None
    return read
