"""Setting a repository up for git-issues (``git issues init``).

Idempotent: running it again repairs what is missing and changes nothing else.
"""

from __future__ import annotations

from git_issues.errors import GitIssuesError
from git_issues.gitint import githooks
from git_issues.ops import templates
from git_issues.repo import gitutil, registration
from git_issues.repo.config import DEFAULT_TEXT
from git_issues.repo.workspace import Workspace


def init(ws: Workspace, *, hooks: bool = True) -> list[str]:
    """Create ``.issues/`` and its config; returns what was done, for the user.

    Each step is its own function that checks before it acts, so running
    ``init`` again repairs what is missing and changes nothing else.
    """
    done: list[str] = []
    _issues_dir(ws, done)
    _config(ws, done)
    _templates(ws, done)
    _merge_driver(ws, done)
    if hooks:
        _hooks(ws, done)
    return done


def _issues_dir(ws: Workspace, done: list[str]) -> None:
    if not ws.store.dir.is_dir():
        ws.store.dir.mkdir()
        done.append(f"created {ws.store.dir.relative_to(ws.root)}/")


def _config(ws: Workspace, done: list[str]) -> None:
    config = ws.sources.config_path
    if not config.exists():
        config.write_text(DEFAULT_TEXT, encoding="utf-8")
        gitutil.add(ws.root, [config])
        done.append(f"wrote {config.relative_to(ws.root)}")


def _templates(ws: Workspace, done: list[str]) -> None:
    """A bug and a feature template for ``new --template``, in a project that has none."""
    written = templates.write_defaults(ws.store.dir)
    if written:
        gitutil.add(ws.root, written)
        names = ", ".join(str(path.relative_to(ws.root)) for path in written)
        done.append(f"wrote the templates {names}")


def _hooks(ws: Workspace, done: list[str]) -> None:
    """Install the git hooks that keep the index warm (issue 4); hooks already there stay."""
    done.extend(githooks.install(ws))


def _merge_driver(ws: Workspace, done: list[str]) -> None:
    """Register the issue merge driver: the committed attribute and this clone's config,
    and the attribute for the folders of a tracker fanned out before ``init`` ran."""
    done.extend(registration.register(ws))
    try:
        fanned = ws.config().layout == "fanned"
    except GitIssuesError:  # a broken config is check's to report, not init's
        fanned = False
    if fanned and registration.register_pattern(ws.root, registration.FANNED_PATTERN):
        gitutil.add(ws.root, [registration.ATTRIBUTES_FILE])
        done.append(f"registered the merge driver for the fanned-out folders in "
                    f"{registration.ATTRIBUTES_FILE} (staged)")
