"""``git issues resolve``: finish a merge that git left in conflict without the driver.

A clone that did not have the merge driver when it merged (nothing of
git-issues ran in it yet, or the driver is not on the PATH a GUI gives git)
gets git's line merge: two comments appended on two branches become a raw
``<<<<<<<`` conflict.  git still holds the three versions of each conflicted
path in its index (stage 1 the base, 2 ours, 3 theirs) until the path is
added.  This runs the driver's field-level merge on them, writes the result
over the work-tree file and stages it: the merge, rebase, cherry-pick, revert
or stash pop then goes on as if the driver had run.  A field that really
conflicts is left marked alone, the rest merged, and the path stays unmerged
in git's index, exactly as the driver would have left it.

The work-tree file is replaced only if it still holds git's conflict markers
(a file someone already resolved by hand is theirs), and only if it did not
change while the merge ran (``Store.replace_if_unchanged``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.fileformat.issuefile import CONFLICT_RE, read_bytes
from git_issues.gitint import mergedriver as merge
from git_issues.repo import gitutil
from git_issues.repo.issues import lock_dir
from git_issues.repo.store import path_stem

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace

# The files git leaves in its dir while each operation waits, in the order they
# are asked, with what to type once every conflict is resolved.
IN_PROGRESS = (
    ("MERGE_HEAD", "git commit"),
    ("CHERRY_PICK_HEAD", "git cherry-pick --continue"),
    ("REVERT_HEAD", "git revert --continue"),
    ("REBASE_HEAD", "git rebase --continue"),
)


class Outcome(NamedTuple):
    """What happened to one conflicted file."""

    path: str  # as git names it, from the top of the work tree
    merged: bool  # written and staged: git no longer holds it in conflict
    messages: list[str]


def conflicted(root: Path) -> dict[str, dict[int, str]]:
    """Each unmerged path in git's index, with the blob id of each stage it has."""
    out = gitutil.run(["ls-files", "--unmerged", "-z"], root).stdout
    paths: dict[str, dict[int, str]] = {}
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        if not entry:
            continue
        info, _, path = entry.partition("\t")
        _mode, blob, stage = info.split(" ")
        paths.setdefault(path, {})[int(stage)] = blob
    return paths


def targets(ws: Workspace, wanted: list[str], cwd: Path) -> dict[str, dict[int, str]]:
    """The conflicted issue files to resolve: all of them, or those under each PATH.

    A PATH that names no conflicted issue file is an error before anything is
    written, so a typo never passes for "nothing to do".
    """
    issues = {path: stages for path, stages in conflicted(ws.root).items()
              if path_stem(path) is not None}
    if not wanted:
        return issues
    chosen: dict[str, dict[int, str]] = {}
    for arg in wanted:
        where = _repo_path(ws.root, cwd, arg)
        found = {p: s for p, s in issues.items()
                 if where in ("", p) or p.startswith(where.rstrip("/") + "/")}
        if not found:
            raise GitIssuesError(f"{arg}: no issue file there is in conflict in git's index "
                                 f"(git status lists what is)")
        chosen.update(found)
    return chosen


def _repo_path(root: Path, cwd: Path, arg: str) -> str:
    """A PATH as typed, as git names it from the top of the work tree."""
    full = Path(os.path.normpath(cwd / arg))
    try:
        relative = full.relative_to(root)
    except ValueError:
        raise GitIssuesError(f"{arg}: outside the repository {root}") from None
    return "" if relative == Path(".") else relative.as_posix()


def resolve(ws: Workspace, paths: list[str], cwd: Path) -> list[Outcome]:
    """Merge, write and stage each conflicted issue file (see the module's docstring)."""
    chosen = targets(ws, paths, cwd)
    if not chosen:
        return []
    markers = merge.Markers(ours="HEAD", theirs=_theirs_label(ws))
    diff3 = merge.conflict_style_has_base()
    outcomes: list[Outcome] = []
    try:
        with gitutil.BlobReader(ws.root) as blobs:
            for path, stages in sorted(chosen.items()):
                outcomes.append(_resolve_one(ws, path, stages, blobs, markers, diff3))
    finally:  # what was written merged is staged, even if a later file stopped the run
        gitutil.add(ws.root, [outcome.path for outcome in outcomes if outcome.merged])
    return outcomes


def _resolve_one(ws: Workspace, path: str, stages: dict[int, str], blobs: gitutil.BlobReader,
                 markers: merge.Markers, diff3: bool) -> Outcome:
    if 2 not in stages or 3 not in stages:
        gone = "ours" if 2 not in stages else "theirs"
        return Outcome(path, False, [
            f"{path}: deleted on one side ({gone}) and changed on the other: keep it with "
            f"'git add {path}' or delete it with 'git rm {path}'"])
    now = _current(ws, path)
    if now is None or not CONFLICT_RE.search(now):
        return Outcome(path, False, [
            f"{path}: no conflict markers left in the file (resolved by hand?): "
            f"'git add {path}' if it is right, 'git checkout -m {path}' to merge it again"])
    base, ours, theirs = (blobs.read(stages[n]) if n in stages else None for n in (1, 2, 3))
    result = merge.merge_bytes(base, ours or b"", theirs or b"", path, diff3=diff3,
                               markers=markers)
    try:
        text = result.text.decode("utf-8")
    except UnicodeDecodeError:
        return Outcome(path, False, [f"{path}: a version is not UTF-8; merge it by hand"])
    try:
        ws.store.replace_if_unchanged(str(path_stem(path)), now, text, lock_dir(ws))
    except GitIssuesError as exc:  # changed meanwhile, or too big to write: say so, go on
        return Outcome(path, False, [str(exc)])
    return Outcome(path, result.clean, result.messages(path))


def _current(ws: Workspace, path: str) -> bytes | None:
    """The work-tree file's bytes, None if it is gone or no regular file."""
    try:
        return read_bytes(str(ws.root / path), path)[0]
    except (OSError, IssueFileError):
        return None


def _theirs_label(ws: Workspace) -> str:
    """What git's own markers call the other side: the commit being merged or replayed."""
    for name, _ in IN_PROGRESS:
        if (ws.paths.git_dir / name).exists():
            short = gitutil.output(["rev-parse", "--short", name], ws.root, check=False)
            if short:
                return short
    return merge.LABELS[2]


def next_step(ws: Workspace) -> str | None:
    """What finishes the operation git is in the middle of, once nothing is in conflict."""
    for name, command in IN_PROGRESS:
        if (ws.paths.git_dir / name).exists():
            return command
    return None


def other_conflicts(ws: Workspace) -> list[str]:
    """Conflicted paths that are not issue files: left to the user and their tools."""
    return sorted(path for path in conflicted(ws.root) if path_stem(path) is None)

