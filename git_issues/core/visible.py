"""Text as a screen may show it: controls and bidirectional characters escaped.

Shared by the terminal (``cli/output.py``) and the web view (``web/app.py``): a
title holding U+202E reads backwards wherever it is shown, and an escape
sequence acts on a terminal.
"""

from __future__ import annotations

import re

# Characters that would act on the terminal instead of being shown: C0 and C1 controls
# (an escape sequence can move the cursor or retitle the window), line and paragraph
# separators, and the bidirectional marks, embeddings, overrides and isolates that can
# make text read differently from what it holds (U+202E turns 'exe.txt' around).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_MULTILINE_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                               "\u2028-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return " " if code == 9 else f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` as a terminal may show it: a tab becomes a space and every other
    control or bidirectional character its escape (``\\x1b``, ``\\u202e``), so a
    title can neither break a row nor disguise itself.  ``multiline``: a body,
    whose newlines and tabs are kept."""
    if text.isprintable():  # every character above is unprintable: the common case, in C
        return text
    return (_MULTILINE_UNSAFE if multiline else _UNSAFE).sub(_escape, text)
