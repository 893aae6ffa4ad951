"""The small rules every room shares, light enough for the read path (no import beyond ``re``).

One home for each piece of knowledge that was once repeated: the default
statuses, and (as they move here) text normalisation, times, priorities and
comma-separated lists.
"""

from __future__ import annotations

# The statuses of a project without .issues/config.yml, and their states.
DEFAULT_STATUSES = {"open": "open", "closed": "closed"}
