"""The limits every parse of an untrusted YAML text obeys, and the bounded walk that
checks a loaded document against them.

Shared by the reader's door (``issuefile``) and the PyYAML codec (``yamlcodec``),
which both need them: kept here, below both, so that neither imports the other
at its top.
"""

from __future__ import annotations

from typing import Any

from git_issues.core.model import ValidationError

MAX_DEPTH = 32  # canonical files nest 4 deep; hand-made extras get room, bombs do not.
MAX_NODES = 100_000
# Every nesting level and every value after the first needs one of these
# characters, so a text with few of them can neither nest deeply enough to
# overflow the C composer's stack (~300 bytes a level: 4,000 levels, which
# 8 KiB of '[' holds, crash a 1 MiB thread stack) nor hold many values.  Such
# a text goes straight to the loader; any other has its events checked first.
_MARKS = "[{-:?,"
_FEW_MARKS = 256


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


def value_problem(exc: Exception) -> str:
    """PyYAML and the model build dates and integers with Python's own checks:
    2026-02-30, year 0 after a time zone shift, a 5,000-digit number."""
    reason = str(exc).split(";")[0]  # not Python's hint about its own settings
    return f"a value cannot be read: {reason}"
