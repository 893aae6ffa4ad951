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

from yaml import ScalarNode
from yaml.emitter import Emitter

from git_issues.yamlcodec import Dumper

_STR_TAG = "tag:yaml.org,2002:str"
# Characters PyYAML writes as they are (allow_unicode), without the other line breaks.
_PRINTABLE = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                        "\U00010000-\U0010fffe]*")
_LITERAL_LINE = re.compile("[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                           "\U00010000-\U0010fffe]*")


class _Fallback(Exception):
    """Not a document this writer handles exactly like PyYAML."""


_EASY_PLAIN = re.compile(r"[A-Za-z0-9_(/][A-Za-z0-9 _.,/()+=~<>@-]*")
_MAX_SIMPLE_KEY = 100  # PyYAML writes longer keys in the '? key' form


class _Analyzer:
    """What ``Emitter.analyze_scalar`` reads of its emitter."""

    allow_unicode = True


def _scalar(value: Any) -> str:
    """One scalar as PyYAML writes it: plain, or single-quoted; anything else falls back."""
    if type(value) is int:
        return str(value)
    if type(value) is not str or not value or "\n" in value:
        raise _Fallback
    if _EASY_PLAIN.fullmatch(value) and value[-1] != " ":
        plain = True
    else:
        if not _PRINTABLE.fullmatch(value):
            raise _Fallback  # escapes: double quotes
        analysis = Emitter.analyze_scalar(_Analyzer, value)  # type: ignore[arg-type]
        if not analysis.allow_single_quoted:
            raise _Fallback
        plain = analysis.allow_block_plain
    if plain and Dumper.resolve(Dumper, ScalarNode, value, (True, False)) == _STR_TAG:
        return value
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
        if not _LITERAL_LINE.fullmatch(line):
            raise _Fallback
    out = ["|", hint, "\n"]
    for line in lines:
        out.append(f"{indent}{line}\n" if line else "\n")
    return "".join(out)


def _value(key: str, value: Any, indent: str, out: list[str]) -> None:
    """``key: value`` at ``indent``, with whatever block the value needs."""
    if isinstance(value, str) and "\n" in value:
        out.append(f"{indent}{key}: {_literal(value, indent + '  ')}")
    elif isinstance(value, list):
        if not value:
            raise _Fallback
        out.append(f"{indent}{key}:\n")
        for item in value:
            if isinstance(item, dict):
                _mapping(item, indent + "  ", out, first=f"{indent}- ")
            else:
                out.append(f"{indent}- {_scalar(item)}\n")
    elif isinstance(value, dict):
        if not value:
            raise _Fallback
        out.append(f"{indent}{key}:\n")
        _mapping(value, indent + "  ", out)
    else:
        out.append(f"{indent}{key}: {_scalar(value)}\n")


def _mapping(data: dict[str, Any], indent: str, out: list[str], first: str | None = None) -> None:
    if not data:
        raise _Fallback
    for position, (key, value) in enumerate(data.items()):
        if type(key) is not str or len(key) > _MAX_SIMPLE_KEY or _scalar(key) != key:
            raise _Fallback
        if position == 0 and first is not None:
            start = len(out)
            _value(key, value, indent, out)
            out[start] = first + out[start][len(indent):]
        else:
            _value(key, value, indent, out)


def dump(data: dict[str, Any]) -> str | None:
    """The canonical text of ``data`` (an ``Issue.to_dict()``), or None: use dump_issue."""
    out: list[str] = []
    try:
        _mapping(data, "", out)
    except _Fallback:
        return None
    return "".join(out)
