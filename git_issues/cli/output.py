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


def print_rows(rows: list[dict[str, Any]]) -> None:
    """Issue rows from the index as tab-separated lines, for pipes and scripts."""
    for row in rows:
        fields = (row["id"], row["status"], priority_text(row["priority"]), row["title"],
                  row["labels"] or "", row["assignees"] or "", row["created"])
        # A tab inside a title (hand-written "a\tb") would shift every later column.
        click.echo("\t".join(f.replace("\t", " ") for f in fields))


HEADER = ("ID", "STATUS", "PRI", "TITLE", "LABELS", "ASSIGNEES", "CREATED")


def table_text(rows: list[dict[str, Any]]) -> str:
    """The aligned table a terminal shows, header first, padded by screen columns.

    Columns are measured with ``wcwidth``: '日本語' takes six columns and '🐛'
    two, so counting characters would push every later column of that row
    out of line.  Imported here, where only a terminal's listing pays for it.
    """
    from wcwidth import wcswidth, wcwidth

    def width(text: str) -> int:
        measured = wcswidth(text)
        return measured if measured >= 0 else len(text)

    def fit(text: str, room: int) -> str:
        """Cut to ``room`` columns (with '…') and pad to exactly ``room``."""
        if width(text) > room:
            kept, used = [], 0
            for char in text:
                step = max(wcwidth(char), 0)
                if used + step > room - 1:
                    break
                kept.append(char)
                used += step
            text = "".join(kept) + "…"
        return text + " " * (room - width(text))

    id_w = max(len(HEADER[0]), *(len(r["id"]) for r in rows))
    status_w = max(len(HEADER[1]), *(len(r["status"]) for r in rows))
    labels_w = min(max(len(HEADER[4]), *(width(r["labels"] or "") for r in rows)), 30)
    who_w = min(max(len(HEADER[5]), *(width(r["assignees"] or "") for r in rows)), 24)
    columns = shutil.get_terminal_size((100, 24)).columns
    fixed = id_w + status_w + 3 + 10 + labels_w + who_w + 6 * 2
    title_w = max(columns - fixed, 20)
    widths = (id_w, status_w, 3, title_w, labels_w, who_w, 10)
    lines = ["  ".join(style(fit(name, w), bold=True)
                       for name, w in zip(HEADER, widths, strict=True)).rstrip()]
    for row in rows:
        state = "open" if row["is_open"] else "closed"
        cells = [
            style(fit(row["id"], id_w), "cyan"),
            style(fit(row["status"], status_w), STATE_COLOURS[state]),
            style(fit(priority_text(row["priority"]), 3), PRIORITY_COLOURS.get(row["priority"])),
            fit(row["title"], title_w),
            style(fit(row["labels"] or "", labels_w), "yellow"),
            fit(row["assignees"] or "", who_w),
            style(row["created"][:10], dim=True),
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


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
