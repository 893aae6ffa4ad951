"""The canonical issue text, written fast for the documents an import makes.

PyYAML's emitter is pure Python and general: it costs ~4 ms for an issue with
three comments, which at 100,000 issues is most of an import.  Imported issues
are plain: text, integers, lists of text, small mappings, comments.  For
exactly those this module writes the same bytes as ``fileformat.dump_issue``
directly; for anything else (a string YAML would quote with escapes, a
literal block needing an indentation or keep indicator, a float, a nested
unknown key...) it returns None and the caller uses ``dump_issue``.

That the bytes are the same is not assumed: tests/test_import_fastyaml.py
compares both writers on generated issues, and falls back is always allowed.
"""

from __future__ import annotations

import re
from typing import Any

from git_issues.core.rules import CANONICAL_TIME_RE
from git_issues.fileformat.plainyaml import NOT_TEXT, reads_as_text

# Characters PyYAML writes as they are (allow_unicode), without the other line breaks.
# Used through re's own cache, after str.isprintable (a subset) said no: compiling
# these ranges costs ~3 ms, which every write would otherwise pay.
_PRINTABLE = ("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
              "\U00010000-\U0010fffe]*")
_LITERAL_LINE = ("[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                 "\U00010000-\U0010fffe]*")


class _Fallback(Exception):
    """Not a document this writer handles exactly like PyYAML."""


_EASY_PLAIN = re.compile(r"[A-Za-z0-9_(/][A-Za-z0-9 _.,/()+=~<>@-]*")
# What makes PyYAML's ``analyze_scalar`` refuse the block plain style to a one-line,
# printable, tab-free text (the only whitespace there is then the space): a document
# marker, an indicator first, ': ' or a final ':', ' #', or a space at either end.
# tests/test_import_fastyaml.py holds this to ``analyze_scalar`` itself.
_NOT_PLAIN = re.compile(r"^(?:---|\.\.\.|[#,\[\]{}&*!|>'\"%@`]|[?:-](?: |$))|: |:$| #|^ | $")
# A timestamp as the file format writes it: PyYAML's resolver reads it as a time,
# so the text is single-quoted.
_TIMESTAMP = CANONICAL_TIME_RE
_MAX_SIMPLE_KEY = 100  # PyYAML writes longer keys in the '? key' form
# Keys, authors, labels, statuses and repositories repeat in every issue: their
# written form is memoised (a pure function of the text; bounded, short texts only).
_MEMO_SIZE = 4096
_MEMO_TEXT = 100
_memo: dict[str, str] = {}


def _scalar(value: Any) -> str:
    """One scalar as PyYAML writes it: plain, or single-quoted; anything else falls back."""
    if type(value) is int:
        return str(value)
    if type(value) is not str:
        raise _Fallback
    shown = _memo.get(value)
    if shown is None:
        shown = _text_scalar(value)
        if len(value) <= _MEMO_TEXT and len(_memo) < _MEMO_SIZE:
            _memo[value] = shown
    return shown


def _text_scalar(value: str) -> str:
    if not value or "\n" in value:
        raise _Fallback
    if _TIMESTAMP.fullmatch(value):
        return f"'{value}'"
    if _EASY_PLAIN.fullmatch(value) and value[-1] != " ":
        plain = True
    else:
        if not (value.isprintable() or re.fullmatch(_PRINTABLE, value)):
            raise _Fallback  # escapes: double quotes
        plain = _NOT_PLAIN.search(value) is None
    if plain:
        if _resolves_to_text(value):
            return value
        if not value[0].isalpha() and value[0] not in _RESOLVED_EXACTLY:
            raise _Fallback  # a number, a date...?  PyYAML's resolver decides
    return "'" + value.replace("'", "''") + "'"


# PyYAML's implicit resolvers (yaml/resolver.py) are chosen by a plain text's first
# character; a text starting with any other is read as text.  Letters and '<=~!&*'
# start only whole words (booleans, null, '<<', '=', and '!', '&', '*' alone); the
# rest (digits, signs, '.') start numbers and dates, which the plain reader knows
# in part.  tests/test_import_fastyaml.py checks this table against PyYAML's.
_RESOLVED_FIRST = frozenset("yYnNtTfFoO-+0123456789.<~=!&*")
_RESOLVED_EXACTLY = frozenset("<=~!&*")
_EXACT_WORDS = frozenset(("<<", "=", "~", "!", "&", "*"))


def _resolves_to_text(value: str) -> bool:
    """Whether PyYAML reads ``value``, written plain, as this text (False: not, or unsure).

    tests/test_import_fastyaml.py holds this to PyYAML's own resolver."""
    first = value[0]
    if first not in _RESOLVED_FIRST:
        return True
    if first.isalpha():
        return value not in NOT_TEXT
    if first in _RESOLVED_EXACTLY:
        return value not in _EXACT_WORDS
    return reads_as_text(value)
    return "'" + value.replace("'", "''") + "'"


def _literal(text: str, indent: str) -> str:
    if not text.endswith("\n"):
        hint = "-"
        body = text
    elif text.endswith("\n\n") or len(text) == 1:
        raise _Fallback  # '+' chomping: PyYAML also marks the stream open-ended
    else:
        hint = ""
        body = text[:-1]
    if text[0] in " \t\n":
        raise _Fallback  # needs an indentation indicator
    lines = body.split("\n")
    for line in lines:
        if not (line.replace("\t", " ").isprintable() or re.fullmatch(_LITERAL_LINE, line)):
            raise _Fallback
    out = ["|", hint, "\n"]
    for line in lines:
        out.append(f"{indent}{line}\n" if line else "\n")
    return "".join(out)


def _mapping(data: dict[str, Any], indent: str, out: list[str], first: str | None = None) -> None:
    """``key: value`` lines at ``indent`` (the first after ``first``, a list's ``- ``),
    with whatever block each value needs.  One function, exact type tests, the
    memo looked up inline: it runs for every key of 100,000 issues."""
    if not data:
        raise _Fallback
    memo = _memo
    prefix = indent if first is None else first
    inner = indent + "  "
    for key, value in data.items():
        if memo.get(key) != key and (type(key) is not str or len(key) > _MAX_SIMPLE_KEY
                                     or _scalar(key) != key):
            raise _Fallback
        kind = type(value)
        if kind is str:
            if "\n" in value:
                out.append(f"{prefix}{key}: {_literal(value, inner)}")
            else:
                out.append(f"{prefix}{key}: {memo.get(value) or _scalar(value)}\n")
        elif kind is int:
            out.append(f"{prefix}{key}: {value}\n")
        elif kind is list:
            if not value:
                raise _Fallback
            out.append(f"{prefix}{key}:\n")
            for item in value:
                if type(item) is dict:
                    _mapping(item, inner, out, first=f"{indent}- ")
                else:
                    out.append(f"{indent}- {_scalar(item)}\n")
        elif kind is dict:
            out.append(f"{prefix}{key}:\n")
            _mapping(value, inner, out)
        else:
            raise _Fallback  # None, a float, a date...: PyYAML's own choices
        prefix = indent


def dump(data: dict[str, Any]) -> str | None:
    """The canonical text of ``data`` (an ``Issue.to_dict()``), or None: use dump_issue."""
    out: list[str] = []
    try:
        _mapping(data, "", out)
    except _Fallback:
        return None
    return "".join(out)
