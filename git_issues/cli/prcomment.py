"""Command: ``pr-comment github|gitlab``: the issue diff as one comment on a pull request.

Thin: the library (sync/prcomment.py) finds, writes or deletes the comment;
this reads the arguments (each may come from CI's environment instead),
prints what was done on stdout, and turns a read-only token into one warning
line and exit 0 (the job summary was written before).
"""

from __future__ import annotations

from collections.abc import Callable

import click

from git_issues.cli.app import cli
from git_issues.cli.importing import api_url_option
from git_issues.cli.progress import say
from git_issues.repo.workspace import open_workspace
from git_issues.sync import prcomment

DONE = {"created": "commented on {where}: {url}",
        "updated": "updated the comment on {where}: {url}",
        "unchanged": "the comment on {where} is up to date: {url}",
        "deleted": "deleted the comment on {where}: {revisions} no longer changes issues",
        "nothing": "no issue changes in {revisions}: no comment on {where}"}


@cli.group("pr-comment")
def pr_comment() -> None:
    """Post the issue diff as one comment on a pull request, edited on every run."""


@pr_comment.command("github")
@click.argument("args", nargs=-1, metavar="[OWNER/REPO NUMBER] [BASE...HEAD]")
@api_url_option
def pr_comment_github(args: tuple[str, ...], api_url: str | None) -> None:
    """Comment `git issues diff --format markdown BASE...HEAD` on a GitHub pull request.

    One comment, marked: the next run edits it, and deletes it once the range
    changes no issue. In GitHub Actions every argument defaults from the
    pull_request event (GITHUB_REPOSITORY, GITHUB_EVENT_PATH), and the text is
    also added to the job summary (GITHUB_STEP_SUMMARY). The token comes from
    GITHUB_TOKEN or GH_TOKEN; a read-only one (a fork's pull request) is a
    warning, exit 0. Longer than GitHub's 65,536 characters, the list is cut
    and says how many issues were left out.
    """
    request = prcomment.request_from_github_env(*_split(args, "OWNER/REPO NUMBER"))
    _run(request, f"{request.repo}#{request.number}",
         lambda ws: prcomment.comment_github(ws, request, api_url=api_url, say=say))


@pr_comment.command("gitlab")
@click.argument("args", nargs=-1, metavar="[GROUP/PROJECT MR] [BASE...HEAD]")
@click.option("--url", metavar="URL",
              help="The GitLab server (default: $GITLAB_URL, $CI_SERVER_URL or "
                   "https://gitlab.com).")
def pr_comment_gitlab(args: tuple[str, ...], url: str | None) -> None:
    """The same as a note on a GitLab merge request.

    In a merge request pipeline every argument defaults from CI_PROJECT_PATH,
    CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_DIFF_BASE_SHA and CI_COMMIT_SHA.
    The token comes from GITLAB_TOKEN (the 'api' scope: CI_JOB_TOKEN cannot
    write notes).
    """
    request = prcomment.request_from_gitlab_env(*_split(args, "GROUP/PROJECT MR"))
    _run(request, f"{request.repo}!{request.number}",
         lambda ws: prcomment.comment_gitlab(ws, request, url=url, say=say))


def _split(args: tuple[str, ...], names: str) -> tuple[str | None, int | None, str | None]:
    """``[REPO NUMBER] [RANGE]``: none, the range alone, the two, or all three."""
    if len(args) == 1 and ".." in args[0]:
        return None, None, args[0]
    if len(args) not in (0, 2, 3):
        raise click.UsageError(f"give {names} together, then BASE...HEAD (or none of them "
                               "in CI)")
    if not args:
        return None, None, None
    if not args[1].isdigit() or int(args[1]) == 0:
        raise click.UsageError(f"{names.split()[1]} must be a number, got '{args[1]}'")
    return args[0], int(args[1]), args[2] if len(args) == 3 else None


def _run(request: prcomment.Request, where: str,
         start: Callable[[object], prcomment.Outcome]) -> None:
    with open_workspace() as ws:
        outcome = start(ws)
    if outcome.action == "read-only":
        click.echo(f"warning: {outcome.refusal}; no comment on {where}", err=True)
        return
    click.echo(DONE[outcome.action].format(where=where, url=outcome.url,
                                           revisions=request.revisions))
