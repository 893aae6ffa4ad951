"""What the words of an issue's text point at: other issues, forge numbers, commits.

A page collects the candidate words of all its texts first (``candidates``), then
looks them all up at once (``resolve``): one index read for the issue ids and
the forge numbers, one ``git cat-file --batch`` for the commit hashes, whatever
the number of words. The Markdown renderer (``web.markdown``) then turns each
found word into a link, with the other issue's title or the commit's subject
on hover.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from git_issues.core.ids import ID_RE
from git_issues.repo import gitutil

# Words that may be an issue id or a unique prefix of one (6 characters or more),
# a commit hash (7 to 40 hex digits), or a forge's issue number (#12).
WORD = re.compile(r"(?<![\w/#.-])(#\d{1,9}|[0-9a-z]{6,40})(?![\w/-])")
HEX = re.compile(r"[0-9a-f]{7,40}")
PREFIX_MIN = 6
_FORGE_COMMIT = {  # a remote's host -> its commit page, for the hosts known here
    "github.com": "https://github.com/{path}/commit/{sha}",
    "gitlab.com": "https://gitlab.com/{path}/-/commit/{sha}",
    "codeberg.org": "https://codeberg.org/{path}/commit/{sha}",
}
_REMOTE = re.compile(r"^(?:https://|ssh://git@|git@)([^/:]+)[:/](.+?)(?:\.git)?/?$")


class Target(NamedTuple):
    href: str | None  # None: nothing to link to (a commit of an unknown host)
    title: str


class References:
    """The words of one page that point somewhere, found once for the whole page."""

    def __init__(self, found: dict[str, Target] | None = None) -> None:
        self.found = found or {}

    def get(self, word: str) -> Target | None:
        return self.found.get(word)


def candidates(texts: Iterable[str]) -> set[str]:
    return {match.group(1) for text in texts for match in WORD.finditer(text or "")}


def resolve(ws: Any, view: Any, words: set[str], issue_url: str,
            origin: dict[str, Any]) -> References:
    """Look every candidate up: ``view`` is the page's open index, ``issue_url`` the
    URL of an issue with ``{id}`` in it, ``origin`` the shown issue's forge origin."""
    found: dict[str, Target] = {}
    plain = {w for w in words if not w.startswith("#")}
    found.update(_issues(view, plain, issue_url))
    found.update(_numbers(view, {w for w in words if w.startswith("#")}, issue_url, origin))
    hashes = sorted(w for w in plain - found.keys() if HEX.fullmatch(w))
    if hashes:
        found.update(_commits(ws.root, hashes, origin))
    return References(found)


def _issues(view: Any, words: set[str], issue_url: str) -> dict[str, Target]:
    """Words that are an issue id, or a prefix of exactly one."""
    words = {w for w in words if ID_RE.fullmatch(w)}
    if not words:
        return {}
    matched = {w: hits[0] for w, hits in view.ids_with_prefixes(sorted(words)).items()
               if len(hits) == 1 or (hits and hits[0] == w)}
    titles = view.titles(sorted(set(matched.values())))
    return {w: Target(issue_url.format(id=i), f"{i}: {titles.get(i, '')}")
            for w, i in matched.items()}


def _numbers(view: Any, words: set[str], issue_url: str,
             origin: dict[str, Any]) -> dict[str, Target]:
    """``#12`` in an issue that came from a forge: the local issue with that number there."""
    if not words:
        return {}
    for key, repo_key, number_key in (("github", "repo", "number"), ("gitea", "repo", "number"),
                                      ("gitlab", "project", "iid")):
        forge = origin.get(key)
        if isinstance(forge, dict) and forge.get(repo_key):
            numbers = {int(w[1:]) for w in words}
            ids = view.ids_by_origin(key, str(forge[repo_key]), numbers, repo_key=repo_key,
                                     number_key=number_key)
            titles = view.titles(sorted(ids.values()))
            return {f"#{n}": Target(issue_url.format(id=i), f"{i}: {titles.get(i, '')}")
                    for n, i in ids.items()}
    return {}


def _commits(root: Any, hashes: list[str], origin: dict[str, Any]) -> dict[str, Target]:
    """Hashes of commits in the repository, with their subjects: one git process."""
    proc = gitutil.run(["cat-file", "--batch"], root, input="".join(
        f"{h}\n" for h in hashes).encode(), check=False)
    out, found = proc.stdout, {}
    page = _commit_page(root, origin)
    for word in hashes:
        header, _, out = out.partition(b"\n")
        parts = header.split()
        if len(parts) != 3:  # "<hash> missing" or "ambiguous"
            continue
        size = int(parts[2])
        body, out = out[:size], out[size + 1:]
        if parts[1] != b"commit":
            continue
        message = body.split(b"\n\n", 1)[1] if b"\n\n" in body else b""
        subject = message.split(b"\n", 1)[0].decode("utf-8", "replace")
        sha = parts[0].decode()
        found[word] = Target(page.format(sha=sha) if page else None,
                             f"commit {sha[:10]}: {subject}")
    return found


def _commit_page(root: Any, origin: dict[str, Any]) -> str | None:
    """The forge's commit page, from the issue's Gitea origin or the ``origin`` remote."""
    gitea = origin.get("gitea")
    if isinstance(gitea, dict) and gitea.get("host") and gitea.get("repo"):
        return f"https://{gitea['host']}/{gitea['repo']}/commit/{{sha}}"
    url = gitutil.config_get(root, "remote.origin.url") or ""
    match = _REMOTE.match(url.strip())
    if not match or match.group(1).lower() not in _FORGE_COMMIT:
        return None
    return _FORGE_COMMIT[match.group(1).lower()].replace("{path}", match.group(2))
