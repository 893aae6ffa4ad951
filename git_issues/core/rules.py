"""The small rules every room shares, light enough for the read path (no import beyond ``re``).

One home for each piece of knowledge that was once repeated: the default
statuses, the status word, the canonical timestamp, control characters and the
cleaning of typed text, how a priority is named, how a body is normalised, and
comma-separated lists.
"""

from __future__ import annotations

import re

# The statuses of a project without .issues/config.yml, and their states.
DEFAULT_STATUSES = {"open": "open", "closed": "closed"}
# A status is one lowercase word (``in-progress``, ``wont_fix``).
STATUS_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")

# The form the writer produces; such a text only needs its date checked.  [0-9],
# not \d: \d also matches other scripts' digits, which no timestamp parser reads.
# Whole seconds, or milliseconds (``now(millis=True)``); both are kept as written.
CANONICAL_TIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{3})?Z")

# Control characters other than tab and line ends: YAML refuses them raw, but a
# quoted "\e" escape gets them through, and ls/show print text to terminals.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# What a terminal makes of a pasted build log: colour and cursor sequences (CSI,
# ``ESC [ ... letter``), titles and links (OSC, ``ESC ] ... BEL`` or ``ESC \\``),
# and two-character escapes (``ESC (B``, ``ESC =``).  Compiled on first use
# (through ``re``'s cache): only text with a control character needs it.
_ESCAPE_PATTERN = (r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"
                   r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]")
# Every other C0 control shows as its Unicode picture (BEL as U+2407), DEL as U+2421;
# a C1 control, which has none (and is mostly mis-decoded Windows text), as U+FFFD.
_PICTURES = {code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\n\r"}
_PICTURES[0x7F] = 0x2421
_PICTURES.update((code, 0xFFFD) for code in range(0x80, 0xA0))


def clean_text(text: str) -> tuple[str, bool]:
    """Body or comment text as a file may hold it, and whether escape sequences went.

    A pasted build log is full of colour sequences; refusing it would lose the
    user's text, and writing it would make a file the reader refuses (a
    terminal must not be driven by whoever wrote an issue).  So terminal
    escape sequences are removed, and any other control character becomes
    visible (a bell shows as U+2407).
    """
    if text.isprintable() or not CONTROL_RE.search(text):
        return text, False
    stripped = re.sub(_ESCAPE_PATTERN, "", text)
    return stripped.translate(_PICTURES), stripped != text


def block_text(text: str) -> str:
    """Trailing blanks dropped; multi-line text ends in one newline, so that the writer
    gives it as a literal block (``|``) and a later edit changes only its own lines."""
    text = text.rstrip()
    return text + "\n" if "\n" in text else text


def priority_name(priority: int) -> str:
    """How a priority is shown: ``P0`` (critical) to ``P4`` (backlog)."""
    return f"P{priority}"


def split_commas(values: tuple[str, ...] | list[str]) -> list[str]:
    """``-l a,b`` is ``-l a -l b``, as in ``gh``; a value without a comma stays as it is."""
    out: list[str] = []
    for value in values:
        out.extend(part.strip() for part in value.split(",")) if "," in value \
            else out.append(value)
    return out
