"""Commands: ``sync github|gitlab|gitea``: the import, then the push of what changed here.

Thin, like ``import github`` next door: the library (sync/github/push.py) does
the work; this prints its notes, conflicts and summary on stderr and exits 1
when a conflict was held back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import click

from git_issues.cli.app import cli, complete_ids
from git_issues.cli.fields import as_flags
from git_issues.cli.importing import api_url_option
from git_issues.cli.progress import Bar, report, say
from git_issues.errors import FieldError
from git_issues.repo.workspace import open_workspace

# The library's option errors name fields; here they are said in flags.
USAGE = {"prefer_ids": "--issue says whose conflicts --prefer settles: "
                       "give --prefer local or --prefer remote too",
         "prefer": "--prefer takes local or remote"}


@cli.group("sync")
def sync() -> None:
    """Two-way sync of the issues with a forge (GitHub, GitLab, Gitea); files are staged."""


def sync_options(func: Callable) -> Callable:
    """The options of every ``sync FORGE``, said once: the run's mode and --prefer."""
    options = [
        click.option("--dry-run", is_flag=True,
                     help="Read the forge (GETs only) and print what the pull would change "
                          "and what the push would send; write nothing, send nothing."),
        click.option("--pull-only", "mode", flag_value="pull", help="Only the import half."),
        click.option("--push-only", "mode", flag_value="push", help="Only the push half."),
        click.option("--prefer", type=click.Choice(["local", "remote"]),
                     help="Settle conflicts: keep ours (and send it) or take the forge's; "
                          "every conflict of this run, or only those of --issue."),
        click.option("--issue", "issues", multiple=True, metavar="ID",
                     shell_complete=complete_ids,
                     help="With --prefer: settle only this issue's conflicts (repeatable); "
                          "the others stay held."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@sync.command("github")
@click.argument("repo", metavar="OWNER/REPO")
@api_url_option
@sync_options
def sync_github(repo: str, api_url: str | None, **run: Any) -> None:
    """Pull GitHub's changes, then create, comment on and update issues there.

    The token comes from GITHUB_TOKEN, GH_TOKEN or `gh auth token` and needs
    write access to issues.  GIT_ISSUES_SYNC_PACE sets the seconds between two
    creations (default 0.8; GitHub allows about 80 a minute) and
    GIT_ISSUES_SYNC_HOURLY the creations allowed in an hour (default 500).
    """
    from git_issues.sync.github.push import SyncOptions, run_sync  # lazy: startup

    _sync(repo, api_url, run, SyncOptions, run_sync)


@sync.command("gitlab")
@click.argument("project", metavar="GROUP/PROJECT")
@click.option("--url", metavar="URL",
              help="The GitLab server (default: $GITLAB_URL or https://gitlab.com).")
@sync_options
def sync_gitlab(project: str, url: str | None, **run: Any) -> None:
    """Pull GitLab's changes, then create, comment on and update issues there.

    The token comes from GITLAB_TOKEN (scope 'api', role Reporter or more), never
    from the command line; GIT_ISSUES_SYNC_PACE and GIT_ISSUES_SYNC_HOURLY pace
    the creations as for GitHub.
    """
    from git_issues.sync.gitlab import twoway  # lazy: startup

    _sync(project, url, run, twoway.SyncOptions, twoway.sync)


@sync.command("gitea")
@click.argument("repo", metavar="OWNER/REPO")
@click.option("--url", metavar="URL",
              help="The Gitea or Forgejo server, e.g. https://codeberg.org (default: $GITEA_URL).")
@sync_options
def sync_gitea(repo: str, url: str | None, **run: Any) -> None:
    """Pull a Gitea or Forgejo repository's changes, then create, comment on and update
    issues there.

    The token comes from GITEA_TOKEN or FORGEJO_TOKEN (scopes 'write:issue' and
    'read:repository'), never from the command line.
    """
    from git_issues.sync.gitea import twoway  # lazy: startup

    _sync(repo, url, run, twoway.SyncOptions, twoway.sync)


def _sync(repo: str, url: str | None, run: dict[str, Any], make: Callable[..., Any],
          start: Callable[..., Any]) -> None:
    """One ``sync FORGE`` run: its options checked, the bar, the lines, the exit code."""
    mode, dry_run, issues = run["mode"], run["dry_run"], run["issues"]
    try:
        options = make(prefer=run["prefer"], prefer_ids=issues or None, pull=mode != "push",
                       push=mode != "pull", dry_run=dry_run, api_url=url)
    except FieldError as exc:
        raise click.UsageError(USAGE.get(exc.field, str(exc))) from None
    counter = Bar(f"Syncing {repo}")
    try:
        with open_workspace() as ws, as_flags(url="--url"):
            if issues:
                options = replace(options, prefer_ids=[ws.store.resolve(i) for i in issues])
            summary, pushed = start(ws, repo, options, say=say, progress=counter)
    finally:
        counter.end()
    for conflict in pushed.conflicts:
        click.echo(f"conflict: {conflict}", err=True)
    if mode != "push":  # the pull ran: its summary line, as the import's
        if dry_run:
            for note in summary.notes:
                click.echo(f"note: {note}", err=True)
            click.echo(f"dry run: the pull would have {summary.line()}", err=True)
        else:
            report(summary)
    click.echo(pushed.line() if not dry_run else f"dry run: would be {pushed.line()}", err=True)
    if pushed.conflicts:
        raise SystemExit(1)
