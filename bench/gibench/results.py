"""Rows of the results table, and how a row is judged against its goal."""

from __future__ import annotations

import statistics
import sys
from dataclasses import asdict, dataclass, field


@dataclass
class Row:
    """One line of the table (and of the JSON)."""

    measure: str
    n: int
    samples: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    floor_click: list[float] = field(default_factory=list)
    floor_pass: list[float] = field(default_factory=list)
    goal: str = ""
    shown: str = ""  # the figure compared with the goal, as text
    met: bool | None = None
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def click(self) -> float | None:
        return statistics.median(self.floor_click) if self.floor_click else None

    @property
    def ratio(self) -> float | None:
        if self.median is None or not self.click:
            return None
        return self.median / self.click

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(median=self.median, floor_click_median=self.click, ratio=self.ratio,
                    floor_pass_median=statistics.median(self.floor_pass)
                    if self.floor_pass else None)
        return data


def judge_ratio(row: Row, limit: float) -> Row:
    row.goal = f"≤ {limit:g}× click"
    if row.ratio is not None:
        row.shown = f"{row.ratio:.2f}×"
        row.met = row.ratio <= limit
    return row


def judge_against(row: Row, base: float | None, limit: float, what: str) -> Row:
    row.goal = f"≤ {limit:g}× {what}"
    if row.median is not None and base:
        ratio = row.median / base
        row.shown = f"{ratio:.2f}× {what}"
        row.met = ratio <= limit
    return row


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
