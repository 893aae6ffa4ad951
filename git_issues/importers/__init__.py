"""Bringing issues in from elsewhere: GitHub, beads, ``gh issue list`` JSON, our own JSON Lines.

Each source is a small module that turns its records into ``model.Issue``
objects; ``apply`` writes them to the store the one way every write is done
(canonical file, atomic, staged), and ``state`` keeps what a GitHub re-run
needs to know, in one file per remote under ``.issues/sync/``.
"""
