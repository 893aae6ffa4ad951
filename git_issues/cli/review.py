"""Commands for reviewing issue changes: ``diff``, ``check`` and git's ``merge-driver``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from git_issues.cli.app import cli
from git_issues.core.changes import FORMATS
from git_issues.repo.workspace import open_workspace


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
    from git_issues.ops import review

    with open_workspace() as ws:
        report = review.diff(ws, revisions)
    click.echo(review.format_report(report, fmt), nl=False)


@cli.command()
@click.option("--staged", is_flag=True,
              help="Check what is staged in git's index (for the pre-commit hook).")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
def check(staged: bool, paths: tuple[str, ...]) -> None:
    """Validate issue files (all, or PATHs) for CI and pre-commit.

    Prints one line per problem and exits 1; prints nothing and exits 0 when
    every file is valid.
    """
    from git_issues.ops import validation

    with open_workspace() as ws:
        if staged:
            problems = validation.check_staged(ws, list(paths))
        else:
            problems = validation.check_worktree(ws, list(paths))
    for line in problems:
        click.echo(line)
    if problems:
        sys.exit(1)


@cli.command("merge-driver", hidden=True)
@click.argument("base", metavar="%O", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("ours", metavar="%A", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("theirs", metavar="%B", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("path", metavar="%P")
@click.argument("labels", metavar="[%L %S %X %Y]", nargs=-1)
def merge_driver(base: Path, ours: Path, theirs: Path, path: str,
                 labels: tuple[str, ...]) -> None:
    """Merge one issue file for git (git runs this; see docs/review.md).

    Writes the result over %A; exits 0 when clean and 1 when a person has
    to resolve the marked fields.  The markers carry git's labels (%S %X %Y,
    git 2.44+) and size (%L), so they name the branches as git's own do.
    """
    from git_issues.gitint import merge

    size, base_label, ours_label, theirs_label = (*labels, None, None, None, None)[:4]
    markers = merge.git_markers(size, base_label, ours_label, theirs_label)
    result = merge.run_driver(base, ours, theirs, path, markers)
    for line in result.messages(path):
        click.echo(f"git-issues: {line}", err=True)
    sys.exit(0 if result.clean else 1)
