"""Validating issue files for CI and pre-commit: the library behind ``git issues check``.

Everything the reader refuses is reported (YAML syntax, the safe loader's
limits, required fields, bad values), and so is what the reader forgives or
a single file cannot tell about itself: an id that differs from the file
name, the same id in two files, a link to an issue that does not exist, a
status the project's config does not know, a priority or timestamp not
written the way the format says, and the conflict markers a merge left.
One line per problem, ``path: problem``; no output means clean.

``--staged`` checks the versions in git's index, i.e. what the next commit
will contain, which is what a pre-commit hook must look at: a file fixed in
the work tree but not re-staged would otherwise pass and be committed broken.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues.core.ids import resolve as resolve_id
from git_issues.core.model import ID_RE, IMPORTED_LINK_KINDS, LINK_KINDS
from git_issues.core.rules import CANONICAL_TIME_RE
from git_issues.errors import GitIssuesError, IssueFileError, NoSuchIssue
from git_issues.fileformat.issuefile import CONFLICT_RE, load_document, load_text, read_bytes
from git_issues.ops import revisions, templates
from git_issues.ops.templates import TEMPLATES_DIR
from git_issues.repo import config as config_mod
from git_issues.repo import gitutil
from git_issues.repo.config import Config
from git_issues.repo.store import (
    CONFIG_PATH,
    ISSUES_DIR,
    SUFFIX,
    file_name,
    is_fan_folder,
    is_listed,
    is_placed,
    path_stem,
    placement_error,
)

if TYPE_CHECKING:
    from git_issues.core.model import Issue
    from git_issues.repo.workspace import Workspace

FUTURE_SLACK = _dt.timedelta(days=1)  # clocks disagree a little; a day ahead is a typo
NOT_AN_ISSUE = f"not an issue file (issues are {ISSUES_DIR}/<id>{SUFFIX})"
# "Fixes: ab12", "closes AB12CD34", "Resolved: ab12": a closing word, then an id or prefix
CLOSING_RE = re.compile(r"\b(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)\b\s*:?[ \t]*#?"
                        r"([0-9a-z]{4,16})\b", re.IGNORECASE)


@dataclass
class Source:
    """One file to check: its repository path and bytes, or why it cannot be read."""

    path: str
    data: bytes | None
    problem: str | None = None


# --- where the files come from ------------------------------------------------

def check_worktree(ws: Workspace, paths: list[str] | None = None) -> list[str]:
    """Check the files in the work tree: every issue file, or just ``paths``."""
    names = _expand(ws.root, paths) if paths else [*_folder(ws.store.dir),
                                                    *_template_files(ws.store.dir)]
    sources = [_read_file(ws.root, name) for name in names if name != CONFIG_PATH]
    with_config = not paths or CONFIG_PATH in names
    unreadable: list[str] = []
    try:  # the guarded reader: a committed link to /dev/zero must not exhaust memory
        config_data: bytes | None = read_bytes(str(ws.sources.config_path), CONFIG_PATH)[0]
    except FileNotFoundError:
        config_data = None
    except IssueFileError as exc:
        config_data = None
        unreadable = [str(exc)] if with_config else []
    return unreadable + check_sources(sources, set(ws.store.ids()), config_data,
                                      with_config=with_config)


def check_staged(ws: Workspace, paths: list[str] | None = None) -> list[str]:
    """Check the versions in git's index: what the next commit will contain."""
    entries, unmerged = _index_entries(ws.root)
    wanted = _staged_names(_expand(ws.root, paths, on_disk=False), entries, unmerged) \
        if paths else None
    names = wanted if wanted is not None else [n for n in entries
                                               if _in_folder(n) or is_template(n)]
    problems = [f"{name}: unmerged ({_how_to_resolve(name)})"
                for name in sorted(unmerged) if wanted is None or name in wanted]
    sources: list[Source] = []
    with gitutil.BlobReader(ws.root) as blobs:
        for name in sorted(names):
            if name == CONFIG_PATH or name in unmerged:
                continue
            mode, sha = entries.get(name, ("", ""))
            if not mode:
                sources.append(Source(name, None, "not in the index (nothing staged)"))
            elif mode == "120000":
                sources.append(Source(name, None, "is a symbolic link, not an issue file"))
            else:
                sources.append(Source(name, blobs.read(sha), "cannot be read from the index"))
        config_data = blobs.read(entries[CONFIG_PATH][1]) if CONFIG_PATH in entries else None
    known = {stem for name in entries if (stem := path_stem(name))}
    with_config = wanted is None or CONFIG_PATH in wanted
    return problems + check_sources(sources, known, config_data, with_config=with_config)


