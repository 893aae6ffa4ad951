"""The index's ``doc`` column: each issue's JSON, deflated with a preset dictionary.

The JSON of every issue was as large as the issue files themselves, the
largest part of an index 2.8x the files (issue 27 asks for 2x).  Most issues
are a few hundred bytes, where plain zlib saves little because each document
starts with an empty window; a preset dictionary of what every document
repeats (the field names in their canonical order, the punctuation around
them, a stamp's century) gives a small document something to point back to.
On the bench's issues that is 0.52 of the JSON against 0.61 for plain zlib.
Level 1: ~20 us an issue to deflate, ~6 to inflate, a few seconds of a
250,000-issue rebuild spread over its workers.

SQL reads a document through ``issue_doc(doc)``, registered on every
connection by ``engine.prepare``: the full-text view reads bodies and comments
through it.  Another program can read the column with zlib's raw inflate and
``DICTIONARY``.  Changing the dictionary changes every stored document: bump
``schema.VERSION`` with it, so old indexes are rebuilt.
"""

from __future__ import annotations

import sqlite3
import zlib

SQL_FUNCTION = "issue_doc"
_WBITS = -15  # raw deflate: no header or checksum (the index is disposable)
DICTIONARY = (
    b'"github": {"repo": "", "number": , "url": "https://github.com/'
    b'"gitlab": {"project": "", "iid": , "url": "https://gitlab.com/'
    b'"gitea": {"host": "", "repo": "", "number": , "url": "https://'
    b'"links": {"blocks": ["], "blocked_by": ["], "related": ["], '
    b'"milestone": "", "closed": "2026-", "closed": "2025-", '
    b'"comments": [{"id": "", "author": "", "date": "2025-", "date": "2026-", "body": "'
    b'"}, {"id": "", "author": "", "date": "2026-'
    b'{"id": "", "title": "", "status": "open", "status": "closed", "priority": 1, '
    b'"labels": ["bug", "enhancement", "documentation"], "assignees": ["'
    b'"author": " <@", "created": "2025-", "created": "2026-", "body": "'
)


def pack(text: str) -> bytes:
    """``text`` (a document's JSON) deflated."""
    deflate = zlib.compressobj(1, zlib.DEFLATED, _WBITS, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
    return deflate.compress(text.encode()) + deflate.flush()


def unpack(blob: bytes) -> str:
    """A packed document's JSON."""
    inflate = zlib.decompressobj(_WBITS, DICTIONARY)
    return (inflate.decompress(blob) + inflate.flush()).decode()


def register(conn: sqlite3.Connection) -> None:
    """``issue_doc(doc)`` on ``conn``: the JSON of a packed document, NULL for NULL."""
    conn.create_function(SQL_FUNCTION, 1, lambda blob: None if blob is None else unpack(blob),
                         deterministic=True)
