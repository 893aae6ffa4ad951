"""Issue templates: ``.issues/templates/NAME.yml``, a partial issue that ``new`` starts from.

A template holds what a kind of issue always has, as GitHub's issue templates
do: a title prefix, labels, a priority, assignees and a body skeleton.  The
files are committed with the issues, so they arrive in pull requests and are
read with the same guarded reader, and ``check`` validates them.  They live in
a sub-folder, so neither the issue listing nor the merge driver's
``.issues/*.yml`` pattern ever sees them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from git_issues.core.model import (
    ValidationError,
    _text,
    check_assignees,
    check_label,
    parse_priority,
)
from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.fileformat.issuefile import load_document, read_bytes

TEMPLATES_DIR = "templates"
SUFFIX = ".yml"
KEYS = ("about", "title", "labels", "priority", "assignees", "body")
# Templates written before issues had several assignees: read as one, like issue files.
LEGACY_KEYS = ("assignee",)
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

DEFAULTS = {
    "bug": """\
# `git issues new --template bug`: every key is optional.
about: Something does not work as it should
title: 'Bug: '
labels:
- bug
body: |
  ## What happened

  ## What I expected

  ## Steps to reproduce
  1.

  ## Version and platform
""",
    "feature": """\
# `git issues new --template feature`: every key is optional.
about: An idea for something new
title: 'Feature: '
labels:
- enhancement
body: |
  ## The problem it solves

  ## What it could look like

  ## Alternatives considered
""",
}


@dataclass
class Template:
    """The parts of an issue a template fills in; empty ones fill in nothing."""

    name: str
    about: str = ""
    title: str = ""
    labels: list[str] = field(default_factory=list)
    priority: int | None = None
    assignees: list[str] = field(default_factory=list)
    body: str = ""

    def __post_init__(self) -> None:
        self.labels = self.labels or []
        self.assignees = self.assignees or []


def folder(issues_dir: Path) -> Path:
    return issues_dir / TEMPLATES_DIR


def shown(name: str) -> str:
    return f".issues/{TEMPLATES_DIR}/{name}{SUFFIX}"


def names(issues_dir: Path) -> list[str]:
    """The templates there are, by name, from one directory listing."""
    try:
        entries = os.listdir(folder(issues_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(entry[: -len(SUFFIX)] for entry in entries
                  if entry.endswith(SUFFIX) and NAME_RE.fullmatch(entry[: -len(SUFFIX)]))


def load(issues_dir: Path, name: str) -> Template:
    """The template ``name``; an unknown or broken one is an error naming it."""
    if not NAME_RE.fullmatch(name):
        raise GitIssuesError(f"--template: '{name}' is not a template name "
                             "(letters, digits, '-' and '_')")
    try:
        data, _ = read_bytes(str(folder(issues_dir) / f"{name}{SUFFIX}"), shown(name))
    except FileNotFoundError:
        known = ", ".join(names(issues_dir)) or f"none; add .issues/{TEMPLATES_DIR}/NAME.yml"
        raise GitIssuesError(f"--template: no template '{name}' (templates: {known})") from None
    return parse(data, name)


def parse(data: bytes, name: str) -> Template:
    """A template from its bytes, checked field by field like an issue."""
    where = shown(name)
    document = load_document(data, where)
    try:
        return _from_document(document, name)
    except ValidationError as exc:
        raise IssueFileError(where, str(exc)) from None


def _from_document(document: Any, name: str) -> Template:
    if document is None:
        return Template(name)
    if not isinstance(document, dict):
        raise ValidationError("a template must be a mapping of fields")
    unknown = [str(key) for key in document if key not in KEYS + LEGACY_KEYS]
    if unknown:
        raise ValidationError(f"unknown key '{unknown[0]}' (a template may have: "
                              f"{', '.join(KEYS)})")
    labels = document.get("labels") or []
    if not isinstance(labels, list):
        raise ValidationError("labels must be a list")
    priority = document.get("priority")
    return Template(
        name=name,
        about=_text(document.get("about"), "about", one_line=True),
        title=_text(document.get("title"), "title", one_line=True),
        labels=[check_label(label) for label in labels],
        priority=None if priority is None else parse_priority(priority),
        assignees=check_assignees(document.get("assignees"), document.get("assignee")),
        body=_text(document.get("body"), "body"),
    )


def check_folder(issues_dir: Path) -> list[str]:
    """One line per broken template (for ``check``); every template is read."""
    problems = []
    try:
        entries = sorted(os.listdir(folder(issues_dir)))
    except (FileNotFoundError, NotADirectoryError):
        return []
    for entry in entries:
        if not entry.endswith(SUFFIX):
            continue
        name = entry[: -len(SUFFIX)]
        if not NAME_RE.fullmatch(name):
            problems.append(f"{shown(name)}: the name is not a template name "
                            "(letters, digits, '-' and '_')")
            continue
        try:
            data, _ = read_bytes(str(folder(issues_dir) / entry), shown(name))
            parse(data, name)
        except IssueFileError as exc:
            problems.append(str(exc))
    return problems


def write_defaults(issues_dir: Path) -> list[Path]:
    """``init``: a bug and a feature template, only in a project that has no templates yet."""
    where = folder(issues_dir)
    if where.exists():
        return []
    where.mkdir(parents=True)
    written = []
    for name, text in DEFAULTS.items():
        path = where / f"{name}{SUFFIX}"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
