"""How results look: an aligned, coloured table for people, tab-separated lines for pipes.

Colour follows the conventions people expect: only on a terminal, never when
``NO_COLOR`` is set (https://no-color.org), which is read at each call.  Long
output (``show``, ``log``) goes through git's pager, on a terminal only.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

import click

STATE_COLOURS = {"open": "green", "closed": "magenta"}
PRIORITY_COLOURS = {0: "red", 1: "yellow"}


def is_tty(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def colour_on() -> bool:
    return is_tty() and not os.environ.get("NO_COLOR")


def style(text: str, colour: str | None = None, **kwargs: Any) -> str:
    if not colour_on() or not (colour or kwargs):
        return text
    return click.style(text, fg=colour, **kwargs)


def priority_text(priority: int | None) -> str:
    return "" if priority is None else f"P{priority}"


def emit_json(value: Any) -> None:
    # default=str: a hand-written unknown key may hold a YAML date (``due: 2026-12-01``);
    # the index stores the same text, so ``show --json`` and ``ls --json`` agree.
    import json

    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def print_rows(rows: list[dict[str, Any]]) -> None:
    """Issue rows from the index: a table on a terminal, tab-separated when piped."""
    if not rows:
        return
    if not is_tty():
        for row in rows:
            fields = (row["id"], row["status"], priority_text(row["priority"]), row["title"],
                      row["labels"] or "", row["assignees"] or "", row["created"])
            # A tab inside a title (hand-written "a\tb") would shift every later column.
            click.echo("\t".join(f.replace("\t", " ") for f in fields))
        return
    _print_table(rows)


def _print_table(rows: list[dict[str, Any]]) -> None:
    id_w = max(len(r["id"]) for r in rows)
    status_w = max(len(r["status"]) for r in rows)
    labels_w = min(max((len(r["labels"] or "") for r in rows), default=0), 30)
    who_w = min(max((len(r["assignees"] or "") for r in rows), default=0), 24)
    width = shutil.get_terminal_size((100, 24)).columns
    fixed = id_w + status_w + 3 + 10 + labels_w + who_w + 6 * 2
    title_w = max(width - fixed, 20)
    for row in rows:
        state = "open" if row["is_open"] else "closed"
        cells = [
            style(row["id"].ljust(id_w), "cyan"),
            style(row["status"].ljust(status_w), STATE_COLOURS[state]),
            style(priority_text(row["priority"]).ljust(2), PRIORITY_COLOURS.get(row["priority"])),
            _fit(row["title"], title_w).ljust(title_w),
            style(_fit(row["labels"] or "", labels_w).ljust(labels_w), "yellow"),
            _fit(row["assignees"] or "", who_w).ljust(who_w),
            style(row["created"][:10], dim=True),
        ]
        click.echo("  ".join(cells).rstrip())


def echo_paged(text: str) -> None:
    """Print ``text``; through git's pager only on a terminal and when it would not fit.

    Like git: the pager is ``git var GIT_PAGER`` (GIT_PAGER, core.pager, PAGER,
    less), run with ``LESS=FRX`` unless the user set LESS; piped output never pages.
    """
    size = shutil.get_terminal_size()
    if not is_tty() or _screen_lines(text, size.columns) < size.lines:
        click.echo(text, nl=False)
        return
    from git_issues import gitutil

    pager = gitutil.output(["var", "GIT_PAGER"], check=False).strip()
    if not pager or pager == "cat":
        click.echo(text, nl=False)
        return
    _run_pager(pager, text)


def _screen_lines(text: str, columns: int) -> int:
    """Lines the text takes on screen, long lines wrapping."""
    width = max(columns, 1)
    return sum(max(1, -(-len(click.unstyle(line)) // width)) for line in text.splitlines())


def _run_pager(pager: str, text: str) -> None:
    import subprocess

    from git_issues.fastpaths import git_sh

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    sys.stdout.flush()
    proc = subprocess.Popen([git_sh(), "-c", pager], stdin=subprocess.PIPE, env=env)
    try:
        proc.stdin.write(text.encode(encoding, "replace"))  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    except BrokenPipeError:  # the user quit the pager early
        pass
    finally:
        proc.wait()
