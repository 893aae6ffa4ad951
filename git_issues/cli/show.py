"""Command: ``show``, one issue with its comments, the commits that name it and its links.

A read: it loads the index, and nothing of the write library (``new`` is in
``cli/new.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

from git_issues.cli.app import cli, id_argument, json_option
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
from git_issues.index.query import open_index
from git_issues.ops.commits import MentionSearch, created_in
from git_issues.repo.workspace import open_workspace


@cli.command()
@id_argument
@click.option("--at", metavar="REV",
              help="The issue as it was at REV (a tag, branch or commit).")
@click.option("--where", is_flag=True,
              help="List the branches and tags where the issue is closed (on a terminal: "
                   "when it is open here); with --json, as the field closed_in.")
@json_option
def show(issue_id: str, at: str | None, where: bool, as_json: bool) -> None:
    """Show one issue with its comments."""
    if at is not None:
        _show_at(issue_id, at, as_json)
        return
    with open_workspace() as ws:
        issue_id = ws.store.resolve(issue_id)
        if as_json:
            doc = ws.store.read(issue_id).to_dict()
            if where:
                doc["closed_in"] = _closed_in(ws, issue_id, ws.config().statuses)
            emit_json(doc)
            return
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
            statuses = view.statuses()
        shown = None
        if is_tty():  # a person reads it: short ids, nothing that acts on the terminal
            shown = abbreviations([issue.id, *(other for _, other in links)], ws.store.ids())
        elsewhere = _closed_in(ws, issue.id, statuses) \
            if (where or is_tty()) and state != "closed" else None
    echo_paged(issue_text(issue, state, links, titles, mentions, numbers, shown, elsewhere))


def _closed_in(ws: Any, issue_id: str, statuses: dict[str, str]) -> dict[str, Any]:
    """Where else the issue is closed: ``{"refs": [...], "left_out": N}`` (refs not
    read past the bound).  Only a person's terminal, or --where, pays for it."""
    from git_issues.ops import revisions  # lazy: startup (a piped show reads no other ref)

    found = revisions.closed_elsewhere(ws.root, issue_id, statuses)
    return {"refs": found.refs, "left_out": found.left_out}


def _show_at(prefix: str, at: str, as_json: bool) -> None:
    """``show ID --at REV``: the issue from git's objects at REV, its links and
    references as they were there (the commits that name it are not searched)."""
    from git_issues.ops import revisions  # lazy: startup (a plain show reads no git objects)

    with open_workspace() as ws, \
            revisions.open_at(ws.root, ws.state_dir, at, worktree=ws.sources) as found:
        issue_id = revisions.resolve_at(prefix, found, at)
        view = found.view
        doc = view.doc(issue_id)
        if doc is None:
            raise GitIssuesError(f"no issue '{issue_id}' at {at}")
        if as_json:
            emit_json(doc)
            return
        issue = issue_from_dict(doc)
        links = view.links_of(issue.id)
        titles = view.titles([other for _, other in links])
        state = view.statuses().get(issue.status, "open")
        numbers = github_refs(view, issue)
        shown = abbreviations([issue.id, *(o for _, o in links)], found.ids) if is_tty() else None
    echo_paged(issue_text(issue, state, links, titles, ([], 0), numbers, shown))


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
               shown_ids: dict[str, str] | None = None,
               closed_in: dict[str, Any] | None = None) -> str:
    """The human view of an issue, like ``gh issue view``: ``mentions`` are the commits
    that name it (and how many there are), ``refs`` GitHub's ``#12`` -> local id,
    ``closed_in`` the branches and tags where it is closed (``_closed_in``).

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
    gitlab = issue.origin.get("gitlab")
    if gitlab:  # confidential there: said before the repository goes anywhere public
        secret = " (confidential on GitLab)" if gitlab.get("confidential") else ""
        out.append(f"GitLab {gitlab['project']}#{gitlab['iid']}{secret}  {gitlab.get('url')}")
        if gitlab.get("left_out"):
            out.append(f"{gitlab['left_out']} older comments are not stored here")
    gitea = issue.origin.get("gitea")
    if gitea:
        out.append(f"Gitea {gitea['repo']}#{gitea['number']}  {one(str(gitea.get('url') or ''))}")
    if issue.origin.get("beads"):
        out.append(f"beads {issue.origin['beads']}")
    if closed_in and closed_in["refs"]:
        out.append(style("closed on: " + one(", ".join(closed_in["refs"])), "green"))
    if closed_in and closed_in["left_out"]:
        out.append(style(f"({closed_in['left_out']} older branches and tags not read)",
                         dim=True))
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
