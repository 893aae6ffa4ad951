"""git's merge driver for issue files: bytes in, bytes out, and git's config.

git runs ``git-issues merge-driver %O %A %B %P ...`` for every issue file both
sides changed; this merges the three versions field by field (``core.merge``,
written by ``fileformat.mergetext``) into ``%A``.  A side that does not parse
falls back to git's own line merge (``git merge-file``), and a clean line
merge that still does not parse is reported as a conflict, so nothing broken
ever passes silently.

Registering the driver with git is ``repo/registration.py``'s job.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.fileformat.issuefile import dump_issue, load_text
from git_issues.fileformat.mergetext import (  # noqa: F401 - the merge's names, here too
    DEFAULT_MARKERS,
    LABELS,
    MARKER_SIZE,
    Markers,
    MergeResult,
    merge_issues,
)
from git_issues.repo import gitutil
from git_issues.repo.store import ISSUES_DIR, is_fan_folder, issue_stem

# --- bytes in, bytes out: what git hands the driver ---------------------------

def merge_bytes(base: bytes | None, ours: bytes, theirs: bytes, path: str, *,
                diff3: bool = False, markers: Markers = DEFAULT_MARKERS) -> MergeResult:
    """Merge three versions of the file at ``path``; ``base`` None or empty means add/add."""
    if not _is_issue_path(path):  # config.yml, templates and other files: git's merge
        return _line_merge(base or b"", ours, theirs, path, diff3=diff3, reason=None,
                           markers=markers)
    versions = []
    for label, data in zip(LABELS, (ours, base, theirs), strict=True):
        try:
            versions.append(load_text(data, path) if data else None)
        except IssueFileError as exc:
            reason = f"the {label} version is not a valid issue ({exc.problem})"
            return _line_merge(base or b"", ours, theirs, path, diff3=diff3, reason=reason,
                               markers=markers)
    a, old, b = versions
    if a is None or b is None:  # an emptied file is no issue: let git's line merge decide
        return _line_merge(base or b"", ours, theirs, path, diff3=diff3,
                           reason="a version is empty", markers=markers)
    return merge_issues(old, a, b, diff3=diff3, markers=markers)


def _is_issue_path(path: str) -> bool:
    """An issue file by its name, flat or in a fanned-out folder (``.issues/ab/``); not
    a file in the tracker's other folders, which ``.issues/*/*.yml`` also hands here."""
    folder, _, name = path.replace(os.sep, "/").rpartition("/")
    top, _, inner = folder.partition(f"{ISSUES_DIR}/")
    if inner and not top and not is_fan_folder(inner):
        return False
    return issue_stem(name) is not None


def _line_merge(base: bytes, ours: bytes, theirs: bytes, path: str, *, diff3: bool,
                reason: str | None, markers: Markers = DEFAULT_MARKERS) -> MergeResult:
    """git's own line merge; a clean result is kept only if it is a valid issue."""
    with tempfile.TemporaryDirectory(prefix="git-issues-merge-") as tmp:
        names = []
        for label, data in zip(LABELS, (ours, base, theirs), strict=True):
            name = os.path.join(tmp, label)
            Path(name).write_bytes(data)
            names.append(name)
        args = ["merge-file", "-p", *(["--diff3"] if diff3 else []),
                f"--marker-size={markers.size}", "-L", markers.ours, "-L", markers.base,
                "-L", markers.theirs, *names]
        proc = gitutil.run(args, check=False)
    if proc.returncode < 0 or proc.returncode > 127:
        raise GitIssuesError(f"{path}: git merge-file failed")
    text = proc.stdout
    if proc.returncode > 0:
        return MergeResult(text, ["the line merge left conflict markers"], fallback=reason)
    if issue_stem(os.path.basename(path)) is None:
        return MergeResult(text, fallback=reason)
    try:
        issue = load_text(text, path)
    except IssueFileError as exc:
        return MergeResult(text, [f"the merged file is not a valid issue: {exc.problem}"],
                           fallback=reason or "a side is not a valid issue")
    return MergeResult(dump_issue(issue).encode("utf-8"), fallback=reason)


def run_driver(base: Path, ours: Path, theirs: Path, path: str,
               markers: Markers = DEFAULT_MARKERS) -> MergeResult:
    """What ``git-issues merge-driver %O %A %B %P ...`` does: merge into ``ours`` in place.

    git reads the merged file back from ``%A``; the exit status (0 clean,
    1 conflict) tells it whether the path is resolved.
    """
    diff3 = conflict_style_has_base()
    old, a, b = base.read_bytes(), ours.read_bytes(), theirs.read_bytes()
    try:
        result = merge_bytes(old, a, b, path, diff3=diff3, markers=markers)
    except Exception:
        # A bug must not cost the other side's work: leave git's own line merge
        # in the file (git then reports a conflict), and keep the traceback.
        ours.write_bytes(_line_merge(old, a, b, path, diff3=diff3, reason=None,
                                     markers=markers).text)
        raise
    ours.write_bytes(result.text)
    return result


def conflict_style_has_base() -> bool:
    """``merge.conflictStyle`` diff3/zdiff3 asks for the base between the markers, too."""
    style = gitutil.output(["config", "--get", "merge.conflictStyle"], check=False)
    return style.strip().lower() in ("diff3", "zdiff3")


def git_markers(size: str | None, base: str | None, ours: str | None,
                theirs: str | None) -> Markers:
    """The markers git's own would show, from what git gave the driver.

    git 2.44 and later fill ``%S %X %Y`` with the labels of its own markers
    (``HEAD``, the merged branch, the merge base); older ones leave the
    placeholders as they are.  Then the branch comes from the ``GITHEAD_<sha>``
    variable ``git merge`` sets, and the base, which only diff3 shows, from
    ``git merge-base``, as git's own ``||||||| 1a2b3c4`` line does.
    """
    def given(value: str | None) -> str | None:
        return value if value and not (len(value) == 2 and value.startswith("%")) else None

    heads = {k[len("GITHEAD_"):]: v for k, v in os.environ.items() if k.startswith("GITHEAD_")}
    theirs_label = given(theirs) or (next(iter(heads.values())) if len(heads) == 1 else None)
    base_label = given(base)
    if base_label is None and len(heads) == 1 and conflict_style_has_base():
        sha = next(iter(heads))
        found = gitutil.output(["merge-base", "HEAD", sha], check=False)
        base_label = gitutil.output(["rev-parse", "--short", found], check=False) if found \
            else None
    marker_size = int(size) if size and size.isdigit() and 0 < int(size) < 100 else MARKER_SIZE
    return Markers(ours=given(ours) or ("HEAD" if heads else LABELS[0]),
                   base=base_label or LABELS[1], theirs=theirs_label or LABELS[2],
                   size=marker_size)
