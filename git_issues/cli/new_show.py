"""Commands about one issue: ``new`` and ``show``."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

import click

from git_issues.cli.app import (
    body_options,
    cli,
    complete_assignees,
    complete_labels,
    complete_milestones,
    id_argument,
    json_option,
    read_text_option,
    split_commas,
)
from git_issues.cli.editor import cut_at_scissors, edit_text, with_instructions
from git_issues.cli.fields import as_flags
from git_issues.cli.output import (
    STATE_COLOURS,
    echo_paged,
    emit_json,
    is_tty,
    priority_text,
    style,
    visible,
)
from git_issues.core.ids import abbreviations
from git_issues.core.model import issue_from_dict
from git_issues.errors import GitIssuesError
from git_issues.ops import templates, write
from git_issues.ops.commits import MentionSearch, created_in
from git_issues.ops.refused import keeping_typed_text
from git_issues.repo.workspace import open_workspace

NEW_INSTRUCTIONS = """\
Write the title on the first line, then a blank line, then the body (Markdown:
'#' headings are kept). An empty title aborts.{templates}"""


def parse_new_text(text: str) -> tuple[str, str]:
    """Title and body from the edited text: the first line, then the rest.

    Everything from git's scissors line down is the instructions; no line is
    dropped for starting with '#', since bodies are Markdown.
    """
    title, _, body = cut_at_scissors(text).partition("\n")
    return title.strip(), body.strip("\n")


def _create_from_editor(ws, create, template) -> Any:
    """Run ``create(title, body)`` on what the user typed; if it is refused, keep the text.

    Minutes of typing must never be lost to a title that is too long or a
    forgotten first line: the error names the file that holds the text.
    """
    prefix = template.title if template else ""
    start = f"{prefix}\n\n{template.body}" if template and template.body else f"{prefix}\n"
    typed = edit_text(ws.root, with_instructions(start, _instructions(ws, template)), "ISSUE.md")
    title, body = parse_new_text(typed)

    def create_typed() -> Any:
        if not title or title == prefix.strip():
            raise GitIssuesError("aborted: the title was empty")
        return create(title, body)

    # The template's own lines alone are nothing to keep.
    return keeping_typed_text(ws, "new", typed if title or body else "", create_typed)


def _instructions(ws, template) -> str:
    if template is not None:
        return NEW_INSTRUCTIONS.format(templates=f"\nFrom the template '{template.name}'.")
    return NEW_INSTRUCTIONS.format(templates="")


def _choose_template(ws) -> Any:
    """On a terminal, offer the project's templates before the editor opens, as ``gh`` does."""
    names = templates.names(ws.store.dir)
    if not names:
        return None
    for number, name in enumerate(names, 1):
        about = templates.load(ws.store.dir, name).about
        click.echo(f"  {number}. {name}" + (f" - {about}" if about else ""), err=True)
    click.echo(f"  {len(names) + 1}. blank issue", err=True)
    choice = click.prompt("Template", type=click.IntRange(1, len(names) + 1),
                          default=len(names) + 1, err=True)
    return None if choice == len(names) + 1 else templates.load(ws.store.dir, names[choice - 1])


class TitleCommand(click.Command):
    """``new "- x"``: say that a title starting with '-' goes after '--'."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            exc.message += (" (a TITLE that starts with '-' goes after '--': "
                            f"git issues {ctx.info_name} -- '{exc.option_name.strip()} ...')")
            raise


@cli.command(cls=TitleCommand)
@click.argument("title", required=False)
@body_options
@click.option("-l", "--label", "labels", multiple=True, metavar="LABEL",
              shell_complete=complete_labels, help="Add LABEL (repeatable, or a,b).")
@click.option("-a", "--assignee", "assignees", multiple=True, metavar="WHO",
              shell_complete=complete_assignees,
              help="Assign to WHO (@me for yourself; repeatable, up to 10).")
@click.option("-M", "--milestone", metavar="NAME", shell_complete=complete_milestones,
              help="Put the issue in milestone NAME.")
@click.option("-p", "--priority", help="0 (critical) to 4 (backlog), or P0..P4.")
@click.option("-T", "--template", metavar="NAME",
              help="Start from .issues/templates/NAME.yml (title prefix, labels, body).")
def new(title: str | None, body: str | None, body_file: str | None, labels: tuple[str, ...],
        assignees: tuple[str, ...], milestone: str | None, priority: str | None,
        template: str | None) -> None:
    """Open a new issue; prints its id."""
    with open_workspace() as ws, as_flags(title="TITLE"):
        text = read_text_option(body, body_file, "the body")
        chosen = None
        if template is not None:
            chosen = templates.load(ws.store.dir, template)
        on_terminal = is_tty(sys.stdin) and is_tty(sys.stdout)
        if title is None and not on_terminal:
            raise GitIssuesError("a TITLE is needed (or run on a terminal to use the editor)")

        def create(title: str, edited_body: str | None = None) -> Any:
            fill = chosen or templates.Template("")  # no template: nothing to fill in
            given = text if text is not None else edited_body
            return write.create(
                ws, title, body=given if given is not None else fill.body,
                labels=[*fill.labels, *split_commas(labels)],
                assignees=list(assignees) or list(fill.assignees),
                milestone=milestone,
                priority=priority if priority is not None else fill.priority)

        if title is not None:
            issue = create((chosen.title if chosen else "") + title)
        else:
            if chosen is None and template is None:
                chosen = _choose_template(ws)
            issue = _create_from_editor(ws, create, chosen)
    click.echo(issue.id)
    click.echo(f"Created issue {issue.id}: {visible(issue.title)}", err=True)


@cli.command()
@id_argument
@json_option
def show(issue_id: str, as_json: bool) -> None:
    """Show one issue with its comments."""
    with open_workspace() as ws:
        issue_id = ws.store.resolve(issue_id)
        if as_json:
            emit_json(ws.store.read(issue_id).to_dict())
            return
        from git_issues.index.query import open_index  # lazy: startup (new needs no index)

        created = created_in(ws.store.path(issue_id))
        # git log runs beside the freshness check (one stat per issue file).
        with MentionSearch(ws.root, issue_id, created) as search, \
                open_index(ws.sources) as view:
            # The index is fresh and holds the file's fields as JSON: cheaper than
            # importing PyYAML to parse the file again.  A broken file has no row:
            # reading it gives the user the file's own error.
            doc = view.doc(issue_id)
            issue = issue_from_dict(doc) if doc is not None else ws.store.read(issue_id)
            links = view.links_of(issue.id)
            titles = view.titles([other for _, other in links])
            state = view.statuses().get(issue.status, "open")
            numbers = github_refs(view, issue)
            mentions = search.result()
        shown = None
        if is_tty():  # a person reads it: short ids, nothing that acts on the terminal
            shown = abbreviations([issue.id, *(other for _, other in links)], ws.store.ids())
    echo_paged(issue_text(issue, state, links, titles, mentions, numbers, shown))


_REF_RE = re.compile(r"(?<![\w/&#])#([0-9]{1,9})\b")


def github_refs(view: Any, issue: Any) -> dict[str, str]:
    """``#12`` in an imported issue's text -> the local id of the issue GitHub numbered 12."""
    github = issue.origin.get("github")
    if not github:
        return {}
    texts = [issue.body, *(c.body for c in issue.comments)]
    numbers = sorted({int(n) for text in texts for n in _REF_RE.findall(text or "")})
    if not numbers:
        return {}
    found = view.ids_of_github_numbers(github["repo"], numbers)
    return {f"#{number}": issue_id for number, issue_id in found.items()}


