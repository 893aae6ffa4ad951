"""The runner: times commands with the floors interleaved, and collects rows."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from gibench.common import BenchError
from gibench.processes import run, run_timed
from gibench.results import Row, log


class Bench:
    """Times commands with the floors interleaved; collects rows."""

    def __init__(self, repeat: int, env: dict[str, str]) -> None:
        self.repeat = repeat
        self.env = env
        self.python = sys.executable
        self.script = str(Path(sys.executable).parent / "git-issues")
        self.rows: list[Row] = []

    def floors(self, row: Row, cwd: Path) -> None:
        """One run of each floor, in the same cwd and environment as the command."""
        click = run_timed([self.python, "-c", "import click"], cwd, self.env)
        bare = run_timed([self.python, "-c", "pass"], cwd, self.env)
        row.floor_click.append(click.seconds)
        row.floor_pass.append(bare.seconds)

    def measure(self, row: Row, cwd: Path, argv: Callable[[int], Sequence[str]],
                prepare: Callable[[int], None] | None = None) -> Row:
        """``repeat`` runs of ``argv(r)``, each next to a fresh pair of floor runs.

        The floors run before the command on even repetitions and after it on
        odd ones, so that a slow spell of the machine hits both alike.
        """
        self.rows.append(row)
        try:
            for r in range(self.repeat):
                if prepare:
                    prepare(r)
                if r % 2 == 0:
                    self.floors(row, cwd)
                sample = run_timed(argv(r), cwd, self.env)
                if r % 2 == 1:
                    self.floors(row, cwd)
                row.samples.append(sample.seconds)
                row.rss_kb.append(sample.rss_kb)
        except BenchError as exc:
            row.samples.clear()
            row.note = f"failed: {exc}"
            log(f"  {row.measure}: {row.note}")
        else:
            log(f"  {row.measure:<28} n={row.n:<7} median {row.median:.3f} s"
                + (f"  ({row.ratio:.2f}× click)" if row.ratio else ""))
        return row

    def measure_pair(self, first: Row, second: Row, cwd: Path, first_argv: Sequence[str],
                     second_argv: Sequence[str]) -> None:
        """Two commands timed in alternation, for the ratio of one to the other
        (``reindex`` against the bare parse): a slow spell hits both alike."""
        self.rows += [first, second]
        try:
            for r in range(self.repeat):
                order = [(first, first_argv), (second, second_argv)]
                for row, argv in (order if r % 2 == 0 else order[::-1]):
                    self.floors(row, cwd)
                    sample = run_timed(argv, cwd, self.env)
                    row.samples.append(sample.seconds)
                    row.rss_kb.append(sample.rss_kb)
        except BenchError as exc:
            for row in (first, second):
                row.samples.clear()
                row.note = f"failed: {exc}"
            log(f"  {first.measure} / {second.measure}: failed: {exc}")
            return
        for row in (first, second):
            log(f"  {row.measure:<28} n={row.n:<7} median {row.median:.3f} s"
                + (f"  ({row.ratio:.2f}× click)" if row.ratio else ""))

    def has(self, cwd: Path, *command: str) -> bool:
        """Whether the installed CLI knows ``command`` yet (other issues add them)."""
        return run([self.script, *command, "-h"], cwd, self.env, check=False).returncode == 0

    def na(self, measure: str, n: int, goal: str, why: str) -> Row:
        row = Row(measure, n, goal=goal, note=why)
        self.rows.append(row)
        log(f"  {measure}: n/a ({why})")
        return row

    def gi(self, *args: str) -> list[str]:
        return [self.script, *args]
