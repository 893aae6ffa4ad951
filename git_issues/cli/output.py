"""How results look: an aligned, coloured table for people, tab-separated lines for pipes.

Colour follows the conventions people expect: only on a terminal, never when
``NO_COLOR`` is set (https://no-color.org), which is read at each call.  Long
output (``show``, ``log``) goes through git's pager, on a terminal only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Any

import click

from git_issues.core.rules import priority_name
from git_issues.core.visible import visible  # noqa: F401 - the CLI's name for it
from git_issues.fastpaths import git_sh
from git_issues.repo import gitutil

STATE_COLOURS = {"open": "green", "closed": "magenta"}
PRIORITY_COLOURS = {0: "red", 1: "yellow"}


def is_tty(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def colour_on() -> bool:
    return is_tty() and not os.environ.get("NO_COLOR")


def style(text: str, colour: str | None = None, **kwargs: Any) -> str:
    if not colour_on() or not (colour or any(kwargs.values())):
        return text
    return click.style(text, fg=colour, **kwargs)


def priority_text(priority: int | None) -> str:
    return "" if priority is None else priority_name(priority)


def emit_json(value: Any) -> None:
    # default=str: a hand-written unknown key may hold a YAML date (``due: 2026-12-01``);
    # the index stores the same text, so ``show --json`` and ``ls --json`` agree.
    import json  # lazy: startup (ls prints no JSON unless asked)

    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def print_rows(rows: list[dict[str, Any]]) -> None:
    """Issue rows from the index as tab-separated lines, for pipes and scripts."""
    for row in rows:
        fields = (row["id"], row["status"], priority_text(row["priority"]), row["title"],
                  row["labels"] or "", row["assignees"] or "", row["created"])
        # A tab inside a title (hand-written "a\tb") would shift every later column.
        click.echo("\t".join(f.replace("\t", " ") for f in fields))


HEADER = ("ID", "STATUS", "PRI", "TITLE", "LABELS", "ASSIGNEES", "CREATED")
GAP = 2  # spaces between two columns
TITLE_MIN = 30  # below this the title is unreadable: columns go before it shrinks further
# What gives way, in order, when the rows are wider than the terminal: long label and
# assignee lists are cut first, then whole columns go, the least needed first.  The id
# and the title always stay (as in ``gh issue list``).
SHRINK = ({"LABELS": 20, "ASSIGNEES": 16}, {"LABELS": 12, "ASSIGNEES": 10})
DROP = ("CREATED", "ASSIGNEES", "LABELS", "PRI", "STATUS")

def table_text(rows: list[dict[str, Any]], shown_ids: dict[str, str] | None = None) -> str:
    """The aligned table a terminal shows, header first, every row within its width.

    Columns are measured with ``wcwidth``: '日本語' takes six columns and '🐛'
    two, so counting characters would push every later column of that row
    out of line.  Imported here, where only a terminal's listing pays for it.
    ``shown_ids``: the abbreviation to show for each id (``ids.abbreviations``).
    """
    from wcwidth import wcswidth, wcwidth  # lazy: startup (a terminal's table only)

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

    cells = [_cells(row, shown_ids or {}) for row in rows]
    natural = {name: max(width(name), *(width(c[name]) for c in cells)) for name in HEADER}
    empty = {name for name in HEADER if not any(c[name] for c in cells)}
    widths = column_widths(natural, shutil.get_terminal_size((100, 24)).columns, empty)
    lines = ["  ".join(style(fit(name, w), bold=True) for name, w in widths.items()).rstrip()]
    for row, cell in zip(rows, cells, strict=True):
        state = "open" if row["is_open"] else "closed"
        colours = {"ID": "cyan", "STATUS": STATE_COLOURS[state], "LABELS": "yellow",
                   "PRI": PRIORITY_COLOURS.get(row["priority"])}
        lines.append("  ".join(
            style(fit(cell[name], w), colours.get(name), dim=name == "CREATED")
            for name, w in widths.items()).rstrip())
    return "\n".join(lines) + "\n"


def _cells(row: dict[str, Any], shown_ids: dict[str, str]) -> dict[str, str]:
    """One row's cells as shown, by column name."""
    return {
        "ID": shown_ids.get(row["id"], row["id"]),
        "STATUS": visible(row["status"]),
        "PRI": priority_text(row["priority"]),
        "TITLE": visible(row["title"]),
        "LABELS": visible(row["labels"] or ""),
        "ASSIGNEES": visible(row["assignees"] or ""),
        "CREATED": row["created"][:10],
    }


def column_widths(natural: dict[str, int], columns: int,
                  empty: set[str] | frozenset[str] = frozenset()) -> dict[str, int]:
    """The columns to show and their widths, in ``HEADER`` order, within ``columns``.

    ``natural``: the width each column's widest cell needs.  Plans go from every
    column whole, then without the ``empty`` columns (no row fills them: only
    their header would cut the title), through SHRINK, then DROP, one step at a
    time.  The first that shows the whole title without dropping a filled
    column wins; else the first that leaves the title ``TITLE_MIN`` columns and
    more room than any other.  The title takes what is left; room it does not
    need goes back to cut columns.
    """
    plans = [dict(natural)]
    if empty - {"ID", "TITLE"}:
        plans.append({k: w for k, w in natural.items() if k not in empty or k in ("ID", "TITLE")})
    for caps in SHRINK:
        plans.append({k: min(w, caps.get(k, w)) for k, w in plans[-1].items()})
    for name in DROP:
        plans.append({k: w for k, w in plans[-1].items() if k != name})

    def room(plan: dict[str, int]) -> int:
        return columns - sum(w for k, w in plan.items() if k != "TITLE") - GAP * (len(plan) - 1)

    def title_leads(plan: dict[str, int]) -> bool:
        rivals = [w for k, w in plan.items() if k in ("LABELS", "ASSIGNEES")]
        return room(plan) >= min(natural["TITLE"], max(TITLE_MIN, *rivals, 0))

    whole = [p for p in plans[: len(plans) - len(DROP)] if room(p) >= natural["TITLE"]]
    plan = (whole or [p for p in plans if title_leads(p)] or plans[-1:])[0]
    left = room(plan)
    plan["TITLE"] = max(min(natural["TITLE"], left), 1)
    spare = left - plan["TITLE"]
    for name in ("LABELS", "ASSIGNEES"):
        if name in plan and spare > 0:
            grown = min(natural[name], plan[name] + spare)
            spare -= grown - plan[name]
            plan[name] = grown
    return plan


def echo_paged(text: str) -> None:
    """Print ``text``; through git's pager only on a terminal and when it would not fit.

    Like git: the pager is ``git var GIT_PAGER`` (GIT_PAGER, core.pager, PAGER,
    less), run with ``LESS=FRX`` unless the user set LESS; piped output never pages.
    """
    size = shutil.get_terminal_size()
    if not is_tty() or _screen_lines(text, size.columns) < size.lines:
        click.echo(text, nl=False)
        return
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
