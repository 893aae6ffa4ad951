"""Command: ``serve``, the issues in a browser (its libraries are imported only here)."""

from __future__ import annotations

import click

from git_issues.cli.app import cli
from git_issues.errors import GitIssuesError


@cli.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback is reachable by others.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--no-open", is_flag=True, help="Do not open a browser.")
def serve(paths: tuple[str, ...], host: str, port: int, no_open: bool) -> None:
    """Serve the issues of this repository (or each PATH) in a browser.

    Prints the URL to open, with its access token, on stdout.
    """
    try:
        from git_issues.web.server import serve as run_server  # lazy: optional
    except ImportError as exc:
        raise GitIssuesError(f"serve needs {exc.name}, which is missing from this "
                             "installation: reinstall git-issues-cli (pipx reinstall "
                             "git-issues-cli, or sh scripts/install in a clone)") from None
    run_server(list(paths), host, port, open_browser=not no_open)
