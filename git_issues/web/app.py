"""The Flask application: routes, the request guard, and error pages.

Made by ``create_app`` per ``serve`` run, with the repositories and the
secrets of that run: nothing lives at module level. A route opens its
workspace with ``open_workspace`` and leaves the block before the response is
sent, so an engine, a connection or a git process never outlives a request.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

from flask import Flask, Response, abort, current_app, redirect, render_template, request
from werkzeug.exceptions import Forbidden, HTTPException

from git_issues.core.rules import priority_name
from git_issues.core.visible import visible
from git_issues.errors import GitIssuesError, NoSuchIssue
from git_issues.index.refresh import refresh_files
from git_issues.repo import gitutil
from git_issues.repo.store import StaleWriteError
from git_issues.repo.workspace import ChangeFeed, Workspace, open_workspace
from git_issues.web import actions, views
from git_issues.web.listrows import list_rows
from git_issues.web.markdown import render as markdown
from git_issues.web.pagecache import PageCache, Settled
from git_issues.web.security import HEADERS, Guard
from git_issues.web.timefmt import time_element
from git_issues.web.watcher import Watcher

HERE = Path(__file__).parent
MAX_FORM = 1024 * 1024  # an issue file is capped well below this


class Repo(NamedTuple):
    """One served repository: a name for its URLs and its real path, nothing open."""

    name: str
    path: Path


def name_repos(paths: list[Path]) -> list[Repo]:
    """URL names from the folder names, made unique; paths are resolved once, at start."""
    repos: list[Repo] = []
    taken: set[str] = set()
    for path in paths:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", path.name).strip("-.") or "repo"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        repos.append(Repo(name, path))
    return repos


AUTHORISED = "git_issues.authorised"  # the WSGI environ's mark of a right token
GIT_LIMIT_ENV, GIT_LIMIT = "GIT_ISSUES_SERVE_GIT_TIMEOUT", 30.0


class Capability:
    """WSGI middleware: a path under ``/t/<token>`` is authorised and the prefix moves
    to SCRIPT_NAME, so the routes see ``/r/...`` and ``request.script_root`` is the
    prefix every link and redirect of the page starts with."""

    def __init__(self, app: Any, guard: Guard, git_limit: float) -> None:
        self.app, self.guard, self.git_limit = app, guard, git_limit

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        rest = self.guard.strip(environ.get("PATH_INFO", ""))
        environ[AUTHORISED] = rest is not None
        if rest is not None:
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.guard.prefix
            environ["PATH_INFO"] = rest
        with gitutil.time_limit(self.git_limit):  # no git call holds a worker forever
            return self.app(environ, start_response)


def git_limit() -> float:
    """Seconds each git call of a request may take (``GIT_ISSUES_SERVE_GIT_TIMEOUT``,
    read when the app is made, for this run only)."""
    try:
        return max(float(os.environ.get(GIT_LIMIT_ENV) or GIT_LIMIT), 0.1)
    except ValueError:
        return GIT_LIMIT


def create_app(repos: list[Repo], guard: Guard,
               feeds: dict[Path, ChangeFeed] | None = None) -> Flask:
    app = Flask("git_issues.web", root_path=str(HERE), static_folder="static",
                template_folder="templates")
    app.wsgi_app = Capability(app.wsgi_app, guard, git_limit())  # type: ignore[method-assign]
    app.config["MAX_CONTENT_LENGTH"] = MAX_FORM
    app.jinja_env.autoescape = True  # every template, whatever its name ends with
    app.jinja_env.finalize = _shown
    app.jinja_env.filters["markdown"] = markdown
    app.jinja_env.filters["when"] = time_element
    app.jinja_env.globals.update(csrf=guard.csrf, priority=_priority, list_rows=list_rows,
                                 time_element=time_element)
    app.context_processor(lambda: {"base": request.script_root})
    by_name = {repo.name: repo for repo in repos}
    _guard(app, guard)
    _errors(app, by_name)
    # What a served repository keeps past a request, each bounded and keyed by its
    # real path: its watcher, its git paths, its kept pages.
    app.extensions["git_issues.feeds"] = feeds or {}
    app.extensions["git_issues.paths"] = {}
    app.extensions["git_issues.pages"] = {repo.path: PageCache() for repo in repos}
    _read_routes(app, repos, by_name)
    _write_routes(app, by_name)
    return app


def _shown(value: Any) -> Any:
    """Every plain text a template prints, with controls and bidirectional overrides
    escaped (a title with U+202E would read backwards); rendered Markdown is Markup."""
    return visible(value) if type(value) is str else value


def _priority(value: int | None) -> str:
    return "" if value is None else priority_name(value)


def _guard(app: Flask, guard: Guard) -> None:
    @app.before_request
    def check() -> Response | None:
        if not guard.host_ok(request.headers.get("Host")):
            abort(400, "this server answers only to the address it printed")
        token = request.args.get("token")
        if token is not None:  # the URL an older version printed: to the token's path
            if request.method != "GET" or not guard.token_ok(token):
                abort(403)
            rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
            return redirect(guard.prefix + request.path +
                            ("?" + urlencode(rest) if rest else ""), 303)
        if not request.environ.get(AUTHORISED):
            abort(403)
        if request.method not in ("GET", "HEAD"):
            if not guard.origin_ok(request.headers.get("Origin")) \
                    or not guard.csrf_ok(request.form.get("csrf")):
                abort(403, "the form's CSRF token is missing or wrong: reload the page")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update(HEADERS)
        return response


def _served_repo(by_name: dict[str, Repo]) -> str | None:
    """The served repository the failed request named, so an error page keeps its navigation
    (only behind the token: a stranger learns no repository's name)."""
    if not request.environ.get(AUTHORISED):
        return None
    name = (request.view_args or {}).get("name")
    if name is None:  # no route matched (a 404): read the name from the path
        parts = request.path.split("/")
        name = parts[2] if len(parts) > 2 and parts[1] == "r" else None
    return name if name in by_name else None


def _errors(app: Flask, by_name: dict[str, Repo]) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        if exc.code == 403 and exc.description == Forbidden.description:
            exc.description = ("open the address that 'git issues serve' printed "
                               "(it carries the access token)")
        return render_template("error.html", code=exc.code, name=exc.name,
                               message=exc.description, repo=_served_repo(by_name)), exc.code or 500

    @app.errorhandler(GitIssuesError)
    def user_error(exc: GitIssuesError) -> tuple[str, int]:
        code = 404 if isinstance(exc, NoSuchIssue) else 400
        return render_template("error.html", code=code, name="Error", message=str(exc),
                               repo=_served_repo(by_name)), code


@contextmanager
def workspace(by_name: dict[str, Repo], name: str) -> Iterator[Workspace]:
    """The named repository, opened for this request only."""
    repo = by_name.get(name)
    if repo is None:
        abort(404, f"no repository named '{name}' is served here")
    found = current_app.extensions["git_issues.paths"]
    with open_workspace(repo.path, known=found.get(repo.path)) as ws:
        found[repo.path] = ws.paths  # the folder is this run's: git need not find it again
        ws.feed = current_app.extensions["git_issues.feeds"].get(repo.path)
        yield ws


def _kept_page(by_name: dict[str, Repo], name: str,
               make: Callable[[Workspace, views.Shared], str]) -> str:
    """A page of the repository, sent again as made while its watcher saw no change
    (``web.pagecache``); without a watcher, made every time."""
    with workspace(by_name, name) as ws:
        feed = ws.feed
        if not isinstance(feed, Watcher):
            return make(ws, views.made_now)
        with feed.changes() as names:  # waits for the watcher's fence
            if names is None or names:
                refresh_files(ws.sources, names)
        epoch = feed.settled_epoch()
        ws.feed = Settled()
        cache = current_app.extensions["git_issues.pages"][by_name[name].path]
        # "3 minutes ago" is true for a minute: a kept page is kept that long at most.
        key = (request.full_path, request.script_root, views.branch(ws), int(time.time() // 60))
        return cache.kept(epoch, key, lambda: make(ws, lambda part, build: cache.kept(
            epoch, ("part", part), build)))


def _query() -> views.Query:
    args = request.args
    try:
        page = int(args.get("page", "1"))
    except ValueError:
        page = 1
    return views.Query(
        status=args.get("status", "open"),
        labels=views.label_terms(args.getlist("label"), args.get("labels", "")),
        assignee=args.get("assignee", ""), author=args.get("author", ""),
        milestone=args.get("milestone", ""), priority=args.get("priority", ""),
        text=args.get("q", ""), sort=args.get("sort", "created"), page=page)


def _context(ws: Workspace, name: str) -> dict[str, Any]:
    return {"repo": name, "branch": views.branch(ws), "root": str(ws.root)}


def _form_context(ws: Workspace, name: str) -> dict[str, Any]:
    """A new or edit form's context: the page's, with the values its fields offer."""
    return {**_context(ws, name), "pickers": views.pickers(ws)}


def _read_routes(app: Flask, repos: list[Repo], by_name: dict[str, Repo]) -> None:
    @app.get("/")
    def start() -> Any:
        if len(repos) == 1:
            return redirect(_here(f"/r/{repos[0].name}/"), 303)
        return render_template("start.html", repos=[_summary(r) for r in repos], repo=None)

    @app.get("/favicon.ico")
    def favicon() -> Any:
        return app.send_static_file("favicon.svg")

    @app.get("/r/<name>/")
    def listing(name: str) -> Any:
        query = _query()

        def page(ws: Workspace, shared: views.Shared) -> str:
            data = views.listing(ws, query, shared)
            return render_template("list.html", query=query, args=_args(), **data,
                                   **_context(ws, name))
        return _kept_page(by_name, name, page)

    @app.get("/r/<name>/board")
    def board(name: str) -> Any:
        query = _query()
        prefix = request.args.get("prefix", "").strip()

        def page(ws: Workspace, _shared: views.Shared) -> str:
            data = views.board(ws, query, prefix)
            return render_template("board.html", query=query, prefix=prefix, **data,
                                   **_context(ws, name))
        return _kept_page(by_name, name, page)

    @app.get("/r/<name>/issues/<issue_id>")
    def issue(name: str, issue_id: str) -> Any:
        return _kept_page(by_name, name,
                          lambda ws, _shared: _issue_response(ws, name, issue_id)[0])

    @app.get("/r/<name>/issues/<issue_id>/history")
    def history(name: str, issue_id: str) -> Any:
        with workspace(by_name, name) as ws:
            entries = views.history(ws, issue_id)
            mentions, total = views.mentions(ws, issue_id)
            context = _context(ws, name)
        template = "history_part.html" if request.args.get("part") else "history.html"
        return render_template(template, entries=entries, issue_id=issue_id, mentions=mentions,
                               mentioned=total, **context)

    @app.get("/r/<name>/new")
    def new_form(name: str) -> Any:
        with workspace(by_name, name) as ws:
            templates = views.templates(ws)
            context = _form_context(ws, name)
        chosen = request.args.get("template", "")
        form = views.template_form(templates.get(chosen))
        return render_template("new.html", templates=templates, chosen=chosen, form=form,
                               error=None, **context)

    @app.get("/r/<name>/issues/<issue_id>/edit")
    def edit_form(name: str, issue_id: str) -> Any:
        with workspace(by_name, name) as ws:
            page = views.issue_page(ws, issue_id, _issue_url(name))
            context = _form_context(ws, name)
        return render_template("edit.html", page=page, form=None, error=None, **context)


def _args() -> list[tuple[str, str]]:
    """The list's query string without the page, for the paging links."""
    return [(k, v) for k, v in request.args.items(multi=True) if k != "page"]


def _summary(repo: Repo) -> dict[str, Any]:
    """One line of the start page: open and total counts, or why the repository fails."""
    try:
        with open_workspace(repo.path) as ws:
            data = views.listing(ws, views.Query(status="open"))
            return {"name": repo.name, "root": str(ws.root), "branch": views.branch(ws),
                    "open": data["total"], "error": None}
    except GitIssuesError as exc:
        return {"name": repo.name, "root": str(repo.path), "branch": "", "open": 0,
                "error": str(exc)}


def _issue_response(ws: Workspace, name: str, issue_id: str, *, status: int = 200,
                    error: str | None = None, kept: dict[str, str] | None = None) -> Any:
    page = views.issue_page(ws, issue_id, _issue_url(name))
    return render_template(
        "issue.html", page=page, done=request.args.get("done"), error=error, kept=kept or {},
        **_context(ws, name)), status


def _form() -> dict[str, str]:
    return {k: v.replace("\r\n", "\n") for k, v in request.form.items() if k != "csrf"}


def _write_routes(app: Flask, by_name: dict[str, Repo]) -> None:
    @app.post("/r/<name>/issues/<issue_id>/comment")
    def comment(name: str, issue_id: str) -> Any:
        form = _form()
        return _write(by_name, name, issue_id, form, "commented", lambda ws: actions.comment(
            ws, issue_id, form.get("digest", ""), form.get("body", "")))

    @app.post("/r/<name>/issues/<issue_id>/state")
    def state(name: str, issue_id: str) -> Any:
        form = _form()
        wanted = "closed" if form.get("state") == "closed" else "open"
        return _write(by_name, name, issue_id, form, wanted, lambda ws: actions.set_state(
            ws, issue_id, form.get("digest", ""), wanted, form.get("body", "")))

    @app.post("/r/<name>/issues/<issue_id>/link")
    def link(name: str, issue_id: str) -> Any:
        form = _form()
        action = actions.unlink if form.get("unlink") else actions.link
        return _write(by_name, name, issue_id, form, "unlinked" if form.get("unlink") else "linked",
                      lambda ws: action(ws, issue_id, form.get("digest", ""),
                                        form.get("kind", ""), form.get("other", "")))

    @app.post("/r/<name>/issues/<issue_id>/task")
    def task(name: str, issue_id: str) -> Any:
        form = _form()
        return _write(by_name, name, issue_id, form, "task-ticked", lambda ws: actions.tick(
            ws, issue_id, form.get("digest", ""), form.get("task", ""),
            form.get("done") == "1"))

    @app.post("/r/<name>/preview")
    def preview(name: str) -> Any:
        """The text of a form as it will show, rendered here with the same sanitiser."""
        text = _form().get("body", "")
        with workspace(by_name, name) as ws:
            refs = views.preview_refs(ws, text, _issue_url(name))
        return render_template("preview.html", html=markdown(text, refs))

    @app.get("/r/<name>/issues/<issue_id>/comments/<comment_id>/edit")
    def comment_form(name: str, issue_id: str, comment_id: str) -> Any:
        with workspace(by_name, name) as ws:
            page = views.issue_page(ws, issue_id, _issue_url(name))
            comment = views.comment_of(page.issue, comment_id)
            context = _context(ws, name)
        return render_template("comment.html", page=page, comment=comment, **context)

    @app.post("/r/<name>/issues/<issue_id>/comments/<comment_id>/edit")
    def edit_comment(name: str, issue_id: str, comment_id: str) -> Any:
        form = _form()
        return _write(by_name, name, issue_id, form, "comment-edited", lambda ws:
                      actions.edit_comment(ws, issue_id, form.get("digest", ""), comment_id,
                                           form.get("body", "")))

    @app.post("/r/<name>/issues/<issue_id>/comments/<comment_id>/delete")
    def delete_comment(name: str, issue_id: str, comment_id: str) -> Any:
        form = _form()
        return _write(by_name, name, issue_id, form, "comment-deleted", lambda ws:
                      actions.delete_comment(ws, issue_id, form.get("digest", ""), comment_id))

    @app.get("/r/<name>/issues/<issue_id>/rm")
    def rm_form(name: str, issue_id: str) -> Any:
        with workspace(by_name, name) as ws:
            page = views.issue_page(ws, issue_id, _issue_url(name))
            context = _context(ws, name)
        return render_template("rm.html", page=page, **context)

    @app.post("/r/<name>/issues/<issue_id>/rm")
    def rm(name: str, issue_id: str) -> Any:
        form = _form()
        with workspace(by_name, name) as ws:
            try:
                gone = actions.rm(ws, issue_id, form.get("digest", ""))
            except StaleWriteError as exc:
                return _issue_response(ws, name, issue_id, status=409, error=str(exc))
        return redirect(_here(f"/r/{name}/?" + urlencode({"removed": gone.issue.id})), 303)

    @app.post("/r/<name>/issues/<issue_id>/move")
    def move(name: str, issue_id: str) -> Any:
        form = _form()
        columns = form.get("prefix", "")
        with workspace(by_name, name) as ws:
            try:
                actions.move(ws, issue_id, columns, form.get("from", ""), form.get("to", ""))
            except StaleWriteError as exc:
                abort(409, str(exc))
        return redirect(_here(f"/r/{name}/board?" + urlencode(
            {"prefix": columns, "done": "moved", "moved": issue_id})), 303)

    @app.post("/r/<name>/issues/<issue_id>/edit")
    def edit(name: str, issue_id: str) -> Any:
        form = _form()
        with workspace(by_name, name) as ws:
            try:
                actions.edit(ws, issue_id, form.get("digest", ""), form)
            except StaleWriteError as exc:
                page = views.issue_page(ws, issue_id, _issue_url(name))
                return render_template("edit.html", page=page, form=form, error=str(exc),
                                       stale=True, **_form_context(ws, name)), 409
            except GitIssuesError as exc:
                page = views.issue_page(ws, issue_id, _issue_url(name))
                return render_template("edit.html", page=page, form=form, error=str(exc),
                                       **_form_context(ws, name)), 400
        return redirect(_here(f"/r/{name}/issues/{issue_id}?done=edited"), 303)

    @app.post("/r/<name>/new")
    def new(name: str) -> Any:
        form = _form()
        with workspace(by_name, name) as ws:
            try:
                created = actions.create(ws, form)
            except GitIssuesError as exc:
                return render_template("new.html", templates=views.templates(ws), chosen="",
                                       form=form, error=str(exc), **_form_context(ws, name)), 400
        return redirect(_here(f"/r/{name}/issues/{created.id}?done=created"), 303)


def _write(by_name: dict[str, Repo], name: str, issue_id: str, form: dict[str, str],
           done: str, change: Any) -> Any:
    """Run one change; a refusal shows the issue as it is now, with the user's text kept."""
    with workspace(by_name, name) as ws:
        try:
            change(ws)
        except StaleWriteError as exc:
            return _issue_response(ws, name, issue_id, status=409, error=str(exc), kept=form)
        except GitIssuesError as exc:
            return _issue_response(ws, name, issue_id, status=400, error=str(exc), kept=form)
    return redirect(_here(f"/r/{name}/issues/{issue_id}?done={done}"), 303)


def _issue_url(name: str) -> str:
    """The page of an issue of ``name``, with ``{id}`` in it (the links in texts)."""
    return request.script_root + f"/r/{name}/issues/{{id}}"


def _here(path: str) -> str:
    """An app path as the browser must ask for it: under the token's prefix."""
    return request.script_root + path
