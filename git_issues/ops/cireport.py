"""``check``'s problems in the forms CI systems show on a change: GitHub's
workflow commands and GitLab's Code Quality report.

``check`` speaks in lines, ``path: problem``.  A forge shows a problem on the
changed file only if it knows the file and the line, so each line becomes a
``Finding`` with the line of the offending key when it can be found in the
file (else line 1, the file itself).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

_AT_LINE = re.compile(r"\b(?:at|from) line (\d+)")
_KEY = re.compile(r"'?([a-z_]+)")


@dataclass
class Finding:
    """One problem where a forge can show it."""

    path: str
    line: int
    message: str
    severity: str = "error"  # or "warning"


def findings(lines: list[str], read: Callable[[str], bytes | None],
             severity: str = "error") -> list[Finding]:
    """``path: problem`` lines as findings; ``read(path)`` gives a file's bytes
    (None when it cannot be read), to find the problem's line."""
    out = []
    for text in lines:
        path, sep, problem = text.partition(": ")
        if not sep:
            path, problem = "", text
        out.append(Finding(path, problem_line(read(path) if path else None, problem),
                           problem, severity))
    return out


def problem_line(data: bytes | None, problem: str) -> int:
    """The line the problem is about: the one the reader named, else the line of
    the top-level key the problem starts with, else 1."""
    said = _AT_LINE.search(problem)
    if said:
        return int(said.group(1))
    key = _KEY.match(problem)
    if data is None or key is None:
        return 1
    found = re.search(rb"^" + re.escape(key.group(1).encode()) + rb"\s*:", data, re.MULTILINE)
    return data.count(b"\n", 0, found.start()) + 1 if found else 1


def _escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped, as GitHub's toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property: the message's escapes, and ``:`` and ``,`` too."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_commands(found: list[Finding]) -> list[str]:
    """``::error file=...,line=N,title=...::message``, one a finding."""
    out = []
    for item in found:
        props = [f"file={_escape_property(item.path)}"] if item.path else []
        props += [f"line={item.line}", f"title={_escape_property('git issues check')}"]
        out.append(f"::{item.severity} {','.join(props)}::{_escape_data(item.message)}")
    return out


def codequality(found: list[Finding]) -> str:
    """GitLab's Code Quality report (a JSON array) of the findings.

    The fingerprint is the same for the same problem in the same file, so GitLab
    tells a problem a merge request fixes from one it adds.
    """
    report = [{
        "description": item.message,
        "check_name": "git-issues-check",
        "fingerprint": hashlib.sha256(f"{item.path}\0{item.message}".encode()).hexdigest(),
        "severity": "major" if item.severity == "error" else "minor",
        "location": {"path": item.path, "lines": {"begin": item.line}},
    } for item in found]
    return json.dumps(report, indent=2) + "\n"
