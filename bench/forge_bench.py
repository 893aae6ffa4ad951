#!/usr/bin/env python3
"""Benchmark ``import gitea`` and ``import gitlab`` against their stand-ins (issue 24).

    python bench/forge_bench.py gitea --issues 10000 --latency 0.05
    python bench/forge_bench.py gitlab --issues 2000 --latency 0.05

The same measure as ``bench/import_bench.py`` (GitHub's): a **bare** loop that
makes the requests the import makes, through the same client, parsing each
page and doing nothing else, before and after the **import** into an empty
repository (a whole cold process: wall time, peak RSS).  Gitea lists 50 items
a page (issues, then the repository's comments); GitLab has no project-wide
list of notes, so both the import and the bare loop ask each issue with notes
for its own (one request an issue: at 50 ms a request, 10,000 issues are
8 minutes of waiting for either).  Targets: import <= 1.3 x bare, peak RSS
<= 300 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from import_bench import WORDS, Generated, _stamp, run_child

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import gitea_standin as gitea  # noqa: E402
import gitlab_standin as gitlab  # noqa: E402
from github_standin import serving  # noqa: E402

REPO = "bench/rocket"
TOKEN = "bench-token"

GITEA_BARE = """\
import sys
from git_issues.sync.gitea.client import GiteaClient
url, repo = sys.argv[1], sys.argv[2]
pages = 0
with GiteaClient(url + "/api/v1", "bench-token") as client:
    for path, params in ((f"/repos/{repo}/issues/comments", {"limit": 50}),
                         (f"/repos/{repo}/issues", {"state": "all", "type": "issues",
                                                     "limit": 50})):
        for page in client.pages(path, params):
            pages += 1
print(pages, "pages", file=sys.stderr)
"""

GITLAB_BARE = """\
import sys
from urllib.parse import quote
from git_issues.sync.gitlab.client import GitLabClient
url, project = sys.argv[1], sys.argv[2]
path = f"/projects/{quote(project, safe='')}"
listing = {"scope": "all", "order_by": "updated_at", "sort": "asc", "per_page": 100}
pages = 0
with GitLabClient(url + "/api/v4", "bench-token") as client:
    for page in client.pages(f"{path}/issues", listing):
        pages += 1
        for item in page:
            if item["user_notes_count"]:
                for _ in client.pages(f"{path}/issues/{item['iid']}/notes",
                                      {"sort": "asc", "order_by": "created_at",
                                       "per_page": 100}):
                    pages += 1
    for page in client.pages(f"{path}/issues", listing):
        pages += 1
