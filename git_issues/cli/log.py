"""Command: ``log``, an issue's history from git, field by field."""

from __future__ import annotations

from typing import TYPE_CHECKING

from git_issues.cli.app import cli, id_argument, json_option
from git_issues.cli.output import echo_paged, emit_json, style
from git_issues.core.changes import phrase
from git_issues.ops import history
from git_issues.repo.workspace import open_workspace

if TYPE_CHECKING:
    from git_issues.ops.history import Entry

_HEADINGS = {"staged": "Staged, not committed", "unstaged": "Not staged (work tree)"}


@cli.command("log")
@id_argument
@json_option
def log_(issue_id: str, as_json: bool) -> None:
    """Show an issue's history from git: who changed which field, commit by commit."""
    with open_workspace() as ws:
        entries = history.history(ws, issue_id)
    if as_json:
        emit_json([entry.to_dict() for entry in entries])
        return
    echo_paged("\n".join(entry_text(entry) for entry in entries))


def entry_text(entry: Entry) -> str:
    """One entry the way ``git log`` shows a commit, then its changes in the words
    ``diff`` uses for them (``changes.phrase``)."""
    if entry.commit:
        when = (entry.date or "")[:16].replace("T", " ")
        lines = [f"{style('commit ' + entry.commit[:10], 'yellow')}  {when}  {entry.author}",
                 f"    {entry.subject}"]
    else:
        lines = [style(_HEADINGS[entry.state], "yellow")]
    if entry.error:
        lines.append(style(f"  ! not a valid issue: {entry.error}", "red"))
    lines.extend(f"  {phrase(change)}" for change in entry.changes)
    return "\n".join(lines) + "\n"
