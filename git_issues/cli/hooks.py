"""Commands: ``hooks install | uninstall | status``, and the hidden ``hooks run`` the scripts call.

Loaded only when ``hooks`` is named (``cli.app.COMMAND_MODULES``), so the library
is imported at the top.
"""

from __future__ import annotations

import click

from git_issues.cli.app import cli
from git_issues.gitint import githooks
from git_issues.repo.workspace import open_workspace


@cli.group()
def hooks() -> None:
    """Manage the git hooks that keep the index fresh and check commits."""


@hooks.command()
def install() -> None:
    """Install the hooks; hooks already there keep running, before ours."""
    with open_workspace() as ws:
        done = githooks.install(ws)
        where = githooks.hooks_dir(ws)
    for line in done:
        click.echo(line, err=True)
    if not done:
        click.echo(f"the hooks are already installed in {where}", err=True)


@hooks.command()
def uninstall() -> None:
    """Remove the hooks and put back exactly what was there before."""
    with open_workspace() as ws:
        done = githooks.uninstall(ws)
    for line in done:
        click.echo(line, err=True)
    if not done:
        click.echo("no git-issues hooks were installed", err=True)


@hooks.command()
def status() -> None:
    """Say for each hook: ours, chained (ours after another), foreign or missing."""
    with open_workspace() as ws:
        states = githooks.status(ws)
    for hook in states:
        note = ""
        if hook.state == githooks.CHAINED:
            note = f"  (runs {hook.orig.name} first)"
        if hook.state in (githooks.OURS, githooks.CHAINED) and not hook.current:
            note += "  (out of date: run `git issues hooks install`)"
        click.echo(f"{hook.name:<14} {hook.state:<8} {hook.path}{note}")


@hooks.command("run", hidden=True,
               context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_hook(name: str, args: tuple[str, ...]) -> None:
    """What the hook scripts call once they know an issue file changed (or is staged).

    The post-* hooks refresh the index and never fail: a problem is one
    warning line, and the next command retries.  pre-commit is ``check
    --staged`` on the files the commit changes, and fails the commit on any
    problem.
    """
    if name not in githooks.HOOK_NAMES:
        raise click.UsageError(f"no hook named '{name}'")
    if name == "pre-commit":
        _pre_commit()
        return
    try:
        with open_workspace() as ws:
            githooks.refresh_index(ws)
    except Exception as exc:  # noqa: BLE001 - a hook must never fail the git command
        first = next(iter(str(exc).splitlines()), "") or type(exc).__name__
        click.echo(f"warning: git-issues: index not refreshed ({first}); "
                   "the next command will retry", err=True)


def _pre_commit() -> None:
    with open_workspace() as ws:
        problems = githooks.validate_staged(ws)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        click.echo("git-issues: commit refused; fix the issue files above and stage them again "
                   "(git commit --no-verify skips this check)", err=True)
        raise SystemExit(1)
