"""Commands that change an issue: edit, close, reopen, comment, link, unlink.

Thin on purpose: each parses its flags, calls one function of the write
library (``ops/write.py``, ``ops/links.py``) and says what happened on stderr;
a field the library refuses is said as its flag (``cli/fields.py``).  Write commands
print nothing on stdout and never touch the index: the next read notices the
staged file by itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from git_issues.cli.app import (
    body_options,
    cli,
    complete_assignees,
    complete_ids,
    complete_labels,
    complete_milestones,
    complete_statuses,
    id_argument,
    read_text_option,
    report_error,
    split_commas,
)
from git_issues.cli.editor import cut_at_scissors, edit_in_editor, edit_text, with_instructions
from git_issues.cli.fields import as_flags
from git_issues.cli.output import is_tty, visible
from git_issues.errors import GitIssuesError
from git_issues.ops import links, write
from git_issues.ops.refused import keeping_typed_text
from git_issues.repo import issues
from git_issues.repo.workspace import open_workspace

if TYPE_CHECKING:
    from git_issues.ops.write import Outcome
    from git_issues.repo.workspace import Workspace

COMMENT_INSTRUCTIONS = """\
{what} {issue_id}: {title}
Write above the line (Markdown: '#' headings are kept). {empty}"""
EDIT_OPTIONS = "--title, -m/-F, -s, -l, -L, -a, -A, -M, -p, or --editor"


def _say(message: str) -> None:
    click.echo(message, err=True)


@cli.command()
@id_argument
@click.option("--title", help="New title.")
@body_options
@click.option("-s", "--status", shell_complete=complete_statuses,
              help="New status (open, closed or one from the config).")
@click.option("-l", "--label", "--add-label", "add_labels", multiple=True, metavar="LABEL",
              shell_complete=complete_labels, help="Add LABEL (repeatable, or a,b).")
@click.option("-L", "--remove-label", "remove_labels", multiple=True, metavar="LABEL",
              shell_complete=complete_labels,
              help="Remove LABEL (repeatable, or a,b); it must be there.")
@click.option("-a", "--assignee", "add_assignees", multiple=True, metavar="WHO",
              shell_complete=complete_assignees,
              help="Add assignee WHO (@me: you; repeatable; '': remove everyone first).")
@click.option("-A", "--remove-assignee", "remove_assignees", multiple=True, metavar="WHO",
              shell_complete=complete_assignees,
              help="Remove assignee WHO (repeatable); they must be assigned.")
@click.option("-M", "--milestone", metavar="NAME", shell_complete=complete_milestones,
              help="Set the milestone; '' clears it.")
@click.option("-p", "--priority", metavar="N", help="0 (critical) to 4 (backlog); '' clears.")
@click.option("-e", "--editor", "use_editor", is_flag=True,
              help="Edit the YAML in your editor (the default on a terminal).")
def edit(issue_id: str, title: str | None, body: str | None, body_file: str | None,
         status: str | None, add_labels: tuple[str, ...], remove_labels: tuple[str, ...],
         add_assignees: tuple[str, ...], remove_assignees: tuple[str, ...],
         milestone: str | None, priority: str | None, use_editor: bool) -> None:
    """Change fields of an issue; with no option, edit its YAML in your editor."""
    with open_workspace() as ws, as_flags():
        fields = write.Fields(
            title=title, body=read_text_option(body, body_file, "the body"), status=status,
            add_labels=split_commas(add_labels), remove_labels=split_commas(remove_labels),
            add_assignees=list(add_assignees), remove_assignees=list(remove_assignees),
            milestone=milestone, priority=priority,
        )
        if use_editor and not fields.empty():
            raise click.UsageError("--editor edits the whole file: give it no other option")
        if fields.empty() and not use_editor and not (is_tty(sys.stdin) and is_tty(sys.stdout)):
            raise GitIssuesError(f"say what to change: {EDIT_OPTIONS} "
                                 "(off a terminal the editor opens only with --editor)")
        if fields.empty():
            outcome = edit_in_editor(ws, issue_id)
        else:
            outcome = write.edit(ws, issue_id, fields)
    if outcome.changed:
        _say(f"Updated {outcome.issue.id} ({', '.join(outcome.changed)})")
    else:
        _say(f"{outcome.issue.id}: nothing changed")


@cli.command()
@id_argument
@body_options
@click.option("--edit", "edit_id", metavar="CID",
              help="Change comment CID (a unique prefix of its id) instead of adding one.")
@click.option("--delete", "delete_id", metavar="CID", help="Delete comment CID.")
def comment(issue_id: str, body: str | None, body_file: str | None, edit_id: str | None,
            delete_id: str | None) -> None:
    """Add a comment (no -m on a terminal: write it in your editor); or edit or delete one."""
    if edit_id is not None and delete_id is not None:
        raise click.UsageError("give --edit or --delete, not both")
    if delete_id is not None and (body is not None or body_file is not None):
        raise click.UsageError("--delete takes no text: -m and -F go with --edit or alone")
    with open_workspace() as ws:
        full_id = ws.store.resolve(issue_id)
        if delete_id is not None:
            outcome = write.delete_comment(ws, full_id, delete_id)
            _say(f"Deleted comment {outcome.comment.id} from {outcome.issue.id}")
            return
        if edit_id is not None:
            _edit_comment(ws, full_id, edit_id, body, body_file)
            return
        text, typed = _comment_text(ws, full_id, body, body_file, "Comment on", required=True)
        outcome = keeping_typed_text(ws, full_id, typed, lambda: write.comment(ws, full_id, text))
    _say(f"Commented on {outcome.issue.id} (comment {outcome.comment.id})")


def _edit_comment(ws: Workspace, issue_id: str, comment_id: str, body: str | None,
                  body_file: str | None) -> None:
    """``comment ID --edit CID``: the new text from -m/-F, or the editor on a terminal.

    The editor shows the comment's text alone, with no instruction lines, so
    nothing the user keeps is mistaken for one.  The write is a compare-and-swap
    against the version the editor opened on: if the file changed meanwhile,
    the typed text is saved and the error names where.
    """
    issue, data = issues.get(ws, issue_id)
    target = write.resolve_comment(issue, comment_id)  # refuse a bad CID before typing
    text = read_text_option(body, body_file, "the comment")
    typed = text is None
    if typed:
        if not (is_tty(sys.stdin) and is_tty(sys.stdout)):
            raise GitIssuesError("the new text is needed: -m TEXT, -m - (stdin) or -F FILE")
        text = edit_text(ws.root, target.body, f"COMMENT-{target.id}.md")
    outcome = keeping_typed_text(
        ws, issue_id, text if typed else "",
        lambda: write.edit_comment(ws, issue_id, target.id, text, expect=issues.digest(data)))
    if outcome.changed:
        _say(f"Edited comment {target.id} on {issue_id}")
    else:
        _say(f"{issue_id}: comment {target.id} unchanged")


def _ids_argument(func: Callable) -> Callable:
    return click.argument("issue_ids", nargs=-1, required=True, metavar="ID...",
                          shell_complete=complete_ids)(func)


@cli.command()
@_ids_argument
@body_options
@click.option("--commit", "rev", metavar="REV",
              help="The commit that fixed it: named in the closing comment.")
def close(issue_ids: tuple[str, ...], body: str | None, body_file: str | None,
          rev: str | None) -> None:
    """Close issues, with an optional comment saying why."""
    _state_command(issue_ids, body, body_file, write.close, ("Close", "Closed", "closed"),
                   rev)


@cli.command()
@_ids_argument
@body_options
def reopen(issue_ids: tuple[str, ...], body: str | None, body_file: str | None) -> None:
    """Reopen closed issues, with an optional comment."""
    _state_command(issue_ids, body, body_file, write.reopen, ("Reopen", "Reopened", "open"))


def _state_command(issue_ids: tuple[str, ...], body: str | None, body_file: str | None,
                   change: Callable[[Workspace, str, str | None], Outcome],
                   words: tuple[str, str, str], rev: str | None = None) -> None:
    """``close`` or ``reopen``: ``change`` is the library call, ``words`` its verb,
    past tense and resulting state.

    Each id is done on its own, as ``git rm a b`` is: one that cannot be (no
    such issue, a broken file) gets its error line and the others are still
    done; the exit code is then 1.  The comment (-m, -F, stdin) is read once
    and added to each; the editor opens only for a single id.
    """
    failed = False
    with open_workspace() as ws:
        text = read_text_option(body, body_file, "the comment")
        if rev is not None:
            from git_issues.ops import commits  # lazy: startup (close --commit only)

            text = commits.closing_text(commits.resolve(ws.root, rev), text)
        for issue_id in issue_ids:
            try:
                _change_one(ws, issue_id, text, rev is None and len(issue_ids) == 1,
                            change, words)
            except GitIssuesError as exc:
                if len(issue_ids) == 1:
                    raise
                failed = True
                report_error(exc)
    if failed:
        raise SystemExit(1)


def _change_one(ws: Workspace, issue_id: str, text: str | None, may_edit: bool,
                change: Callable[[Workspace, str, str | None], Outcome],
                words: tuple[str, str, str]) -> None:
    """Close or reopen one issue; with ``may_edit`` and no text, ask for it in the editor."""
    verb, done, state = words
    full_id = ws.store.resolve(issue_id)
    typed = ""
    if text is None and may_edit:
        text, typed = _comment_text(ws, full_id, None, None, verb, required=False)
    outcome = keeping_typed_text(ws, full_id, typed, lambda: change(ws, full_id, text))
    if "status" in outcome.changed:
        _say(f"{done} {full_id}: {visible(outcome.issue.title)}")
    else:
        _say(f"{full_id} is already {state}")
    if outcome.comment:
        _say(f"Commented on {full_id} (comment {outcome.comment.id})")


def _comment_text(ws: Workspace, issue_id: str, body: str | None, body_file: str | None,
                  what: str, *, required: bool) -> tuple[str | None, str]:
    """The text from -m/-F, else from the editor on a terminal; the second value is
    the text again when it was typed in the editor (to keep if the write fails), else ''."""
    text = read_text_option(body, body_file, "the comment")
    if text is not None:
        return text, ""
    if not (is_tty(sys.stdin) and is_tty(sys.stdout)):
        if required:
            raise GitIssuesError("a comment text is needed: -m TEXT, -m - (stdin) or -F FILE")
        return None, ""
    issue = ws.store.read(issue_id)
    empty = "An empty comment aborts." if required else "Leave it empty for no comment."
    notes = COMMENT_INSTRUCTIONS.format(what=what, issue_id=issue_id, title=issue.title,
                                        empty=empty)
    typed = cut_at_scissors(edit_text(ws.root, with_instructions("", notes), "COMMENT.md"))
    return typed, typed


class LinkCommand(click.Command):
    """``link A B``: the second id needs a flag that says how the two are linked."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click's parser consumes the list
        try:
            return super().parse_args(ctx, args)
        except click.UsageError:
            words = [arg for arg in given if not arg.startswith("-")]
            if len(words) == 2 and len(given) == 2:
                first, other = words
                raise click.UsageError(
                    f"say how {first} and {other} are linked: git issues {ctx.info_name} "
                    f"{first} --blocks {other}, --blocked-by {other} or --related {other}",
                    ctx) from None
            raise