def _with_refs(text: str, refs: dict[str, str]) -> str:
    if not refs:
        return text
    return _REF_RE.sub(lambda m: f"{m.group(0)} ({refs[m.group(0)]})" if m.group(0) in refs
                       else m.group(0), text)


def issue_text(issue, state: str, links: list[tuple[str, str]], titles: dict[str, str],
               mentions: tuple[list, int] = ([], 0), refs: dict[str, str] | None = None,
               shown_ids: dict[str, str] | None = None) -> str:
    """The human view of an issue, like ``gh issue view``: ``mentions`` are the commits
    that name it (and how many there are), ``refs`` GitHub's ``#12`` -> local id.

    ``shown_ids`` (given on a terminal): the short id to show for each id; then
    every text from a file or a commit is shown with its control and
    bidirectional characters escaped, so none can act on the terminal or
    disguise itself.  Piped, the text is as written.
    """
    refs = refs or {}
    one: Callable[[str], str] = visible if shown_ids is not None else str
    many: Callable[[str], str] = (lambda text: visible(text, multiline=True)) \
        if shown_ids is not None else str
    shown_ids = shown_ids or {}
    out = [f"{style(one(issue.title), bold=True)}  "
           f"{style('#' + shown_ids.get(issue.id, issue.id), 'cyan')}"]
    facts = [style(one(issue.status), STATE_COLOURS.get(state))]
    if issue.priority is not None:
        facts.append(priority_text(issue.priority))
    facts.append(f"opened by {one(issue.author or 'unknown')} on {issue.created[:10]}")
    if issue.closed:
        facts.append(f"closed {issue.closed[:10]}")
    count = len(issue.comments)
    if count:
        facts.append(f"{count} comment{'s' if count != 1 else ''}")
    out.append(" · ".join(facts))
    if issue.labels:
        out.append("labels: " + one(", ".join(issue.labels)))
    if issue.assignees:
        out.append("assignees: " + one(", ".join(issue.assignees)))
    if issue.milestone:
        out.append("milestone: " + one(issue.milestone))
    github = issue.origin.get("github")
    if github:
        out.append(f"GitHub {github['repo']}#{github['number']}")
        if github.get("left_out"):  # an import's: the thread passed the size of a file
            out.append(f"{github['left_out']} older comments are not stored here: "
                       f"{github.get('url')}")
    if issue.origin.get("beads"):
        out.append(f"beads {issue.origin['beads']}")
    for relation, other in links:
        title = one(titles.get(other, "(unknown issue)"))
        out.append(f"{relation}: {shown_ids.get(other, other)}  {title}")
    found, total = mentions
    for ref in found:
        out.append(f'Referenced by {style(ref.short, "yellow")} "{one(ref.subject)}" '
                   f"on {one(ref.ref)}")
    if total > len(found):
        out.append(style(f"... and {total - len(found)} more commits (git log --all "
                         f"--grep={issue.id[:4]})", dim=True))
    out.append("")
    out.append(_indent(many(_with_refs(issue.body, refs))) if issue.body
               else style("No description provided.", dim=True))
    for comment in issue.comments:
        out.append("")
        out.append(style(f"— {one(comment.author or 'unknown')} · {comment.date}", bold=True))
        out.append(_indent(many(_with_refs(comment.body, refs))))
    return "\n".join(out) + "\n"


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.rstrip("\n").split("\n"))
