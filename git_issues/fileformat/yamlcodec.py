"""Everything that needs PyYAML: the guarded loader and the canonical writer.

Imported only where PyYAML is really needed: a file the plain reader
(``plainyaml``) leaves to PyYAML, and every write.  ``fileformat`` is the door
to both, so no other module need know which one read a file.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from git_issues.core.model import ValidationError
from git_issues.errors import IssueFileError
from git_issues.fileformat.limits import (
    MAX_DEPTH,
    MAX_NODES,
    check_tree,
    few_marks,
    value_problem,
)

try:
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml: slower, equally safe
    _BaseLoader = yaml.SafeLoader  # type: ignore[misc]


class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing duplicate keys so that no value is silently dropped."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if not isinstance(node, yaml.MappingNode):  # '!!map x': PyYAML says what is wrong
            return super().construct_mapping(node, deep=deep)
        # Fast path (every mapping of every file goes through here): distinct
        # plain keys and no '<<' need no closer look.
        try:
            keys = {key_node.value for key_node, _ in node.value}
        except TypeError:  # a collection as a key
            keys = None
        if keys is None or len(keys) != len(node.value) or "<<" in keys:
            self._refuse_duplicates_and_merges(node)
        return super().construct_mapping(node, deep=deep)

    def _refuse_duplicates_and_merges(self, node: yaml.MappingNode) -> None:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = getattr(key_node, "value", None)
            # A plain '<<' is a merge key; a quoted '<<' is an ordinary key (tag str).
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys ('<<') are not allowed", key_node.start_mark
                )
            if isinstance(key, str):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)


_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
# Scalars whose constructor returns a plain value: everything else (binary,
# merge keys, a collection tag on a scalar) takes the standard path.
_PLAIN_SCALARS = frozenset(_TAG + t for t in ("int", "float", "bool", "null", "timestamp"))


class _SlowPath(Exception):
    """The fast constructor met something it does not handle exactly like PyYAML."""


class FastLoader(Loader):
    """The same loader, building plain maps, lists and scalars without PyYAML's
    per-node bookkeeping, which is most of the time a C-parsed file takes.

    Only for texts without an anchor ('&'): with none, no node is shared, so
    building each node once per appearance is exactly what PyYAML does.  At the
    first node it does not handle the same way, the standard constructor builds
    the whole document instead (and raises what it raises).
    """

    def construct_document(self, node: yaml.Node) -> Any:
        try:
            return self._build(node)
        except _SlowPath:
            return super().construct_document(node)

    def _build(self, node: yaml.Node) -> Any:
        tag, kind = node.tag, type(node)
        if kind is yaml.ScalarNode:
            if tag == _STR:
                return node.value
            if tag in _PLAIN_SCALARS:
                return self.yaml_constructors[tag](self, node)
        elif kind is yaml.MappingNode and tag == _MAP:
            pairs = node.value
            # As construct_mapping: duplicate key texts and '<<' go to the checks there.
            if len({key.value for key, _ in pairs if type(key) is yaml.ScalarNode}) != len(pairs):
                raise _SlowPath
            build = self._build
            mapping = {build(key): build(value) for key, value in pairs}
            if len(mapping) != len(pairs) or "<<" in mapping:
                raise _SlowPath
            return mapping
        elif kind is yaml.SequenceNode and tag == _SEQ:
            build = self._build
            return [build(item) for item in node.value]
        raise _SlowPath



def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line out of PyYAML's multi-line messages."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    if "maximum nesting depth" in str(problem):
        # Newer libyaml stops deep nesting itself, sometimes before our own
        # check sees it: one wording whatever the PyYAML version.
        return f"nested deeper than {MAX_DEPTH} levels"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"invalid YAML{where}: {' '.join(str(problem).split())}"



def check_nesting(text: str) -> None:
    """Refuse deep nesting and too many values by streaming parser events.

    The parser keeps its state on the heap (it does not recurse) and yields one
    event at a time, so this costs neither stack nor memory; the composer,
    which would recurse and build every node, only runs on what passes.
    """
    depth = 0
    nodes = 0
    start = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    end = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, (yaml.ScalarEvent, *start)):
            nodes += 1
            if nodes > MAX_NODES:
                raise ValidationError(f"more than {MAX_NODES} values")
        if isinstance(event, start):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValidationError(f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, end):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            raise ValidationError("YAML aliases are not allowed")




def load_checked(text: str, path: str) -> Any:
    """PyYAML's safe loader with every limit applied; every error names ``path``."""
    try:
        if not few_marks(text):
            check_nesting(text)
        may_alias = "&" in text
        loader = Loader if may_alias else FastLoader
        document = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader subclass
        check_tree(document, len(text), may_alias=may_alias)
        return document
    except yaml.YAMLError as exc:
        raise IssueFileError(path, _yaml_problem(exc)) from None
    except ValidationError as exc:
        raise IssueFileError(path, str(exc)) from None
    except RecursionError:
        raise IssueFileError(path, f"nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, OverflowError) as exc:
        raise IssueFileError(path, value_problem(exc)) from None


# Line breaks YAML knows besides '\n': written raw, a quoted scalar folds them
# into spaces and a literal block turns them into '\n'.  Only the double-quoted
# escapes (\N, \L, \P) carry them through a round trip.
_OTHER_BREAKS = frozenset("\x85\u2028\u2029")
# What a literal block can hold as it is: the characters PyYAML writes unescaped,
# plus tabs.  Anything else (control characters, BOM) needs double-quoted escapes.
# Compiled on first use: only writing needs it, and compiling these ranges costs
# ~3 ms, which every read of a changed file would otherwise pay.
_LITERAL_TEXT_PATTERN = (
    "[\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe]*"
)


class Dumper(yaml.SafeDumper):
    """PyYAML's pure emitter: its style choices are the canonical ones, with two repairs."""

    def analyze_scalar(self, scalar: str) -> Any:
        """Literal blocks for tabs and trailing spaces; escapes for the other line breaks.

        PyYAML refuses a literal block for text with a tab or a space before a
        line break, so a body with a code snippet or a Markdown hard break would
        become one long double-quoted line: unreadable in review, and in conflict
        on any edit.  A literal block keeps both exactly.
        """
        analysis = super().analyze_scalar(scalar)
        if _OTHER_BREAKS.intersection(scalar):
            analysis.allow_flow_plain = analysis.allow_block_plain = False
            analysis.allow_single_quoted = analysis.allow_block = False
        elif "\n" in scalar and re.fullmatch(_LITERAL_TEXT_PATTERN, scalar):
            analysis.allow_block = True
        return analysis

    def determine_block_hints(self, text: str) -> str:
        """A literal whose first line starts with a tab needs an explicit indentation
        (``|2``): a reader guessing it from that line finds a tab where it wants spaces."""
        hints = super().determine_block_hints(text)
        if text[:1] == "\t":
            hints = str(self.best_indent) + hints
        return hints


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


Dumper.add_representer(str, _represent_str)


def dump_mapping(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 30,  # never fold a long title across lines
    )