print(pages, "pages", file=sys.stderr)
"""


def _words(number: int) -> str:
    return " ".join(WORDS[(number * k) % len(WORDS)] for k in (1, 3, 7, 11))


def _body(number: int) -> str:
    return (f"Steps to reproduce {number}:\r\n\r\n1. run it\r\n2. see the {_words(number)}\r\n"
            + "More detail about the problem. " * (1 + number % 5))


def gitea_stand_in(issues: int, comments: int) -> gitea.StandIn:
    def issue(index: int) -> dict:
        number = issues - index  # newest first, as Gitea lists them
        closed = number % 3 == 0
        return gitea.make_issue(
            REPO, number, f"{_words(number).capitalize()} #{number}", body=_body(number),
            login=f"user{number % 97}", state="closed" if closed else "open",
            labels=[WORDS[number % 15], WORDS[(number // 15) % 15]][: number % 3],
            assignees=[f"dev{number % 7}"] if number % 4 == 0 else [],
            milestone="v1.0" if number % 10 == 0 else None,
            created=_stamp(number * 60), updated=_stamp(number * 60 + 30),
            closed=_stamp(number * 60 + 20) if closed else None)

    def comment(index: int) -> dict:
        number = (index * 7919) % issues + 1
        return gitea.make_comment(REPO, number, 10_000_000 + index,
                                  f"Comment {index}: I see this too.\r\nMore text here.",
                                  login=f"user{index % 89}", created=_stamp(number * 60 + 40))

    stand_in = gitea.StandIn(token=TOKEN)
    stand_in.repos[REPO] = gitea.Repo()
    stand_in.repos[REPO].issues = Generated(issues, issue)
    stand_in.repos[REPO].comments = Generated(comments, comment)
    return stand_in


def gitlab_stand_in(issues: int, comments: int) -> gitlab.GitLabStandIn:
    per = comments // issues  # notes an issue

    def issue(index: int) -> dict:
        iid = index + 1  # oldest change first, as asked
        closed = iid % 3 == 0
        return gitlab.make_issue(
            REPO, iid, f"{_words(iid).capitalize()} #{iid}", description=_body(iid),
            author=f"user{iid % 97}", state="closed" if closed else "opened",
            labels=[WORDS[iid % 15], WORDS[(iid // 15) % 15]][: iid % 3],
            assignees=[f"dev{iid % 7}"] if iid % 4 == 0 else [],
            milestone="v1.0" if iid % 10 == 0 else None,
            created=_stamp(iid * 60).replace("Z", ".000Z"),
            updated=_stamp(iid * 60 + 30).replace("Z", ".000Z"),
            closed=_stamp(iid * 60 + 20).replace("Z", ".000Z") if closed else None,
            notes=per)

    def notes_of(iid: int) -> list[dict]:
        return [gitlab.make_note(iid, iid * 100 + k, f"Note {k}: I see this too.\r\nMore.",
                                 author=f"user{(iid + k) % 89}",
                                 created=_stamp(iid * 60 + 40 + k).replace("Z", ".000Z"))
                for k in range(per)]

    stand_in = gitlab.GitLabStandIn(token=TOKEN)
    project = gitlab.Project()
    project.issues = Generated(issues, issue)  # type: ignore[assignment]
    project.notes_of = notes_of
    stand_in.projects[REPO] = project
    return stand_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("forge", choices=["gitea", "gitlab"])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=None, help="default: 3 per issue")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS")
    args = parser.parse_args()
    comments = 3 * args.issues if args.comments is None else args.comments
    if args.forge == "gitea":
        stand_in, handler, bare_code = (gitea_stand_in(args.issues, comments),
                                        gitea.GiteaHandler, GITEA_BARE)
    else:
        stand_in, handler, bare_code = (gitlab_stand_in(args.issues, comments),
                                        gitlab.GitLabHandler, GITLAB_BARE)
    stand_in.remaining = 10**9
    stand_in.delay = args.latency
    with serving(stand_in, handler), tempfile.TemporaryDirectory(prefix="forge-bench-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        for cmd in (["init", "-q", "-b", "main"], ["config", "user.name", "Bench"],
                    ["config", "user.email", "bench@example.com"]):
            subprocess.run(["git", *cmd], cwd=repo, check=True)
        name = args.forge.upper()
        env = {**os.environ, f"{name}_URL": stand_in.url, f"{name}_TOKEN": TOKEN}
        bare = [sys.executable, "-c", bare_code, stand_in.url, REPO]
        print(f"{args.forge}: {args.issues:,} issues, {comments:,} comments, "
              f"{args.latency * 1000:.0f} ms a request", flush=True)
        before, _, note = run_child(bare, repo, env)
        print(f"bare loop:   {before:8.1f} s   ({note})", flush=True)
        script = Path(sys.executable).parent / "git-issues"
        wall, usage, tail = run_child([str(script), "import", args.forge, REPO], repo, env)
        rss = usage.ru_maxrss / 1024
        print(f"import:      {wall:8.1f} s   peak RSS {rss:.0f} MB   ({tail})", flush=True)
        after, _, _ = run_child(bare, repo, env)
        print(f"bare loop:   {after:8.1f} s (again)", flush=True)
        floor = (before + after) / 2
        written = sum(p.name != "config.yml" for p in (repo / ".issues").glob("*.yml"))
        print(f"issue files: {written:,}; import / bare = {wall / floor:.2f} "
              f"(target <= 1.3); peak RSS {rss:.0f} MB (target <= 300)")


if __name__ == "__main__":
    main()
