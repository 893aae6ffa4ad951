"""Moving a tracker between a flat ``.issues/`` and fanned-out folders (issue 27).

A flat folder is the default, and what most trackers want.  Past ~100,000
issues it costs every commit: git writes the folder's tree again whenever a
file in it changes, and a flat folder's tree is one object naming every issue
(7.2 MB of loose objects a commit at 250,000 issues; bench/fanout.py).  With
``layout: fanned`` in config.yml an issue lives in ``.issues/ab/abcdefgh.yml``
(the first two characters of its id), so a commit writes one small folder's
tree.  Every command reads both layouts whatever the config says; the config
decides where new issues go.

``git issues layout fanned`` (or ``flat``) moves every issue file, as ``git
mv`` would: renamed in the work tree, staged under its new path where the old
one was staged, with config.yml saying the new layout and ``.gitattributes``
naming the merge driver for the folders too.  A move that would overwrite a
file refuses before it moves anything.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from git_issues.core.ids import ID_RE
from git_issues.errors import GitIssuesError
from git_issues.repo import config as config_mod
from git_issues.repo import gitutil, registration
from git_issues.repo.store import (
    CONFIG_NAME,
    CONFIG_PATH,
    ISSUES_DIR,
    LAYOUTS,
    fanned_name,
    file_name,
    is_fan_folder,
    issue_stem,
    list_issue_names,
    write_atomic,
)

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace

_LAYOUT_LINE = re.compile(r"^layout:.*$", re.MULTILINE)


@dataclass
class Moved:
    """What a change of layout did."""

    layout: str
    moved: int  # issue files renamed
    staged: int  # of them, those git tracked (staged under the new name)


def set_layout(ws: Workspace, layout: str) -> Moved:
    """Move every issue file to ``layout`` and say so in config.yml; see the module doc."""
    if layout not in LAYOUTS:
        raise GitIssuesError(f"unknown layout '{layout}' (known: {', '.join(LAYOUTS)})")
    config_mod.load(ws.sources.config_path)  # a broken config is refused before any move
    moves = _planned(ws.store.dir, layout)
    tracked = _tracked(ws.root)
    for old, new in moves:
        if layout == "fanned":
            ws.store.ensure_dir(ws.store.dir / new.partition("/")[0])
        os.rename(ws.store.dir / old, ws.store.dir / new)
    if layout == "flat":
        _remove_empty_fan_folders(ws.store.dir)
    staged = [(old, new) for old, new in moves if f"{ISSUES_DIR}/{old}" in tracked]
    paths = [f"{ISSUES_DIR}/{name}" for pair in staged for name in pair]
    paths += _write_config(ws, layout)
    if layout == "fanned" and registration.attributes_name_driver(ws.root):
        paths += registration.register_pattern(ws.root, registration.FANNED_PATTERN)
    if paths:
        gitutil.run_waiting_for_index(["update-index", "--add", "--remove", "-z", "--stdin"],
                                      ws.root, input="\0".join(paths).encode() + b"\0")
    return Moved(layout, len(moves), len(staged))


def _planned(folder: Path, layout: str) -> list[tuple[str, str]]:
    """(old name, new name) of each issue file not where ``layout`` puts it; refused
    whole when a new name is taken (the same id in both layouts)."""
    names = list_issue_names(folder)
    present = set(names)
    moves = []
    for name in names:
        stem = issue_stem(name)
        if stem is None or not ID_RE.fullmatch(stem):
            continue  # not an issue's name: check reports it, a move would not mend it
        new = fanned_name(stem) if layout == "fanned" else file_name(stem)
        if new == name:
            continue
        if new in present or os.path.lexists(folder / new):
            raise GitIssuesError(f"{ISSUES_DIR}/{new} and {ISSUES_DIR}/{name} hold the same id; "
                                 "keep one of them, then move again (nothing was moved)")
        moves.append((name, new))
    return moves


def _tracked(root: Path) -> set[str]:
    out = gitutil.run(["ls-files", "-z", "--", f"{ISSUES_DIR}/"], root).stdout
    return set(out.decode("utf-8", "surrogateescape").split("\0"))


def _remove_empty_fan_folders(folder: Path) -> None:
    for name in os.listdir(folder):
        if is_fan_folder(name) and (folder / name).is_dir() and not (folder / name).is_symlink():
            try:
                os.rmdir(folder / name)
            except OSError:  # something else in it (a file of the user's): kept
                pass


def _write_config(ws: Workspace, layout: str) -> list[str]:
    """config.yml with ``layout:`` set (its other lines kept); the paths to stage."""
    path = ws.store.dir / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = config_mod.DEFAULT_TEXT
    line = f"layout: {layout}"
    if _LAYOUT_LINE.search(text):
        new = _LAYOUT_LINE.sub(line, text, count=1)
    else:
        new = text + ("" if text.endswith("\n") or not text else "\n") + \
            "# Where new issues go: flat (.issues/ID.yml) or fanned (.issues/ID[:2]/ID.yml).\n" \
            f"{line}\n"
    if new == text:
        return []
    config_mod.parse(new.encode("utf-8"))  # never write a config the next read refuses
    write_atomic(path, new.encode("utf-8"))
    return [CONFIG_PATH]
