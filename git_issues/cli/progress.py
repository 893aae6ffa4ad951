"""What ``import`` and ``sync`` print while they run: messages, a progress bar, a summary.

The library reports progress through a callback, ``progress(done, total, unit)``
(``total`` an estimate or None); this module draws it.  On a terminal the bar
is one line on stderr, redrawn in place at most ten times a second and wiped
before any message and at the end; off a terminal (a pipe, a log file, CI)
nothing is drawn and only the messages and the summary line are printed.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any

import click

from git_issues.cli.output import is_tty

_CLEAR = "\r\x1b[K"
_REDRAW = 0.1  # seconds between two drawings of the bar


def say(message: str) -> None:
    """A message on stderr, on a line of its own (the bar is wiped first, then redrawn)."""
    if is_tty(sys.stderr):
        click.echo(_CLEAR, nl=False, err=True)
    click.echo(message, err=True)


class Bar:
    """The progress callback of a command: a bar on a terminal, nothing elsewhere.

    ``Bar(label)(done, total, unit)``; call ``end()`` when the work stops (a
    ``finally``), so the summary line starts on a clean line.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.on = is_tty(sys.stderr)
        self.started = time.monotonic()
        self._drawn = 0.0
        self._unit = ""

    def __call__(self, done: int, total: int | None = None, unit: str = "issues") -> None:
        if not self.on:
            return
        now = time.monotonic()
        if unit != self._unit:  # a new phase (comments, then issues): its own clock
            self._unit, self.started, self._drawn = unit, now, 0.0
        if now - self._drawn < _REDRAW:
            return
        self._drawn = now
        click.echo(_CLEAR + self.line(done, total, unit, now - self.started), nl=False,
                   err=True)

    def line(self, done: int, total: int | None, unit: str, elapsed: float) -> str:
        """The bar's text, fitted to the terminal's width."""
        width = shutil.get_terminal_size((80, 24)).columns - 1
        if not total:
            return f"{self.label}: {done:,} {unit}"[:width]
        total = max(total, done)  # the total is an estimate (pull requests count in it)
        share = done / total
        left = f" {_clock(elapsed / share - elapsed)} left" if 0 < share < 1 else ""
        tail = f" {done:,}/~{total:,} {unit} {share:4.0%}{left}"
        room = width - len(self.label) - len(tail) - 3
        if room < 10:
            return f"{self.label}:{tail}"[:width]
        filled = int(room * share)
        return f"{self.label} [{'#' * filled}{'-' * (room - filled)}]{tail}"

    def end(self) -> None:
        if self.on:
            click.echo(_CLEAR, nl=False, err=True)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def report(summary: Any) -> None:
    """The notes, the conflicts, then the summary line (``imported 812, updated 4, ...``)."""
    for note in summary.notes:
        click.echo(f"note: {note}", err=True)
    for conflict in summary.conflicts:
        click.echo(f"conflict: {conflict}", err=True)
    click.echo(summary.line(), err=True)
