"""Reading the canonical issue text without PyYAML.

Every read of a changed file used to import PyYAML first (~12 ms, half of it
one regular expression that ``yaml.reader`` compiles), which was most of what
``ls`` paid after a hand edit or a checkout.  The files this tool writes use a
small, fixed part of YAML: block mappings and block sequences, one-line plain
and single-quoted text, decimal integers and literal blocks (``|``, ``|-``).
``parse`` reads exactly that part and returns None for anything else (a
comment, a double-quoted or multi-line scalar, a flow collection, a tab
outside a literal block, a plain scalar YAML would read as a number, a date, a
boolean or null, a duplicate key, deep nesting...); the caller then uses
PyYAML with all its checks, and its error messages.

That it returns what PyYAML returns whenever it returns anything is not
assumed: tests/test_plainyaml.py compares the two on the writer's output and on
thousands of mutated texts.
"""

from __future__ import annotations

import re
from typing import Any

# Keys are identifiers; a few of those are not text to YAML 1.1 (``on: x`` is True).
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?")
_INT = re.compile(r"0|-?[1-9][0-9]{0,17}")
# Ids: digits and letters, a letter among them, not 0x.../0b... (hex and binary to YAML 1.1).
_WORD_WITH_DIGITS = re.compile(r"(?!0[xb])[0-9]+[a-z][0-9a-z]*")
NOT_TEXT = frozenset(
    "yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF "
    "null Null NULL".split())
MAX_DEPTH = 8  # canonical files nest 4 deep; deeper goes to PyYAML's own checks
MAX_LINES = 50_000  # fewer values than the reader's limit, whatever the lines hold


class _NotPlain(Exception):
    """Outside the part of YAML this module reads: PyYAML decides."""


def parse(text: str) -> dict[str, Any] | None:
    """The document a canonical text holds, or None when PyYAML must read it."""
    if not text.endswith("\n") or "\r" in text:
        return None
    lines = text.split("\n")
    lines.pop()
    if not lines or len(lines) > MAX_LINES:
        return None
    reader = _Reader(lines)
    try:
        document = reader.mapping(0, 0)
    except (_NotPlain, IndexError):  # IndexError: a shape missed above; PyYAML decides
        return None
    return document if reader.pos == len(lines) else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _scalar(text: str) -> Any:
    """A one-line scalar: decimal integer, single-quoted or unmistakable plain text."""
    if not text or not text.isprintable() or text[0] == " " or text[-1] == " ":
        raise _NotPlain
    if text[0] == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            raise _NotPlain
        return inner.replace("''", "'")
    if _INT.fullmatch(text):
        return int(text)
    # Plain text: starts with a letter (so no number, date or indicator), holds
    # no ': ', final ':' or '#' (no mapping, no comment; a URL's ':' is text),
    # and is not a YAML 1.1 boolean or null.
    if _WORD_WITH_DIGITS.fullmatch(text):
        return text
    if not (text[0].isalpha() or text[0] == "_") or ": " in text or text[-1] == ":" \
            or "#" in text \
            or text in NOT_TEXT:
        raise _NotPlain
    return text


def reads_as_text(value: str) -> bool:
    """Whether ``value``, written plain, surely reads back as this very text
    (False also when only PyYAML's resolver could tell)."""
    try:
        return _scalar(value) == value
    except _NotPlain:
        return False


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pos = 0

    def mapping(self, indent: int, depth: int, first: str | None = None) -> dict[str, Any]:
        """Keys at ``indent``; ``first`` is a sequence item's first ``key: value``."""
        if depth > MAX_DEPTH:
            raise _NotPlain
        result: dict[str, Any] = {}
        while True:
            if first is not None:
                body, first = first, None
            else:
                if self.pos == len(self.lines):
                    break
                line = self.lines[self.pos]
                found = _indent(line)
                if found == len(line):  # a blank line between keys: not the writer's
                    raise _NotPlain
                if found < indent:
                    break
                if found != indent or line[indent] == "-":
                    raise _NotPlain
                body = line[indent:]
                self.pos += 1
            match = _KEY.fullmatch(body)
            if match is None:
                raise _NotPlain
            key, rest = match.groups()
            if key in result or key in NOT_TEXT:
                raise _NotPlain
            result[key] = self.value(rest, indent, depth)
        return result

    def value(self, rest: str | None, indent: int, depth: int) -> Any:
        if rest is None:
            return self.collection(indent, depth + 1)
        if rest in ("|", "|-"):
            return self.literal(indent + 2, keep_last_break=rest == "|")
        return _scalar(rest)

    def collection(self, indent: int, depth: int) -> Any:
        """What follows ``key:``: a sequence at the key's own indent, or a mapping
        two spaces in (as PyYAML writes them); anything else (null...) is not ours."""
        if self.pos == len(self.lines):
            raise _NotPlain
        line = self.lines[self.pos]
        found = _indent(line)
        if found == len(line):
            raise _NotPlain
        if found == indent and line[indent:indent + 2] == "- ":
            return self.sequence(indent, depth)
        if found == indent + 2 and line[found] != "-":
            return self.mapping(indent + 2, depth)
        raise _NotPlain

    def sequence(self, indent: int, depth: int) -> list[Any]:
        if depth > MAX_DEPTH:
            raise _NotPlain
        items: list[Any] = []
        prefix = " " * indent + "- "
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if not line.startswith(prefix):
                if _indent(line) > indent or not line.strip(" "):
                    raise _NotPlain
                break  # the next key of the mapping around, or less indented
            item = line[len(prefix):]
            self.pos += 1
            if _KEY.fullmatch(item):
                items.append(self.mapping(indent + 2, depth + 1, first=item))
            else:
                items.append(_scalar(item))
        return items

    def literal(self, indent: int, keep_last_break: bool) -> str:
        """A literal block whose lines start ``indent`` spaces in; ``|`` keeps one final
        line break, ``|-`` none (``|+`` and indentation indicators are not ours)."""
        lines, pad = self.lines, " " * indent
        if self.pos == len(lines) or not lines[self.pos].startswith(pad) \
                or lines[self.pos][indent:indent + 1] in ("", " ", "\t"):
            raise _NotPlain  # empty, or first line indented further: an indicator's job
        content: list[str] = []
        while self.pos < len(lines):
            line = lines[self.pos]
            if line.startswith(pad):
                text = line[indent:]
                if not text.strip(" ") or not text.replace("\t", " ").isprintable():
                    raise _NotPlain  # spaces-only lines: YAML's rules there are subtle
                content.append(text)
            elif line:
                if _indent(line) >= indent or not line.strip(" "):
                    raise _NotPlain
                break
            else:
                content.append("")
            self.pos += 1
        while content and content[-1] == "":  # trailing empty lines: chomped
            content.pop()
        text = "\n".join(content)
        return text + "\n" if keep_last_break else text
