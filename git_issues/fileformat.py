"""Reading issue files safely and writing them canonically.

Issue files arrive in pull requests from strangers, so the reader trusts
nothing: a size cap before reading, strict UTF-8, PyYAML's safe loader only,
duplicate keys refused, a nesting check before the C parser sees a large file
(its composer recurses in C and a deep enough document crashes the process),
and a bounded walk afterwards that refuses aliases (the "billion laughs" bomb
is small until something walks it).

The writer produces the one canonical text for an issue: fixed key order,
block style, multi-line text as literal blocks, and quotes exactly where YAML
would otherwise read a string as something else.  Loading a canonical file
and writing it back gives the same bytes, so an edit to one field changes only
that field's lines.
"""

from __future__ import annotations

import os
import stat
from typing import Any

import yaml

from git_issues.errors import IssueFileError
from git_issues.model import Issue, ValidationError, issue_from_dict

# GitHub caps a body at 65,536 characters; 1 MiB leaves room for long threads.
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32  # canonical files nest 4 deep; hand-made extras get room, bombs do not.
MAX_NODES = 100_000
# Below this size a document cannot nest deeply enough to hurt the C parser
# (10,000 levels parse fine); above it the events are checked first.
_SMALL_TEXT = 8192

try:
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml: slower, equally safe
    _BaseLoader = yaml.SafeLoader  # type: ignore[misc]


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing duplicate keys so that no value is silently dropped."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = getattr(key_node, "value", None)
            if isinstance(key, str) and key == "<<":
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys ('<<') are not allowed", key_node.start_mark
                )
            if isinstance(key, str):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line out of PyYAML's multi-line messages."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"invalid YAML{where}: {' '.join(str(problem).split())}"


def _check_nesting(text: str) -> None:
    """Refuse deep nesting by streaming parser events (the parser does not recurse)."""
    depth = 0
    start = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    end = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, start):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValidationError(f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, end):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            raise ValidationError("YAML aliases are not allowed")


def _check_tree(data: Any, text_len: int) -> None:
    """Walk the loaded document once, bounded, refusing shared nodes (aliases)."""
    seen: set[int] = set()
    chars = 0
    nodes = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise ValidationError(f"more than {MAX_NODES} values")
        if isinstance(value, (dict, list)):
            if id(value) in seen:
                raise ValidationError("YAML aliases are not allowed")
            seen.add(id(value))
            if depth > MAX_DEPTH:
                raise ValidationError(f"nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                stack.append((key, depth + 1))
                stack.append((item, depth + 1))
        elif isinstance(value, str):
            chars += len(value)
            # Text can only shrink on loading; growth means a scalar was aliased.
            if chars > text_len:
                raise ValidationError("YAML aliases are not allowed")


def load_text(data: bytes, path: str) -> Issue:
    """Parse the bytes of an issue file; every error names ``path``."""
    if len(data) > MAX_FILE_BYTES:
        raise IssueFileError(path, f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IssueFileError(path, f"not valid UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        if len(text) > _SMALL_TEXT:
            _check_nesting(text)
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader subclass
        _check_tree(document, len(text))
        if document is None:
            raise ValidationError("file is empty")
        return issue_from_dict(document)
    except yaml.YAMLError as exc:
        raise IssueFileError(path, _yaml_problem(exc)) from None
    except ValidationError as exc:
        raise IssueFileError(path, str(exc)) from None
    except RecursionError:
        raise IssueFileError(path, f"nested deeper than {MAX_DEPTH} levels") from None


def read_bytes(path: str, display: str | None = None) -> tuple[bytes, os.stat_result]:
    """Read a regular file with the size cap applied before reading.

    Returns the bytes and the ``fstat`` of the very descriptor they came from,
    so the index records stat data that matches the content it parsed.
    Symbolic links are refused: a link to ``/etc/passwd`` is no issue.
    """
    shown = display or path
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if os.path.islink(path):
            raise IssueFileError(shown, "is a symbolic link, not an issue file") from None
        raise IssueFileError(shown, exc.strerror or "cannot be read") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IssueFileError(shown, "is not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise IssueFileError(shown, f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
        chunks = []
        remaining = MAX_FILE_BYTES + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def read_issue(path: str, display: str | None = None) -> Issue:
    data, _ = read_bytes(path, display)
    return load_text(data, display or path)


class _Dumper(yaml.SafeDumper):
    """PyYAML's pure emitter: its style choices are the canonical ones."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_issue(issue: Issue) -> str:
    """The canonical text of an issue."""
    return dump_mapping(issue.to_dict())


def dump_mapping(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 30,  # never fold a long title across lines
    )
