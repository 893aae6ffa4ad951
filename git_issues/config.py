"""The project's settings in ``.issues/config.yml``.

Statuses are configurable, each mapped to the open or the closed state, so a
project can say ``in-progress: open`` or ``wontfix: closed``.  The file is
committed with the issues, so every clone agrees on what a status means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from git_issues.errors import GitIssuesError
from git_issues.model import STATUS_RE

DEFAULT_STATUSES = {"open": "open", "closed": "closed"}
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
    statuses: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUSES))

    def state_of(self, status: str) -> str:
        """Open or closed; an unknown status counts as open so it is never hidden."""
        return self.statuses.get(status, "open")

    def check_status(self, status: str) -> str:
        if status not in self.statuses:
            known = ", ".join(self.statuses)
            raise GitIssuesError(f"unknown status '{status}' (known: {known})")
        return status


def load(path: Path) -> Config:
    """Read the config, or the defaults when there is none."""
    from git_issues.fileformat import MAX_FILE_BYTES, _Loader  # yaml only when needed

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise GitIssuesError(f"{path.name}: {exc.strerror}") from None
    shown = ".issues/config.yml"
    if len(data) > MAX_FILE_BYTES:
        raise GitIssuesError(f"{shown}: file is too large")
    import yaml

    try:
        doc = yaml.load(data.decode("utf-8"), Loader=_Loader) or {}  # noqa: S506
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise GitIssuesError(f"{shown}: invalid YAML ({type(exc).__name__})") from None
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
    return Config(statuses=statuses)
