"""Commands: ``import github|gitlab|gitea|beads|gh-json|jsonl`` and ``export``.

Thin: each opens the workspace, calls one importer and prints what it did
(cli/progress.py draws the bar on a terminal and prints the summary line).
Messages and the summary go to stderr; ``export`` writes JSON Lines to stdout.
The HTTP client library is imported inside ``import github`` and ``import gitea`` only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from git_issues.cli.app import cli, report_problems
from git_issues.cli.fields import as_flags
from git_issues.cli.listing import filter_options
from git_issues.cli.progress import Bar, report, say
from git_issues.ops.export import export_lines
from git_issues.repo.workspace import open_workspace


def api_url_option(func: Callable) -> Callable:
    """``--api-url``, shared by ``import github`` and ``sync github``."""
    return click.option(
        "--api-url", metavar="URL",
        help="The REST API's base URL (default: $GITHUB_API_URL or https://api.github.com).",
    )(func)


@cli.group("import")
def import_() -> None:
    """Bring issues in from GitHub, GitLab, beads, gh's JSON or an export (files are staged)."""


@import_.command("github")
@click.argument("repo", metavar="OWNER/REPO")
@api_url_option
def import_github(repo: str, api_url: str | None) -> None:
    """Import a GitHub repository's issues and comments; re-runs fetch only what changed.

    The token comes from GITHUB_TOKEN, GH_TOKEN or `gh auth token`, never from
    the command line.
    """
    from git_issues.sync.github.importer import run_import  # lazy: startup

    _with_bar(repo, lambda ws, bar: run_import(ws, repo, api_url=api_url, say=say,
                                               progress=bar))


@import_.command("gitlab")
@click.argument("project", metavar="GROUP/PROJECT")
@click.option("--url", metavar="URL",
              help="The GitLab server (default: $GITLAB_URL or https://gitlab.com).")
def import_gitlab(project: str, url: str | None) -> None:
    """Import a GitLab project's issues and notes (read-only); re-runs fetch only what changed.

    Nested groups are written as they are (group/subgroup/project). The token
    comes from GITLAB_TOKEN, never from the command line; system notes are left out.
    """
    from git_issues.sync.gitlab.importer import run_import  # lazy: startup

    _with_bar(project, lambda ws, bar: run_import(ws, project, url=url, say=say,
                                                  progress=bar))


def _with_bar(name: str, start: Callable[[Any, Bar], Any]) -> None:
    """Run a forge's import with its progress bar, ended before the summary is printed."""
    bar = Bar(f"Importing {name}")
    try:
        with open_workspace() as ws:
            summary = start(ws, bar)
    finally:
        bar.end()
    report(summary)


@import_.command("gitea")
@click.argument("repo", metavar="OWNER/REPO")
@click.option("--url", metavar="URL",
              help="The Gitea or Forgejo server, e.g. https://codeberg.org (default: $GITEA_URL).")
def import_gitea(repo: str, url: str | None) -> None:
    """Import a Gitea or Forgejo repository's issues and comments; re-runs fetch only what
    changed.

    The token comes from GITEA_TOKEN or FORGEJO_TOKEN, never from the command line.
    """
    from git_issues.sync.gitea.importer import run_import  # lazy: startup

    bar = Bar(f"Importing {repo}")
    try:
        with open_workspace() as ws, as_flags(url="--url"):
            summary = run_import(ws, repo, url=url, say=say, progress=bar)
    finally:
        bar.end()
    report(summary)


@import_.command("beads")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_beads(path: str) -> None:
    """Import beads' .beads/issues.jsonl (deleted issues are left out)."""
    from git_issues.sync.beads import import_file  # lazy: startup

    with open_workspace() as ws:
        summary = import_file(ws, path)
    report(summary)


@import_.command("gh-json")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--repo", metavar="OWNER/REPO",
              help="The repository (read from each issue's url when not given).")
def import_gh_json(path: str, repo: str | None) -> None:
    """Import the output of `gh issue list --state all --json ...` (see docs/import.md)."""
    from git_issues.sync.ghjson import import_file  # lazy: startup

    with open_workspace() as ws:
        summary = import_file(ws, path, repo=repo)
    report(summary)


@import_.command("jsonl")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
def import_jsonl(path: str) -> None:
    """Import what `git issues export` wrote ('-' reads stdin)."""
    from git_issues.sync.jsonl import import_file  # lazy: startup

    with open_workspace() as ws:
        summary = import_file(ws, path)
    report(summary)


@cli.command()
@click.option("-s", "--status", default="all", show_default=True,
              help="open, closed, a configured status, or all.")
@filter_options
def export(status: str, **filters: Any) -> None:
    """Every issue as JSON Lines on stdout, comments included (the ls filters apply)."""
    filters.pop("as_json", None)
    with open_workspace() as ws, as_flags(text="-q"):
        problems = export_lines(ws, status=status, write=_write_line, **filters)
    report_problems(problems)


def _write_line(line: str) -> None:
    sys.stdout.write(line + "\n")
