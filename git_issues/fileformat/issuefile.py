"""Reading issue files safely and writing them canonically.

Issue files arrive in pull requests from strangers, so the reader trusts
nothing: a size cap before reading, strict UTF-8, then either the plain reader
(``plainyaml``: the canonical form only, no PyYAML import) or PyYAML's safe
loader (``yamlcodec``) with duplicate keys refused, a nesting check before the
C parser sees a large file (its composer recurses in C and a deep enough
document crashes the process), and a bounded walk afterwards that refuses
aliases (the "billion laughs" bomb is small until something walks it).

The writer produces the one canonical text for an issue: fixed key order,
block style, multi-line text as literal blocks, and quotes exactly where YAML
would otherwise read a string as something else.  Loading a canonical file
and writing it back gives the same bytes, so an edit to one field changes only
that field's lines.
"""

from __future__ import annotations

import re
from typing import Any

from git_issues.core.model import Issue, ValidationError, issue_from_dict
from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.fileformat.guarded import (  # noqa: F401 - the reader's public names, kept here
    MAX_FILE_BYTES,
    MAX_IMPORT_BYTES,
    open_named_file,
    read_bytes,
    read_named_file,
)
from git_issues.fileformat.plainyaml import parse as plain_document

MAX_DEPTH = 32  # canonical files nest 4 deep; hand-made extras get room, bombs do not.
MAX_NODES = 100_000
# Every nesting level and every value after the first needs one of these
# characters, so a text with few of them can neither nest deeply enough to
# overflow the C composer's stack (~300 bytes a level: 4,000 levels, which
# 8 KiB of '[' holds, crash a 1 MiB thread stack) nor hold many values.  Such
# a text goes straight to the loader; any other has its events checked first.
_MARKS = "[{-:?,"
_FEW_MARKS = 256

# The lines git leaves in a file whose merge conflicted (``|||||||`` with diff3).
CONFLICT_RE = re.compile(rb"^(?:<{7}(?: .*)?|\|{7}(?: .*)?|={7}|>{7}(?: .*)?)\r?$", re.M)

def few_marks(text: str) -> bool:
    """True when the text cannot nest deeper or hold more values than is harmless."""
    total = 0
    for mark in _MARKS:
        total += text.count(mark)
        if total > _FEW_MARKS:
            return False
    return True



def check_tree(data: Any, text_len: int, may_alias: bool = True) -> None:
    """Walk the loaded document once, bounded, refusing shared nodes (aliases).

    Without an '&' in the text there is no anchor, so no alias: then only the
    collections need a visit (depth, keys), which is what almost every file is.
    The number of values was bounded before loading (``few_marks`` or the
    event check), so it needs no count here.
    """
    if not may_alias:
        _check_collections(data)
        return
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
            if isinstance(value, dict):
                _check_keys(value)
                for key, item in value.items():
                    stack.append((key, depth + 1))
                    stack.append((item, depth + 1))
            else:  # a list's positions are no values: count as the event check does
                stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            chars += len(value)
            # Text can only shrink on loading; growth means a scalar was aliased.
            if chars > text_len:
                raise ValidationError("YAML aliases are not allowed")


def _check_collections(data: Any) -> None:
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValidationError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            _check_keys(value)
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    stack.append((item, depth + 1))
                if isinstance(key, (dict, list)):
                    stack.append((key, depth + 1))
        else:
            stack.extend((item, depth + 1) for item in value if isinstance(item, (dict, list)))


def _check_keys(mapping: dict) -> None:
    """Keys must be what JSON can hold (the index and ``--json`` carry unknown keys)."""
    for key in mapping:
        if not isinstance(key, (str, int, float, type(None))):
            raise ValidationError(f"the key {str(key)!r} is not text; quote it")


def load_document(data: bytes, path: str) -> Any:
    """Parse untrusted YAML bytes with every limit applied; every error names ``path``.

    Shared by issue files and ``.issues/config.yml``: both arrive in pull requests.
    The canonical form is read without PyYAML (``plainyaml``); anything else,
    and every malformed text, goes through PyYAML's guarded loader.
    """
    if len(data) > MAX_FILE_BYTES:
        raise IssueFileError(path, f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
    if b"<<<<<<<" in data and CONFLICT_RE.search(data):
        raise IssueFileError(path, "unresolved merge conflict: run 'git issues resolve', "
                                   "or keep one side of each conflicting field and git add it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IssueFileError(path, f"not valid UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    document = plain_document(text)
    if document is not None:
        return document
    from git_issues.fileformat.yamlcodec import load_checked

    return load_checked(text, path)


def value_problem(exc: Exception) -> str:
    """PyYAML and the model build dates and integers with Python's own checks:
    2026-02-30, year 0 after a time zone shift, a 5,000-digit number."""
    reason = str(exc).split(";")[0]  # not Python's hint about its own settings
    return f"a value cannot be read: {reason}"


def load_text(data: bytes, path: str) -> Issue:
    """Parse the bytes of an issue file; every error names ``path``."""
    document = load_document(data, path)
    try:
        if document is None:
            raise ValidationError("file is empty")
        return issue_from_dict(document)
    except ValidationError as exc:
        raise IssueFileError(path, str(exc)) from None
    except (ValueError, OverflowError) as exc:
        raise IssueFileError(path, value_problem(exc)) from None


def dump_issue(issue: Issue) -> str:
    """The canonical text of an issue."""
    return dump_document(issue.to_dict())


def dump_document(data: dict[str, Any]) -> str:
    """The canonical text of an issue's fields: written directly when ``fastyaml`` can
    (the same bytes, without importing PyYAML: ~20 ms of every write), else by PyYAML."""
    from git_issues.fileformat.fastyaml import dump

    text = dump(data)
    if text is None:
        from git_issues.fileformat.yamlcodec import dump_mapping

        text = dump_mapping(data)
    return text


def check_writable(text: str, shown: str, size: int | None = None) -> None:
    """Refuse to write a file the reader would refuse: it would break ``ls``, ``show``,
    ``edit`` and the pre-commit hook until someone ``git rm``s it by hand.

    The writer's own output nests a few levels deep, so size and the number of
    values are the limits a write can reach (a long body, thousands of comments).
    """
    if size is None:  # ``size``: the text's length in UTF-8, when the caller has it
        size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise GitIssuesError(
            f"{shown} would be {_kib(size)} KiB, over the limit of {MAX_FILE_BYTES // 1024} KiB "
            "an issue file may hold; nothing was written")
    if not few_marks(text):
        from git_issues.fileformat.yamlcodec import check_nesting

        try:
            check_nesting(text)
        except ValidationError as exc:
            raise GitIssuesError(f"{shown} would hold {exc}, over the reader's limit; "
                                 "nothing was written") from None



def _kib(size: int) -> str:
    return f"{-(-size // 1024):,}"
