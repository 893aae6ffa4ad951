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
from types import ModuleType
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
from git_issues.fileformat.limits import (  # noqa: F401 - the limits, named here too
    MAX_DEPTH,
    MAX_NODES,
    few_marks,
    value_problem,
)
from git_issues.fileformat.plainyaml import parse as plain_document

# The lines git leaves in a file whose merge conflicted (``|||||||`` with diff3).
CONFLICT_RE = re.compile(rb"^(?:<{7}(?: .*)?|\|{7}(?: .*)?|={7}|>{7}(?: .*)?)\r?$", re.M)


def _pyyaml() -> ModuleType:
    """The PyYAML codec, imported on first need: a canonical file is read by
    ``plainyaml`` and written by ``fastyaml``, and PyYAML costs ~12 ms a start."""
    from git_issues.fileformat import yamlcodec  # lazy: startup

    return yamlcodec


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
    return _pyyaml().load_checked(text, path)


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
    from git_issues.fileformat.fastyaml import dump  # lazy: startup (writes only: ~2 ms of regexes)

    text = dump(data)
    if text is None:
        text = _pyyaml().dump_mapping(data)
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
        try:
            _pyyaml().check_nesting(text)
        except ValidationError as exc:
            raise GitIssuesError(f"{shown} would hold {exc}, over the reader's limit; "
                                 "nothing was written") from None



def _kib(size: int) -> str:
    return f"{-(-size // 1024):,}"
