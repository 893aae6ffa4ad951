"""The sealed git environment, shared by the tests (conftest.py) and the benchmark (bench/).

A run must see neither the user's settings (hooks paths, aliases, editors, a
pager, an ``ISSUES_DB_PATH``) nor the system git config: they could help a run
as easily as break it.  Kept out of the product package; the benchmark puts
this folder on its path to import it.
"""

from __future__ import annotations

import os
from pathlib import Path

# Variables removed from the environment before a run.
DROP = ("ISSUES_DB_PATH", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_EDITOR",
        "VISUAL", "EDITOR", "GIT_CONFIG_GLOBAL", "GIT_CONFIG", "NO_COLOR", "PAGER",
        "GIT_PAGER", "PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME",
        "GITHUB_ACTIONS")


def settings(home: Path, scripts: Path, name: str, email: str) -> dict[str, str]:
    """The variables set for a run: its own HOME, no system config, a fixed identity.

    The scripts folder goes first on PATH, so that git hooks calling
    ``git-issues`` reach the installed script, never a shim.
    """
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
        "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
    }
