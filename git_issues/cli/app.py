"""The click group, the error convention and the options shared by commands.

User errors from the library (``GitIssuesError``) become one line on stderr,
``error: ...``, and exit code 1; click's own usage errors keep exit code 2.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Any

import click

from git_issues import __version__
from git_issues.cli.output import visible
from git_issues.core.rules import clean_text, split_commas  # noqa: F401 - split_commas: the commands' name
from git_issues.errors import GitIssuesError
from git_issues.fileformat.guarded import MAX_FILE_BYTES, read_named_file
from git_issues.repo.workspace import open_workspace

CONTEXT = {"help_option_names": ["-h", "--help"]}


class UserError(click.ClickException):
    """Printed as git prints its errors: ``error: ...``, then any ``hint:`` lines."""

    exit_code = 1

    def __init__(self, message: str, hints: list[str] | None = None) -> None:
        super().__init__(message)
        self.hints = hints or []

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)
        for hint in self.hints:
            click.echo(f"hint: {hint}", err=True)


def report_error(exc: GitIssuesError) -> None:
    """Print a library error as the error convention has it, for a command that goes on
    with its other arguments (``close A B C``)."""
    UserError(str(exc), error_hints(exc)).show()


def error_hints(exc: GitIssuesError) -> list[str]:
    """What helps after the error line: for an ambiguous id, each candidate with its
    title (``abcd2345  Engine leaks``), so the right one can be picked without ``ls``."""
    candidates = getattr(exc, "candidates", None)
    if not candidates:
        return []
    titles: dict[str, str] = {}
    try:
        with open_workspace() as ws:
            for issue_id in candidates:
                try:
                    titles[issue_id] = ws.store.read(issue_id).title
                except (GitIssuesError, OSError):
                    pass  # a broken or deleted file: its id alone
    except GitIssuesError:
        pass
    return [f"  {issue_id}  {visible(titles.get(issue_id, ''))}".rstrip()
            for issue_id in candidates]


# What ``gh issue`` users type, run as our own commands and hidden from the list.
ALIASES = {"create": "new", "list": "ls", "view": "show", "update": "edit"}
# Names that mean something we do differently: a one-line hint instead of a guess.
HINTS = {"delete": "to delete an issue: git issues rm ID"}


# The module under git_issues/cli/ that defines each command.  Only the module
# of the command typed is imported: loading every command module on every
# start costs ~10 ms, a tenth of click's own import (docs/performance.md).
# tests/test_manual.py checks this table against what the modules register.
COMMAND_MODULES = {
    "init": "admin", "reindex": "admin", "layout": "admin",
    "new": "new", "show": "show",
    "ls": "listing", "ready": "listing",
    "edit": "editing", "comment": "editing", "close": "editing", "reopen": "editing",
    "link": "editing", "unlink": "editing",
    "rm": "remove", "log": "log", "milestones": "milestones",
    "diff": "review", "check": "review", "changelog": "review", "merge-driver": "merging",
    "hooks": "hooks", "import": "importing", "export": "importing",
    "sync": "syncing", "serve": "serve", "resolve": "merging",
    "pr-comment": "prcomment",
}


class Group(click.Group):
    """The top-level group: commands loaded on first use, and the error convention."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def _load(self, name: str) -> None:
        if name not in self.commands and name in COMMAND_MODULES:
            importlib.import_module(f"git_issues.cli.{COMMAND_MODULES[name]}")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GitIssuesError as exc:
            raise UserError(str(exc), error_hints(exc)) from None

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        """A typo in a command name gets the command it most likely meant, as options do."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing \
                and self.get_command(ctx, name) is None:
            import difflib  # lazy: startup (a mistyped command only)

            close = difflib.get_close_matches(name, [*self.list_commands(ctx), *ALIASES], n=1)
            if close:
                raise click.UsageError(f"No such command '{name}'. (Did you mean "
                                       f"'{ALIASES.get(close[0], close[0])}'?)", ctx)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Our commands, then the ``gh`` names for them (hidden: not in the list twice)."""
        self._load(cmd_name)
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in ALIASES:
            self._load(ALIASES[cmd_name])
            command = super().get_command(ctx, ALIASES[cmd_name])
        if command is None and cmd_name in HINTS and not ctx.resilient_parsing:
            hint = HINTS[cmd_name]
            raise click.UsageError(f"no command '{cmd_name}': {hint}", ctx)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list with each command's whole first line, never cut to '...'."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, first_line(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def first_line(command: click.Command) -> str:
    """The first paragraph of a command's help, as one line."""
    text = inspect.cleandoc(command.short_help or command.help or "")
    return " ".join(text.split("\n\n")[0].split())


def all_commands() -> dict[str, click.Command]:
    """Every command, loaded: for the help, the man page and the tests."""
    for name in COMMAND_MODULES:
        cli._load(name)
    return dict(cli.commands)


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
    """``-m TEXT``, ``-m -`` (stdin) or ``-F FILE``; says so when the text's terminal
    escape sequences (a pasted coloured log) will not be written."""
    text = _read_text_option(value, file, what)
    if text is not None:
        if clean_text(text)[1]:
            click.echo(f"note: {what} held terminal escape sequences (colours); "
                       "they were left out", err=True)
    return text


def _read_text_option(value: str | None, file: str | None, what: str) -> str | None:
    if value is not None and file is not None:
        raise GitIssuesError(f"give {what} with -m or -F, not both")
    if file is not None and file != "-":
        try:  # a regular file within an issue file's size: not /dev/zero, not a FIFO
            return read_named_file(file).decode("utf-8")
        except GitIssuesError as exc:
            raise GitIssuesError(f"{exc}; nothing was written") from None
        except UnicodeDecodeError:
            raise GitIssuesError(f"{file}: not valid UTF-8") from None
    if value == "-" or file == "-":
        text = sys.stdin.read(MAX_FILE_BYTES + 1)  # click.get_text_stream: deprecated in 8.5
        if len(text) > MAX_FILE_BYTES:
            raise GitIssuesError(f"{what} on stdin is larger than {MAX_FILE_BYTES // 1024} KiB, "
                                 "more than an issue file may hold; nothing was written")
        return text
    return value


def body_options(func: Callable) -> Callable:
    func = click.option("-F", "--file", "body_file", metavar="FILE",
                        help="Read the text from FILE ('-' for stdin).")(func)
    func = click.option("-m", "--message", "body", metavar="TEXT",
                        help="The text ('-' reads stdin).")(func)
    return func


def _completion(name: str, *args: object) -> Callable:
    """A shell-completion callback whose work lives in ``cli.completion``: loaded on a
    <TAB> only, so that no command's start pays for it (or for ``click.shell_completion``)."""
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from git_issues.cli import completion  # lazy: startup

        return getattr(completion, name)(*args, ctx=ctx, incomplete=incomplete)
    return complete


complete_ids = _completion("ids")
complete_labels = _completion("values", "labels")
complete_label_filters = _completion("values", "labels", True)
complete_assignees = _completion("values", "assignees")
complete_milestones = _completion("values", "milestones")
complete_statuses = _completion("statuses")


def id_argument(func: Callable) -> Callable:
    """The ID argument: any unique prefix of an issue id, completed from ``.issues/``."""
    return click.argument("issue_id", metavar="ID", shell_complete=complete_ids)(func)
