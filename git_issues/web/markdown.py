"""Markdown to safe HTML: CommonMark with raw HTML off.

markdown-it-py escapes any HTML in the text when ``html`` is False, and its
``validateLink`` drops ``javascript:``, ``vbscript:``, ``file:`` and
non-image ``data:`` URLs, so a hostile issue body cannot run script. The
parser is built per call: it is cheap, and a module-level one would be
shared state in a threaded server.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup


def render(text: str) -> Markup:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    return Markup(md.render(text or ""))
