"""The issue page's Markdown as GitHub renders it, over real HTTP (issue 22).

GFM (tables, task lists, strikethrough, bare URLs), words that point at other
issues, at forge numbers and at commits, a body's task box ticked from the page,
the preview of a text being written, and every time as a ``<time>`` element.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import git
from helpers import staged
from test_index import write_issue
from webserver import Served

pytest.importorskip("mdit_py_plugins", reason="the web view's Markdown plugins are missing")

BODY = """\
| a | b |
|---|---|
| 1 | 2 |

- [ ] one
- [x] two

~~gone~~ https://example.org/x and bbbb2222 and cccc33 and zzzz9999 `bbbb2222`

```
- [ ] not a task
```

- [ ] three
"""


@pytest.fixture
def repo_with_texts(repo: Path) -> dict[str, str]:
    (repo / "NOTES").write_text("notes\n")
    git(repo, "add", "NOTES")
    git(repo, "commit", "-q", "-m", "Fix the parser's crash")
    sha = git(repo, "rev-parse", "HEAD").strip()
    write_issue(repo, "aaaa1111", "The body", body=BODY.replace("\n", "\n  "))
    write_issue(repo, "bbbb2222", "Linked by id")
    write_issue(repo, "cccc3333", "Linked by prefix")
    write_issue(repo, "dddd4444", "From GitHub 7", extra="github:\n  repo: o/r\n  number: 7\n")
    write_issue(repo, "eeee5555", "Mentions", body=f"dup of #7, not #8; fixed in {sha[:7]}.",
                extra="github:\n  repo: o/r\n  number: 9\n")
    git(repo, "add", ".issues")
    git(repo, "commit", "-q", "-m", "issues")
    return {"sha": sha}


@pytest.fixture
def served(repo: Path, repo_with_texts):
    with Served(repo) as server:
        yield server


def test_gfm_renders_as_on_github_and_stays_inert(served: Served):
    page = served.get("/r/repo/issues/aaaa1111").text
    assert "<table>" in page and "<td>1</td>" in page
    assert page.count('class="task-list-item-checkbox"') == 3  # not the one in code
    assert re.search(r'<input data-task="1"[^>]* checked="checked"', page)
    assert "<s>gone</s>" in page
    assert '<a href="https://example.org/x">https://example.org/x</a>' in page


def test_words_that_are_issues_link_to_them_with_their_title(served: Served):
    page = served.get("/r/repo/issues/aaaa1111").text
    assert re.search(r'<a href="[^"]*/r/repo/issues/bbbb2222" title="bbbb2222: Linked by id"'
                     r' class="ref">bbbb2222</a>', page)
    assert re.search(r'href="[^"]*/issues/cccc3333" title="cccc3333: Linked by prefix"[^>]*>'
                     r'cccc33</a>', page)
    assert "zzzz9999</a>" not in page  # no such issue
    assert "<code>bbbb2222</code>" in page  # code stays code


def test_forge_numbers_and_commits_link_where_they_point(served: Served, repo: Path,
                                                         repo_with_texts):
    sha = repo_with_texts["sha"]
    page = served.get("/r/repo/issues/eeee5555").text
    assert re.search(r'href="[^"]*/issues/dddd4444" title="dddd4444: From GitHub 7"[^>]*>#7</a>',
                     page)
    assert "#8</a>" not in page
    assert re.search(rf'<abbr title="commit {sha[:10]}: Fix the parser(\'|&#39;)s crash">'
                     rf'{sha[:7]}</abbr>', page)  # no forge remote: the subject, no link
    git(repo, "remote", "add", "origin", "git@github.com:o/r.git")
    write_issue(repo, "eeee5555", "Mentions", body=f"again {sha[:7]}")  # a new page
    page = served.get("/r/repo/issues/eeee5555").text
    assert f'<a href="https://github.com/o/r/commit/{sha}" title="commit {sha[:10]}' in page


def _form(served: Served, issue: str) -> dict[str, str]:
    page = served.get(f"/r/repo/issues/{issue}")
    return {"csrf": page.field("csrf"), "digest": page.field("digest")}


def test_ticking_a_task_box_changes_that_line_of_the_file_and_stages_it(served: Served,
                                                                        repo: Path):
    path = repo / ".issues" / "aaaa1111.yml"
    reply = served.post("/r/repo/issues/aaaa1111/task",
                        {**_form(served, "aaaa1111"), "task": "2", "done": "1"})
    assert reply.status == 303, reply.text
    text = path.read_text()
    assert "- [x] three" in text and "- [ ] not a task" in text and "- [ ] one" in text
    assert staged(repo) == [".issues/aaaa1111.yml"]
    reply = served.post("/r/repo/issues/aaaa1111/task",
                        {**_form(served, "aaaa1111"), "task": "1", "done": "0"})
    assert reply.status == 303 and "- [ ] two" in path.read_text()


def test_a_task_tick_on_a_stale_page_is_refused_and_changes_nothing(served: Served,
                                                                    repo: Path):
    form = _form(served, "aaaa1111")
    path = repo / ".issues" / "aaaa1111.yml"
    path.write_text(path.read_text().replace("The body", "Changed meanwhile"))
    before = path.read_text()
    reply = served.post("/r/repo/issues/aaaa1111/task", {**form, "task": "0", "done": "1"})
    assert reply.status == 409 and "Changed meanwhile" in reply.text
    assert path.read_text() == before
    reply = served.post("/r/repo/issues/aaaa1111/task",
                        {**_form(served, "aaaa1111"), "task": "7", "done": "1"})
    assert reply.status == 400 and "no task 7" in reply.text


def test_the_preview_renders_with_the_same_sanitiser_and_needs_the_token(served: Served):
    csrf = _form(served, "aaaa1111")["csrf"]
    text = "**bold** bbbb2222 <script>alert(1)</script> [x](javascript:alert(2))"
    reply = served.post("/r/repo/preview", {"csrf": csrf, "body": text})
    assert reply.status == 200
    assert "<strong>bold</strong>" in reply.text and 'title="bbbb2222: Linked by id"' in reply.text
    assert "<script>" not in reply.text and "javascript:" not in reply.text.replace(
        "[x](javascript:alert(2))", "")
    assert served.post("/r/repo/preview", {"body": text}).status == 403


def test_every_time_is_a_time_element_with_the_exact_time_on_hover(served: Served):
    for path in ("/r/repo/", "/r/repo/issues/aaaa1111"):
        page = served.get(path).text
        assert re.search(r'<time datetime="2026-11-01T12:00:00Z" title="2026-11-01 12:00 UTC">'
                         r'(on 1 Nov|on 1 Nov 2026|\d+ days ago)</time>', page), path
        shown = re.sub(r"<[^>]+>", " ", page)  # the text a reader sees
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", shown), path