def _how_to_resolve(name: str) -> str:
    """An issue file's conflict ``git issues resolve`` merges; any other is resolved by hand."""
    if path_stem(name) is not None:
        return "run 'git issues resolve', or resolve the conflict and git add it"
    return "resolve the conflict, then git add it"


def _staged_names(given: list[str], entries: dict, unmerged: set[str]) -> list[str]:
    """Paths as given; a folder stands for the issue files staged in it."""
    out: list[str] = []
    for name in given:
        if name in entries or name in unmerged:
            out.append(name)
            continue
        prefix = "" if name == "." else name.rstrip("/") + "/"
        inside = [p for p in [*entries, *unmerged] if p.startswith(prefix) and _in_folder(p)]
        out += sorted(inside) if inside else [name]
    return list(dict.fromkeys(out))


def _index_entries(root: Path) -> tuple[dict[str, tuple[str, str]], set[str]]:
    """``{path: (mode, blob)}`` for the index under ``.issues/``, and the unmerged paths."""
    raw = gitutil.run(["ls-files", "-s", "-z", "--", f"{ISSUES_DIR}/"], root).stdout
    entries: dict[str, tuple[str, str]] = {}
    unmerged: set[str] = set()
    for record in raw.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, name = record.partition("\t")
        if not name:
            continue
        mode, sha, stage = meta.split(" ")
        if stage == "0":
            entries[name] = (mode, sha)
        else:
            unmerged.add(name)
    return entries, unmerged


def _in_folder(path: str) -> bool:
    """What a whole-folder check reads: ``*.yml`` directly in ``.issues/`` or in one of
    its fanned-out folders (``.issues/ab/``), no temporaries."""
    folder, _, name = path.rpartition("/")
    top, _, fan = folder.partition("/")
    return top == ISSUES_DIR and (not fan or is_fan_folder(fan)) and is_listed(name)


def is_template(path: str) -> bool:
    """``.issues/templates/NAME.yml``: checked as a template, not as an issue."""
    folder, _, name = path.rpartition("/")
    return folder == f"{ISSUES_DIR}/{TEMPLATES_DIR}" and name.endswith(SUFFIX)


