"""Minting ids and resolving the prefixes people type.

Ids are random, never sequential: two branches minting ids at once must not
collide.  The alphabet leaves out look-alikes (0/o, 1/l/i) so an id read aloud
or copied by hand survives.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable

from git_issues.errors import GitIssuesError, NoSuchIssue

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
LENGTH = 8
ID_RE = re.compile(r"[0-9a-z]{4,16}")  # a valid id, minted or hand-written
PREFIX_RE = re.compile(r"[0-9a-z]{1,16}")
_SHOWN_CANDIDATES = 10


def mint(exists: Callable[[str], bool], rng: random.Random | None = None) -> str:
    """A fresh id that ``exists`` does not know yet.

    By default the operating system's randomness, as ``secrets.choice`` uses,
    without the OpenSSL start-up that importing ``secrets`` (through hmac) costs
    every write.  ``rng``: a generator seeded from it once, for an import's
    400,000 ids (a system call per character would be most of their cost).
    """
    draw = (rng or random.SystemRandom()).choices
    for _ in range(100):
        candidate = "".join(draw(ALPHABET, k=LENGTH))
        if not exists(candidate):
            return candidate
    raise GitIssuesError("could not mint a free issue id after 100 tries")


def check_prefix(prefix: str) -> str:
    """Refuse anything that is not a plain id before a path is built from it."""
    prefix = prefix.strip().lower()
    if not PREFIX_RE.fullmatch(prefix):
        # repr: the argument may hold a newline or an escape; the error stays one line.
        raise GitIssuesError(f"{prefix!r} is not an issue id (expected 0-9 and a-z)")
    return prefix


def resolve(prefix: str, ids: Iterable[str]) -> str:
    """The one id that ``prefix`` names, like git resolves an abbreviated hash."""
    prefix = check_prefix(prefix)
    matches = sorted(i for i in ids if i.startswith(prefix))
    if prefix in matches:
        return prefix
    if not matches:
        raise NoSuchIssue(f"no issue matches '{prefix}'")
    if len(matches) > 1:
        raise AmbiguousIdError(prefix, matches)
    return matches[0]


class AmbiguousIdError(GitIssuesError):
    """A prefix that begins several ids; ``candidates``: the first ten of them, which
    the command line lists with their titles."""

    def __init__(self, prefix: str, matches: list[str]) -> None:
        self.candidates = matches[:_SHOWN_CANDIDATES]
        more = len(matches) - _SHOWN_CANDIDATES
        tail = f" and {more} more" if more > 0 else ""
        super().__init__(f"id prefix '{prefix}' is ambiguous: "
                         f"{', '.join(self.candidates)}{tail}")


def abbrev_length(count: int) -> int:
    """How long a shown id is in a repository of ``count`` issues, as git sizes
    abbreviated hashes: long enough that two random ids rarely share a prefix
    (``len(ALPHABET) ** length`` at least ``count ** 2``), and never under 4."""
    length = 4
    while len(ALPHABET) ** length < count * count and length < LENGTH:
        length += 1
    return length


def abbreviations(shown: Iterable[str], every: Iterable[str]) -> dict[str, str]:
    """The shortest prefix of each ``shown`` id that names it alone among ``every``
    id, at least ``abbrev_length`` long: what a person reads aloud and types back.

    Only ids that share a shown id's first characters can make its prefix
    longer; sorted, the id sharing most with another is next to it.
    """
    shown = list(shown)
    known = list(every)
    base = abbrev_length(len(known))
    heads = {i[:base] for i in shown}
    # ID_RE as in Store.resolve: a stray 'abcd-old.yml' is no id.
    near = sorted({o for o in known if o[:base] in heads and ID_RE.fullmatch(o)} | set(shown))
    shared = dict.fromkeys(near, 0)
    for a, b in zip(near, near[1:], strict=False):
        common = _common(a, b)
        shared[a], shared[b] = max(shared[a], common), max(shared[b], common)
    return {i: i[:max(base, shared[i] + 1)] for i in shown}


def _common(a: str, b: str) -> int:
    """How many first characters ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
