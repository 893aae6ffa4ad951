"""``serve`` knows what changed from the operating system's events, and stays exact.

Each page used to stat every issue file; with the watcher (``web.watcher``) a
page refreshes only the files an event named.  These tests change files the ways
a team does while the page is open (an edit a moment before the next load, a
checkout of a thousand files, ``.issues/`` removed and made again) and check
that the page never shows an old state; and that a watcher that lost events, or
was told of more files than it keeps, falls back to checking every file.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import git
from test_index import sources, write_issue
from webserver import Served

from git_issues.index.query import open_index
from git_issues.web.watcher import Watcher

pytest.importorskip("watchdog", reason="the web view's watcher is not installed")


def _titles(page: str) -> list[str]:
    return re.findall(r'<td class="title"><a href="[^"]*">([^<]*)</a>', page)


@pytest.fixture
def watched(repo: Path) -> Path:
    for n in range(3):
        write_issue(repo, f"eeee{n:04d}", f"Issue {n}", day=1 + n)
    git(repo, "add", ".issues")
    git(repo, "commit", "-q", "-m", "three issues")
    return repo


def test_an_edit_made_just_before_each_load_is_always_on_the_page(watched: Path):
    with Served(watched) as served:
        served.get("/r/repo/")
        for n in range(40):  # no pause: the page must wait for the change's event
            write_issue(watched, "eeee0001", f"Issue 1 v{n % 10}", day=2)  # same size
            assert f"Issue 1 v{n % 10}" in _titles(served.get("/r/repo/").text), n


def test_a_checkout_of_a_thousand_files_shows_on_the_next_load(repo: Path):
    for n in range(1000):
        write_issue(repo, f"ffff{n:04d}", f"Old {n}", day=1 + n % 28)
    git(repo, "add", ".issues")
    git(repo, "commit", "-q", "-m", "a thousand issues")
    git(repo, "checkout", "-q", "-b", "renamed")
    for n in range(1000):
        write_issue(repo, f"ffff{n:04d}", f"New {n}", day=1 + n % 28)
    git(repo, "commit", "-q", "-am", "every title changed")
    git(repo, "checkout", "-q", "-")
    with Served(repo) as served:
        assert _titles(served.get("/r/repo/?sort=title").text)[0] == "Old 0"
        git(repo, "checkout", "-q", "renamed")
        page = served.get("/r/repo/?sort=title&status=all").text
        assert _titles(page)[0] == "New 0" and "1000 issues" in page
        assert not any(t.startswith("Old") for t in _titles(page))
        git(repo, "checkout", "-q", "-")
        assert _titles(served.get("/r/repo/?sort=title").text)[0] == "Old 0"


def test_the_issue_folder_removed_and_made_again_is_watched_again(watched: Path):
    with Served(watched) as served:
        assert "Issue 2" in _titles(served.get("/r/repo/").text)
        shutil.rmtree(watched / ".issues")
        assert _titles(served.get("/r/repo/").text) == []
        git(watched, "checkout", "-q", "--", ".issues")
        assert "Issue 2" in _titles(served.get("/r/repo/").text)
        path = watched / ".issues" / "eeee0002.yml"
        path.write_text(path.read_text().replace("Issue 2\n", "Issue 2 again\n"))
        assert "Issue 2 again" in _titles(served.get("/r/repo/").text)


# --- the watcher itself, in this process --------------------------------------------


def _changes(watcher: Watcher) -> set[str] | None:
    with watcher.changes() as names:
        return names


@pytest.fixture
def watcher(watched: Path):
    made = Watcher(watched / ".issues", limit=5)
    yield made
    made.close()


def test_the_watcher_names_the_changed_files_and_nothing_else(watcher: Watcher, watched: Path):
    assert _changes(watcher) is None  # its first answer: check every file
    assert _changes(watcher) == set()
    write_issue(watched, "eeee0001", "Changed")
    (watched / ".issues" / "eeee0002.yml").unlink()
    (watched / ".issues" / "templates").mkdir()
    (watched / ".issues" / "templates" / "bug.yml").write_text("title: x\n")
    assert _changes(watcher) == {"eeee0001.yml", "eeee0002.yml"}
    assert _changes(watcher) == set()


def test_the_watcher_names_fanned_out_files_and_checks_all_when_a_folder_goes(
        watcher: Watcher, watched: Path):
    folder = watched / ".issues"
    _changes(watcher)
    (folder / "ee").mkdir()
    assert _changes(watcher) is None  # a folder of issues came: every file is checked
    (folder / "eeee0001.yml").rename(folder / "ee" / "eeee0001.yml")
    assert _changes(watcher) == {"eeee0001.yml", "ee/eeee0001.yml"}
    moved = folder / "ee" / "eeee0001.yml"
    moved.write_text(moved.read_text().replace("Issue 1", "Issue 1 in its folder"))
    assert _changes(watcher) == {"ee/eeee0001.yml"}
    shutil.rmtree(folder / "ee")
    assert _changes(watcher) is None  # the folder went whole


def test_more_changes_than_the_watcher_keeps_mean_check_every_file(watcher: Watcher,
                                                                   watched: Path):
    _changes(watcher)
    for n in range(watcher.limit + 1):
        write_issue(watched, f"gggg{n:04d}", f"New {n}")
    assert _changes(watcher) is None
    assert _changes(watcher) == set()


def test_lost_events_mean_check_every_file(watcher: Watcher, watched: Path):
    from watchdog.events import EventsLostEvent

    _changes(watcher)
    write_issue(watched, "eeee0001", "Changed")
    watcher.seen(EventsLostEvent(str(watched / ".issues"), is_directory=True))  # as on overflow
    assert _changes(watcher) is None


def test_a_failed_refresh_keeps_what_the_watcher_said(watcher: Watcher, watched: Path):
    _changes(watcher)
    write_issue(watched, "eeee0001", "Changed")
    with pytest.raises(RuntimeError), watcher.changes() as names:
        assert names == {"eeee0001.yml"}
        raise RuntimeError("the refresh failed")
    assert _changes(watcher) is None  # so the next page checks every file


def test_pages_read_through_the_watcher_see_every_change(watcher: Watcher, watched: Path):
    src = sources(watched)._replace(feed=watcher)
    for n in range(12):  # past the watcher's limit of 5, and back
        for k in range(n % 7):
            write_issue(watched, f"hhhh{n:02d}{k:02d}", f"Round {n} {k}")
        write_issue(watched, "eeee0000", f"Zero {n % 10}")  # the same size: racy
        with open_index(src) as view:
            titles = {row["title"] for row in view.list(_all())}
        assert f"Zero {n % 10}" in titles and all(f"Round {n} {k}" in titles for k in range(n % 7))


def _all():
    from git_issues.core.filters import Filters

    return Filters(status="all")


def test_a_watcher_closed_leaves_no_thread_and_no_descriptor(watched: Path):
    def counts() -> tuple[int, int]:
        return threading.active_count(), len(os.listdir("/proc/self/fd"))

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc to count descriptors")
    before = counts()
    for n in range(30):
        made = Watcher(watched / ".issues")
        _changes(made)
        write_issue(watched, "eeee0001", f"Round {n}")
        assert _changes(made) == {"eeee0001.yml"}
        made.close()
    deadline = time.monotonic() + 5
    while counts() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counts() == before


def test_a_page_kept_from_before_is_never_sent_after_a_change(watched: Path):
    with Served(watched) as served:
        first = served.get("/r/repo/").text
        assert served.get("/r/repo/").text == first  # nothing changed: the same page
        git(watched, "checkout", "-q", "-b", "topic")  # no file changes, the branch does
        assert "topic" in served.get("/r/repo/").text
        issue = served.get("/r/repo/issues/eeee0001").text
        write_issue(watched, "eeee0001", "Issue 1", day=2, body="A new body.")
        assert "A new body." in served.get("/r/repo/issues/eeee0001").text != issue
        (watched / ".issues" / "eeee0002.yml").unlink()
        assert "Issue 2" not in _titles(served.get("/r/repo/").text)
