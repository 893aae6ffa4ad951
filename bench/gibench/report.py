"""The report: the machine, the table, the floors, the side-by-side with the peer."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from pathlib import Path

from gibench.common import HERE
from gibench.processes import run
from gibench.results import Row
from gibench.runner import Bench


def machine(b: Bench, env: dict[str, str]) -> dict[str, str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    shebang = ""
    try:
        with open(b.script, encoding="utf-8") as fh:
            shebang = fh.readline().strip()
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()), "cpu": model or platform.processor(),
        "python": platform.python_version(), "python_executable": sys.executable,
        "script": b.script, "script_shebang": shebang,
        "git": run(["git", "--version"], HERE, env).stdout.strip(),
        "platform": platform.platform(),
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def fmt_rss(row: Row) -> str:
    return f"{max(row.rss_kb) / 1024:.0f}" if row.rss_kb and row.samples else ""


def table(rows: list[Row]) -> str:
    head = ("| measure | N | median s | × click floor | peak RSS MB | goal | measured | met? |\n"
            "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |")
    lines = [head]
    for row in rows:
        median = f"{row.median:.3f}" if row.median is not None else "n/a"
        if row.measure.startswith("peak RSS"):
            median = ""
        ratio = f"{row.ratio:.2f}" if row.ratio is not None and row.floor_click else ""
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        shown = row.shown or (row.note if row.note else "")
        rss = "" if row.measure.startswith("peak RSS") else fmt_rss(row)
        lines.append(f"| {row.measure} | {row.n} | {median} | {ratio} | {rss} | {row.goal} | "
                     f"{shown} | {met} |")
    return "\n".join(lines)


def floors_line(rows: list[Row], n: int) -> str:
    click = [s for r in rows if r.n == n for s in r.floor_click]
    bare = [s for r in rows if r.n == n for s in r.floor_pass]
    if not click:
        return ""
    return (f"floors at N={n} (all interleaved runs): `python -c pass` "
            f"{statistics.median(bare):.3f} s, `python -c \"import click\"` "
            f"{statistics.median(click):.3f} s ({len(click)} runs)")


def side_by_side(ours: dict[int, dict[str, Row]], peer: dict[int, dict[str, Row]]) -> str:
    """Each tool against its own interleaved floor: the two are timed minutes apart,
    so on a shared machine their seconds are not comparable, their ratios are."""
    lines = ["| N | git-issues | s | × click | microbeads | s | × click | git-issues faster by |",
             "| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    pairs = (("fresh", "ls -n 50", "list", "mb list"), ("show", "show ID", "show", "mb show ID"),
             ("new", "new TITLE", "create", "mb create TITLE"))
    for n in sorted(peer):
        for key, label, pkey, plabel in pairs:
            a, p = ours.get(n, {}).get(key), peer[n].get(pkey)
            if not a or not p or a.ratio is None or p.ratio is None:
                continue
            lines.append(f"| {n} | {label} | {a.median:.3f} | {a.ratio:.2f} | {plabel} | "
                         f"{p.median:.3f} | {p.ratio:.2f} | {p.ratio / a.ratio:.2f}× |")
    return "\n".join(lines) if len(lines) > 2 else ""