def _link_options(func: Callable) -> Callable:
    for kind in ("related", "blocked_by", "blocks"):
        flag = "--" + kind.replace("_", "-")
        func = click.option(flag, kind, metavar="OTHER", shell_complete=complete_ids,
                            help=f"ID {kind.replace('_', ' ')} OTHER.")(func)
    return func


def _one_link(blocks: str | None, blocked_by: str | None, related: str | None) -> tuple[str, str]:
    given = [(k, v) for k, v in (("blocks", blocks), ("blocked_by", blocked_by),
                                 ("related", related)) if v is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --blocks, --blocked-by, --related")
    return given[0]


@cli.command(cls=LinkCommand)
@id_argument
@_link_options
def link(issue_id: str, blocks: str | None, blocked_by: str | None,
         related: str | None) -> None:
    """Link two issues (stored once, in ID's file; shown from both sides)."""
    kind, other = _one_link(blocks, blocked_by, related)
    with open_workspace() as ws, as_flags():
        outcome = links.link(ws, issue_id, kind, other)
    relation = f"{outcome.issue.id} {kind.replace('_', ' ')} {outcome.other}"
    _say(f"Linked: {relation}" if outcome.changed else f"Already linked: {relation}")
    if outcome.cycle:
        _say("warning: the blocks links now form a cycle: " + " -> ".join(outcome.cycle)
             + " (none of these can become ready)")


@cli.command(cls=LinkCommand)
@id_argument
@_link_options
def unlink(issue_id: str, blocks: str | None, blocked_by: str | None,
           related: str | None) -> None:
    """Remove a link, from whichever file stores it."""
    kind, other = _one_link(blocks, blocked_by, related)
    with open_workspace() as ws, as_flags():
        outcome = links.unlink(ws, issue_id, kind, other)
    _say(f"Unlinked: {outcome.issue.id} {kind.replace('_', ' ')} {outcome.other}")
