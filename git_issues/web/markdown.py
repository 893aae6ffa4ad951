"""Markdown to safe HTML, as GitHub renders it: GFM tables, task lists,
strikethrough and bare URLs, with links between issues and to commits.

markdown-it-py escapes any HTML in the text when ``html`` is False, and its
``validateLink`` drops ``javascript:``, ``vbscript:``, ``file:`` and
non-image ``data:`` URLs, so a hostile issue body cannot run script; the
links added here (``web.references``) are built from ids and hashes that were
found in the repository, never from the text's own URLs. A parser is made per
thread (``threading.local``): building one costs more than rendering a short
comment, and a parser shared by the server's threads would be shared state.
"""

from __future__ import annotations

import re
import threading

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.tasklists import tasklists_plugin

from git_issues.web.references import WORD, References

_parsers = threading.local()
_CHECKBOX = re.compile(r'^<input class="task-list-item-checkbox"')


def _parser(tasks: bool) -> MarkdownIt:
    """This thread's parser: with clickable task boxes (a body) or read-only ones."""
    key = "tasks" if tasks else "plain"
    md = getattr(_parsers, key, None)
    if md is None:
        md = MarkdownIt("gfm-like", {"html": False, "typographer": False})
        md.use(tasklists_plugin, enabled=tasks)
        setattr(_parsers, key, md)
    return md


def render(text: str, refs: References | None = None, *, tasks: bool = False) -> Markup:
    """``text`` as HTML. ``refs``: the page's words that point somewhere; ``tasks``: the
    boxes of a task list can be ticked (each carries its number, ``data-task``)."""
    md = _parser(tasks)
    tokens = md.parse(text or "")
    if refs is not None:
        _link_words(tokens, refs)
    if tasks:
        _number_boxes(tokens)
    return Markup(md.renderer.render(tokens, md.options, {}))


def task_lines(text: str) -> list[int]:
    """The line (0-based) of each task box in ``text``, in order: what the n-th box
    of the page is, so a tick changes that line and no ``[ ]`` inside code."""
    lines = []
    for token in _parser(True).parse(text or ""):
        if token.type == "inline" and token.children and token.map \
                and token.children[0].type == "html_inline" \
                and _CHECKBOX.match(token.children[0].content):
            lines.append(token.map[0])
    return lines


def _number_boxes(tokens: list[Token]) -> None:
    number = 0
    for token in tokens:
        for child in token.children or ():
            if child.type == "html_inline" and _CHECKBOX.match(child.content):
                child.content = child.content.replace(
                    "<input ", f'<input data-task="{number}" aria-label="task {number + 1}" ', 1)
                number += 1


def _link_words(tokens: list[Token], refs: References) -> None:
    """Each text word that ``refs`` found becomes a link (never inside a link or code)."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        depth = 0
        for child in token.children:
            depth += {"link_open": 1, "link_close": -1}.get(child.type, 0)
            if child.type == "text" and depth == 0:
                children.extend(_split(child, refs))
            else:
                children.append(child)
        token.children = children


def _split(token: Token, refs: References) -> list[Token]:
    """A text token cut around its words that point somewhere."""
    out: list[Token] = []
    text, at = token.content, 0
    for match in WORD.finditer(text):
        target = refs.get(match.group(1))
        if target is None:
            continue
        if match.start() > at:
            out.append(_text(text[at:match.start()]))
        if target.href is None:  # a known commit of a host without pages: its subject only
            close = Token("abbr_close", "abbr", -1)
            out += [_abbr_open(target.title), _text(match.group(1)), close]
        else:
            link = Token("link_open", "a", 1)
            link.attrs = {"href": target.href, "title": target.title, "class": "ref"}
            out += [link, _text(match.group(1)), Token("link_close", "a", -1)]
        at = match.end()
    if at == 0:
        return [token]
    if at < len(text):
        out.append(_text(text[at:]))
    return out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _abbr_open(title: str) -> Token:
    token = Token("abbr_open", "abbr", 1)
    token.attrs = {"title": title}
    return token