def _template_files(directory: Path) -> list[str]:
    try:
        names = os.listdir(directory / TEMPLATES_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(p for n in names if is_template(p := f"{ISSUES_DIR}/{TEMPLATES_DIR}/{n}"))


def _check_template(source: Source) -> list[str]:
    """A template is a partial issue: the reader's limits and each field's rules."""
    name = source.path.rpartition("/")[2][: -len(SUFFIX)]
    if not templates.NAME_RE.fullmatch(name):
        return ["the name is not a template name (letters, digits, '-' and '_')"]
    try:
        templates.parse(source.data or b"", name)
    except IssueFileError as exc:
        return [exc.problem]
    return []


def _folder(directory: Path) -> list[str]:
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    for fan in [n for n in names if is_fan_folder(n) and not os.path.islink(directory / n)]:
        with suppress(NotADirectoryError, FileNotFoundError):
            names += [f"{fan}/{n}" for n in os.listdir(directory / fan)]
    return sorted(p for n in names if _in_folder(p := f"{ISSUES_DIR}/{n}"))


def _expand(root: Path, paths: list[str], *, on_disk: bool = True) -> list[str]:
    """Command-line paths (relative to the current directory) as repository paths.

    A directory stands for the issue files in it.
    """
    out: list[str] = []
    for given in paths:
        absolute = os.path.abspath(given)
        rel = os.path.relpath(absolute, root)
        if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
            raise GitIssuesError(f"{given}: outside the repository ({root})")
        rel = rel.replace(os.sep, "/")
        if on_disk and os.path.isdir(absolute) and not os.path.islink(absolute):
            out += _folder(Path(absolute)) if rel == ISSUES_DIR else [
                p for n in sorted(os.listdir(absolute))
                if _in_folder(p := f"{rel}/{n}".removeprefix("./"))]
        else:
            out.append(rel)
    return list(dict.fromkeys(out))


def _read_file(root: Path, name: str) -> Source:
    try:
        data, _ = read_bytes(str(root / name), name)
    except FileNotFoundError:
        return Source(name, None, "no such file")
    except IsADirectoryError:
        return Source(name, None, NOT_AN_ISSUE)
    except IssueFileError as exc:
        return Source(name, None, exc.problem)
    return Source(name, data)


def _config(data: bytes | None) -> Config:
    """The project's config from its bytes; the defaults when there is none."""
    return Config() if data is None else config_mod.parse(data)


# --- the checks ---------------------------------------------------------------

def check_sources(sources: list[Source], known: set[str], config_data: bytes | None, *,
                  with_config: bool = True) -> list[str]:
    """All problems of ``sources``; ``known`` are the ids that exist (for links)."""
    found: list[tuple[str, str]] = []
    try:
        config = _config(config_data)
    except GitIssuesError as exc:
        config = Config()
        if with_config:
            found.append((CONFIG_PATH, str(exc).removeprefix(f"{CONFIG_PATH}: ")))
    for source in sources:
        found += [(source.path, problem) for problem in check_file(source, config, known)]
    found.sort(key=lambda item: item[0])  # stable: a file's problems keep their order
    return [f"{path}: {problem}" for path, problem in found]


def check_file(source: Source, config: Config, known: set[str]) -> list[str]:
    """One file's problems.

    Two files can only share an id if one of them does not match its name,
    so a duplicate is reported once, on the file whose name is wrong.
    """
    if source.data is None:
        return [source.problem or "cannot be read"]
    if is_template(source.path):
        return _check_template(source)
    stem = path_stem(source.path)
    if stem is None:
        return [NOT_AN_ISSUE]
    problems: list[str] = []
    if not ID_RE.fullmatch(stem):
        problems.append("the file name is not an issue id (4 to 16 characters of 0-9a-z)")
    marker = CONFLICT_RE.search(source.data)
    if marker:
        line = source.data.count(b"\n", 0, marker.start()) + 1
        return [*problems, f"unresolved merge conflict (conflict markers from line {line}): "
                           "run 'git issues resolve'"]
    try:
        issue = load_text(source.data, source.path)
        raw = load_document(source.data, source.path)  # as written, before the model's fixes
    except IssueFileError as exc:
        return [*problems, exc.problem]
    if not problems and issue.id != stem:
        twin = f"; it is the id of {ISSUES_DIR}/{file_name(issue.id)}" if issue.id in known else ""
        problems.append(f"id '{issue.id}' does not match the file name{twin}")
    elif not problems and not is_placed(source.path.partition("/")[2], issue.id):
        problems.append(placement_error(source.path.partition("/")[2], issue.id))
    return problems + _check_values(issue, raw if isinstance(raw, dict) else {}, config, known)


def _check_values(issue: Issue, raw: dict[str, Any], config: Config,
                  known: set[str]) -> list[str]:
    problems: list[str] = []
    if issue.status not in config.statuses:
        problems.append(f"status '{issue.status}' is not in {CONFIG_PATH} "
                        f"(known: {', '.join(config.statuses)})")
    priority = raw.get("priority")
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
        problems.append(f"priority must be written as a number 0 to 4, not {priority!r}")
    problems += _check_times(issue, raw, config)
    seen: set[str] = set()
    for comment in issue.comments:
        if comment.id in seen:
            problems.append(f"comments: the id '{comment.id}' is used twice")
        seen.add(comment.id)
    problems += _check_links(issue, known)
    return problems


def _check_times(issue: Issue, raw: dict[str, Any], config: Config) -> list[str]:
    problems: list[str] = []
    stamps = [("created", raw.get("created")), ("closed", raw.get("closed"))]
    comments = raw.get("comments") if isinstance(raw.get("comments"), list) else []
    stamps += [(f"comments[{i}].date", c.get("date")) for i, c in enumerate(comments)
               if isinstance(c, dict)]
    latest = _dt.datetime.now(_dt.UTC) + FUTURE_SLACK
    for name, value in stamps:
        if value is None:
            continue
        if not _is_utc(value):
            problems.append(f"{name} {_shown(value)} is not a UTC time like "
                            f"'2026-11-26T12:00:00Z'")
        elif _moment(value) > latest:
            problems.append(f"{name} {_shown(value)} is in the future")
    closed_state = config.state_of(issue.status) == "closed"
    if closed_state and not issue.closed:
        problems.append(f"status '{issue.status}' is closed but there is no 'closed' time")
    if not closed_state and issue.closed:
        problems.append(f"'closed' is set but status '{issue.status}' is open")
    if issue.closed and issue.closed < issue.created:
        problems.append("closed is earlier than created")
    return problems


def _is_utc(value: Any) -> bool:
    if isinstance(value, _dt.datetime):
        return value.utcoffset() == _dt.timedelta(0)
    if not isinstance(value, str) or not CANONICAL_TIME_RE.fullmatch(value):
        return False
    try:
        _dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _moment(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    return _dt.datetime.fromisoformat(value)


def _shown(value: Any) -> str:
    if isinstance(value, _dt.date):
        return repr(value.isoformat())
    return repr(value)


def _check_links(issue: Issue, known: set[str]) -> list[str]:
    problems: list[str] = []
    for kind, ids in issue.links.items():
        if kind not in LINK_KINDS and kind not in IMPORTED_LINK_KINDS:
            problems.append(f"links: unknown kind '{kind}' (known: {', '.join(LINK_KINDS)})")
        for index, other in enumerate(ids):
            if other == issue.id:
                problems.append(f"links.{kind}: links the issue to itself")
            elif other not in known:
                problems.append(f"links.{kind}: no issue '{other}'")
            if other in ids[:index]:
                problems.append(f"links.{kind}: '{other}' is listed twice")
    return problems


# --- closing words in commits ---------------------------------------------------

def check_commits(ws: Workspace, revisions_range: str) -> list[str]:
    """``path: warning`` for each issue a commit in ``BASE..HEAD`` says it fixes or
    closes and that is still open at HEAD: the reviewer sees the promise not kept.

    One ``git log`` for the messages; the issues are read at HEAD's tree (not the
    work tree), from the index kept for that tree.
    """
    base, sep, head = revisions_range.partition("..")
    if not sep or head.startswith(".") or not base:
        raise GitIssuesError(f"{revisions_range!r} is not a range like BASE..HEAD")
    head = head or "HEAD"
    proc = gitutil.run(["log", "--format=%h%x1f%B%x1e", f"{base}..{head}", "--"], ws.root,
                       check=False)
    if proc.returncode != 0:
        raise GitIssuesError(f"unknown revision range '{revisions_range}'")
    said: list[tuple[str, str, str]] = []  # commit, words, prefix
    for record in proc.stdout.decode("utf-8", "replace").split("\x1e"):
        commit, _, message = record.strip().partition("\x1f")
        said += [(commit, m.group(0).strip(), m.group(1).lower())
                 for m in CLOSING_RE.finditer(message)]
    if not said:
        return []
    warnings: dict[str, str] = {}
    with revisions.open_at(ws.root, ws.state_dir, head, worktree=ws.sources) as found:
        statuses = found.view.statuses()
        for commit, words, prefix in said:
            try:
                issue_id = resolve_id(prefix, found.ids)
            except (NoSuchIssue, GitIssuesError):
                continue  # not an issue here ("Fixes crash"), or more than one
            doc = found.view.doc(issue_id) or {}
            if statuses.get(str(doc.get("status")), "open") == "closed":
                continue
            path = ws.store.display(issue_id)
            warnings.setdefault(path, f"commit {commit} says '{words}' but the issue is "
                                      f"still {doc.get('status', 'open')} at {head}")
    return [f"{path}: {text}" for path, text in sorted(warnings.items())]
