"""The project's settings in ``.issues/config.yml``.

Statuses are configurable, each mapped to the open or the closed state, so a
project can say ``in-progress: open`` or ``wontfix: closed``.  The file is
committed with the issues, so every clone agrees on what a status means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from git_issues.core.rules import DEFAULT_STATUSES, STATUS_RE
from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import load_document, read_bytes
from git_issues.repo.store import CONFIG_PATH, LAYOUTS

SHOWN = CONFIG_PATH
STATES = ("open", "closed")

DEFAULT_TEXT = """\
# git-issues settings, committed with the issues.
# Each status maps to a state: open or closed.  Add your own, for example
#   in-progress: open
#   wontfix: closed
statuses:
  open: open
  closed: closed
"""


@dataclass
class Config:
    """The settings: each status and its state (open or closed)."""

    statuses: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUSES))
    layout: str = "flat"  # where new issues go: .issues/ID.yml, or .issues/ID[:2]/ID.yml

    def state_of(self, status: str) -> str:
        """Open or closed; an unknown status counts as open so it is never hidden."""
        return self.statuses.get(status, "open")

    def check_status(self, status: str) -> str:
        if status not in self.statuses:
            known = ", ".join(self.statuses)
            raise GitIssuesError(f"unknown status '{status}' (known: {known}; add it under "
                                 f"'statuses:' in {SHOWN}, e.g. '  {status}: open')")
        return status


def statuses_or_defaults(read: Callable[[], Config]) -> dict[str, str]:
    """The statuses for describing changes (``log``, ``diff``): a broken config is
    ``check``'s to report; a report falls back to the defaults rather than fail."""
    try:
        return read().statuses
    except GitIssuesError:
        return dict(DEFAULT_STATUSES)


def load(path: Path) -> Config:
    """Read the config, or the defaults when there is none."""
    # The config arrives in pull requests like the issues: the same guarded reader
    # (no symlink to /dev/zero, no FIFO, size cap, nesting/alias/value limits).
    try:
        data, _ = read_bytes(str(path), SHOWN)
    except FileNotFoundError:
        return Config()
    return parse(data)


def parse(data: bytes) -> Config:
    """The config from its bytes: a file on disk, or a version git holds (``check --staged``)."""
    shown = SHOWN
    doc = load_document(data, shown) or {}
    raw = doc.get("statuses", DEFAULT_STATUSES) if isinstance(doc, dict) else None
    if not isinstance(raw, dict) or not raw:
        raise GitIssuesError(f"{shown}: 'statuses' must map each status to open or closed")
    statuses: dict[str, str] = {}
    for name, state in raw.items():
        if not isinstance(name, str) or not STATUS_RE.fullmatch(name) or state not in STATES:
            raise GitIssuesError(f"{shown}: status {name!r} must map to open or closed")
        statuses[name] = state
    for needed in STATES:
        if needed not in statuses:
            raise GitIssuesError(f"{shown}: the status '{needed}' must be defined")
    layout = doc.get("layout", "flat")
    if layout not in LAYOUTS:
        raise GitIssuesError(f"{shown}: 'layout' must be flat or fanned (got {layout!r})")
    return Config(statuses=statuses, layout=layout)
