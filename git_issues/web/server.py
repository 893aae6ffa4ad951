"""Running the app under waitress: bind, print the URL, serve until stopped.

waitress is a pure-Python, multi-threaded WSGI server that runs the same on
Linux, macOS and Windows and needs no C compiler: what a tool installed with
pip on a developer's machine can count on.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

from git_issues.errors import GitIssuesError
from git_issues.web.security import Guard, is_loopback, public_name, url_host

THREADS = 4


class Server:
    """A bound server: ``url`` is known before ``run`` starts serving."""

    def __init__(self, paths: list[Path], host: str, port: int, token: str | None = None) -> None:
        from waitress.server import create_server

        from git_issues.web.app import create_app, name_repos

        repos = name_repos(paths)
        self.guard = Guard(host, port, token)
        try:
            # The app is made after binding (the Host check needs the real port),
            # so the server starts with a placeholder that is swapped before serving.
            late = _Late()
            self.wsgi = create_server(late, host=host, port=port, threads=THREADS,
                                      ident="git-issues", clear_untrusted_proxy_headers=True)
        except OSError as exc:
            raise GitIssuesError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        bound = self.wsgi.effective_port
        self.guard = Guard(host, bound, self.guard.token)
        late.app = create_app(repos, self.guard)
        self.port = bound
        self.url = f"http://{url_host(public_name(host))}:{bound}{self.guard.prefix}/"

    def run(self) -> None:
        try:
            self.wsgi.run()
        finally:
            self.close()

    def close(self) -> None:
        self.wsgi.close()


class _Late:
    """A WSGI callable whose app is set once the port is known."""

    app: Any = None

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.app(environ, start_response)


def check_paths(paths: list[str]) -> list[Path]:
    """Each PATH's work-tree root, discovered once; an error names the bad PATH."""
    from git_issues.workspace import open_workspace

    roots: list[Path] = []
    for path in paths or ["."]:
        with open_workspace(Path(path)) as ws:
            root = ws.root.resolve()
        if root not in roots:
            roots.append(root)
    return roots


def serve(paths: list[str], host: str, port: int, open_browser: bool,
          out: IO[str] = sys.stdout, err: IO[str] = sys.stderr) -> None:
    """Serve until interrupted; the URL goes to stdout, warnings to stderr."""
    server = Server(check_paths(paths), host, port)
    if not is_loopback(host):
        print(f"warning: serving on {host}, reachable from other machines; anyone with the "
              "URL can read and change these issues", file=err)
    print(server.url, file=out, flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
