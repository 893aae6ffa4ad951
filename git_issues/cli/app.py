"""The click group, the error convention and the options shared by commands.

User errors from the library (``GitIssuesError``) become one line on stderr,
``error: ...``, and exit code 1; click's own usage errors keep exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from click.shell_completion import CompletionItem

from git_issues import __version__
from git_issues.errors import GitIssuesError
from git_issues.index.query import indexed_titles
from git_issues.workspace import open_workspace

CONTEXT = {"help_option_names": ["-h", "--help"]}


class UserError(click.ClickException):
    """Printed as git prints its errors."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GitIssuesError as exc:
            raise UserError(str(exc)) from None


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="git-issues")
def cli() -> None:
    """Issues that live in the repository, one YAML file each under .issues/."""


def report_problems(problems: list[str]) -> None:
    """Broken files never hide the others: list what works, then name each broken file."""
    for line in problems:
        click.echo(f"error: {line}", err=True)
    if problems:
        raise SystemExit(1)


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Output JSON.")(func)


def read_text_option(value: str | None, file: str | None, what: str) -> str | None:
    """``-m TEXT``, ``-m -`` (stdin) or ``-F FILE``."""
    if value is not None and file is not None:
        raise GitIssuesError(f"give {what} with -m or -F, not both")
    if file is not None:
        try:
            with click.open_file(file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise GitIssuesError(f"{file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise GitIssuesError(f"{file}: not valid UTF-8") from None
    if value == "-":
        return sys.stdin.read()  # click.get_text_stream is deprecated in click 8.5
    return value


def body_options(func: Callable) -> Callable:
    func = click.option("-F", "--file", "body_file", metavar="FILE",
                        help="Read the text from FILE ('-' for stdin).")(func)
    func = click.option("-m", "--message", "body", metavar="TEXT",
                        help="The text ('-' reads stdin).")(func)
    return func


def complete_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion for ids: the stems in ``.issues/``, titles from the index if it exists.

    Runs on every <TAB>, so it lists one folder and never refreshes or builds
    the index; a stale title is harmless here.  Any failure completes nothing.
    """
    try:
        with open_workspace() as ws:
            ids = sorted(i for i in ws.store.ids() if i.startswith(incomplete.lower()))
            titles = indexed_titles(ws.db_path, ids)
    except Exception:  # noqa: BLE001 - completion must never print a traceback
        return []
    return [CompletionItem(i, help=titles.get(i)) for i in ids]


def id_argument(func: Callable) -> Callable:
    """The ID argument: any unique prefix of an issue id, completed from ``.issues/``."""
    return click.argument("issue_id", metavar="ID", shell_complete=complete_ids)(func)
