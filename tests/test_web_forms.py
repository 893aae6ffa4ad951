"""The web view's forms over real HTTP (issue 22): the list's label filter takes
several labels and ``~label`` to exclude, as ``ls -l`` does; the new and edit
forms offer the labels, assignees and milestones the repository uses; the 404
and 400 pages keep the header's navigation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import git
from webserver import Served

pytest.importorskip("flask", reason="the web extra is not installed")


@pytest.fixture
def served(invoke, repo: Path):
    invoke("init", "--no-hooks")
    ids = {
        "crash": invoke("new", "Crash on start", "-l", "bug", "-l", "ui").stdout.strip(),
        "typo": invoke("new", "Typo in help", "-l", "bug", "-l", "wontfix").stdout.strip(),
        "dark": invoke("new", "Dark mode", "-l", "feature", "-l", "ui", "-a", "carol",
                       "-M", "v2.0").stdout.strip(),
    }
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "issues")
    with Served(repo) as server:
        server.ids = ids
        yield server


def titles(page: str) -> set[str]:
    return {t for t in ("Crash on start", "Typo in help", "Dark mode") if t in page}


def test_the_label_filter_takes_several_labels_and_excludes_with_a_tilde(served: Served):
    page = served.get("/r/repo/?label=bug&labels=~wontfix")
    assert page.status == 200
    assert titles(page.text) == {"Crash on start"}
    assert titles(served.get("/r/repo/?labels=bug,+ui").text) == {"Crash on start"}
    assert titles(served.get("/r/repo/?labels=ui+~bug").text) == {"Dark mode"}
    # the form shows the filter as typed: the menu's label, the rest in the text field
    assert re.search(r'<option value="bug" selected>', page.text)
    assert 'name="labels" value="~wontfix"' in page.text


def test_new_and_edit_forms_offer_the_values_in_use(served: Served):
    for path in ("/r/repo/new", f"/r/repo/issues/{served.ids['crash']}/edit"):
        page = served.get(path)
        assert page.status == 200
        assert 'name="labels" list="pick-labels"' in page.text
        labels = re.search(r'<datalist id="pick-labels">(.*?)</datalist>', page.text).group(1)
        assert re.findall(r'value="([^"]+)"', labels) == ["bug", "feature", "ui", "wontfix"]
        assert '<datalist id="pick-assignees"><option value="carol">' in page.text
        assert '<datalist id="pick-milestones"><option value="v2.0">' in page.text


def test_error_pages_keep_the_navigation(served: Served):
    for path, code in (("/r/repo/issues/nosuch", 404), ("/r/repo/no/such/page", 404),
                       ("/r/repo/?priority=9", 400)):
        page = served.get(path)
        assert page.status == code, path
        assert '<nav aria-label="repository">' in page.text
        assert f'{served.base}/r/repo/board">Board</a>' in page.text
    missing = served.get("/r/elsewhere/")
    assert missing.status == 404 and "no repository named" in missing.text
    assert "<nav" not in missing.text  # no repository of that name to navigate
    stranger = served.get("/r/repo/issues/nosuch", auth=False)
    assert stranger.status == 403 and "<nav" not in stranger.text


def test_a_board_card_moves_to_another_column(served: Served, repo: Path):
    from helpers import staged

    crash = served.ids["crash"]
    board = served.get("/r/repo/board")
    assert f'action="{served.base}/r/repo/issues/{crash}/move"' in board.text
    assert '<span class="label">bug</span>' in board.text  # cards show their labels
    csrf = board.field("csrf")
    moved = served.post(f"/r/repo/issues/{crash}/move",
                        {"csrf": csrf, "prefix": "", "from": "open", "to": "closed"})
    assert moved.status == 303
    path = repo / ".issues" / f"{crash}.yml"
    assert "status: closed" in path.read_text()
    assert f".issues/{crash}.yml" in staged(repo)
    # a card shown in a column it has left since: refused, nothing written
    before = path.read_bytes()
    stale = served.post(f"/r/repo/issues/{crash}/move",
                        {"csrf": csrf, "prefix": "", "from": "open", "to": "in-progress"})
    assert stale.status == 409 and "no longer in" in stale.text
    assert path.read_bytes() == before
    # a board by label prefix: one label for the other
    dark = served.ids["dark"]
    relabel = served.post(f"/r/repo/issues/{dark}/move",
                          {"csrf": csrf, "prefix": "f", "from": "feature", "to": "fix"})
    assert relabel.status == 303
    text = (repo / ".issues" / f"{dark}.yml").read_text()
    assert "- fix" in text and "- feature" not in text
    forged = served.post(f"/r/repo/issues/{dark}/move",
                         {"csrf": "wrong", "prefix": "", "from": "open", "to": "closed"})
    assert forged.status == 403


def test_link_unlink_delete_a_comment_and_rm_from_the_page(served: Served, invoke,
                                                           repo: Path):
    crash, dark = served.ids["crash"], served.ids["dark"]
    invoke("comment", crash, "-m", "First note")
    invoke("comment", crash, "-m", "Second note")
    path = repo / ".issues" / f"{crash}.yml"
    page = served.get(f"/r/repo/issues/{crash}")
    csrf, digest = page.field("csrf"), page.field("digest")

    linked = served.post(f"/r/repo/issues/{crash}/link",
                         {"csrf": csrf, "digest": digest, "kind": "blocks", "other": dark})
    assert linked.status == 303 and f"blocks:\n  - {dark}" in path.read_text()
    stale = served.post(f"/r/repo/issues/{crash}/link",  # the page shown before the link
                        {"csrf": csrf, "digest": digest, "kind": "related", "other": dark})
    assert stale.status == 409 and "related" not in path.read_text()

    page = served.get(f"/r/repo/issues/{crash}")
    assert 'name="kind" value="blocks"' in page.text  # each link has its unlink button
    unlinked = served.post(f"/r/repo/issues/{crash}/link",
                           {"csrf": csrf, "digest": page.field("digest"), "unlink": "1",
                            "kind": "blocks", "other": dark})
    assert unlinked.status == 303 and dark not in path.read_text()

    page = served.get(f"/r/repo/issues/{crash}")
    first = re.search(r'comments/([^/]+)/delete', page.text).group(1)
    deleted = served.post(f"/r/repo/issues/{crash}/comments/{first}/delete",
                          {"csrf": csrf, "digest": page.field("digest")})
    assert deleted.status == 303
    assert "First note" not in path.read_text() and "Second note" in path.read_text()

    second = re.search(r'comments/([^/]+)/edit', served.get(f"/r/repo/issues/{crash}").text)
    form = served.get(f"/r/repo/issues/{crash}/comments/{second.group(1)}/edit")
    assert form.status == 200 and "Second note</textarea>" in form.text
    edited = served.post(f"/r/repo/issues/{crash}/comments/{second.group(1)}/edit",
                         {"csrf": csrf, "digest": form.field("digest"), "body": "Second, fixed"})
    assert edited.status == 303 and "Second, fixed" in path.read_text()

    confirm = served.get(f"/r/repo/issues/{crash}/rm")
    assert confirm.status == 200 and "Remove issue" in confirm.text and path.exists()
    gone = served.post(f"/r/repo/issues/{crash}/rm",
                       {"csrf": "forged", "digest": confirm.field("digest")})
    assert gone.status == 403 and path.exists()
    gone = served.post(f"/r/repo/issues/{crash}/rm",
                       {"csrf": csrf, "digest": confirm.field("digest")})
    assert gone.status == 303 and not path.exists()
    assert git(repo, "status", "--porcelain", str(path)).startswith("D ")
