"""The merge driver: real repositories, two branches each, merged by the real git.

Edits are made on the files through the library (as a hand edit or any
command would leave them) so these tests depend only on the file format and
the driver; ``git merge``, ``rebase``, ``cherry-pick`` and ``stash pop`` run
the driver the way a user's git does, through the ``git-issues`` script.
"""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
from conftest import git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from git_issues.core.model import Comment, Issue
from git_issues.fileformat.issuefile import dump_issue, load_text
from git_issues.gitint import mergedriver as merge
from git_issues.repo import registration

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

T0 = "2026-11-26T12:00:00Z"


# --- helpers ------------------------------------------------------------------

def path_of(repo: Path, issue_id: str) -> Path:
    return repo / ".issues" / f"{issue_id}.yml"


def read(repo: Path, issue_id: str) -> Issue:
    return load_text(path_of(repo, issue_id).read_bytes(), issue_id)


def write(repo: Path, issue: Issue) -> None:
    path_of(repo, issue.id).write_text(dump_issue(issue), encoding="utf-8")
    git(repo, "add", str(path_of(repo, issue.id)))


def change(repo: Path, issue_id: str, message: str, edit) -> None:
    """Edit one issue through a function, stage and commit it."""
    issue = read(repo, issue_id)
    edit(issue)
    write(repo, issue)
    git(repo, "commit", "-q", "-m", message)


def add_comment(issue: Issue, cid: str, body: str, date: str) -> None:
    issue.comments.append(Comment(id=cid, author="Ada Tester <ada@example.com>", date=date,
                                  body=body))


def merge_branch(repo: Path, branch: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "merge", "--no-edit", branch], cwd=repo, capture_output=True,
                          text=True)


@pytest.fixture
def project(invoke, repo):
    """An initialised repository with two committed issues; returns their ids."""
    assert invoke("init", "--no-hooks").exit_code == 0
    write(repo, Issue(id="first111", title="Engine leaks descriptors", status="open",
                      created=T0, labels=["bug", "index"], body="Seen on Linux.\nTwice.\n"))
    write(repo, Issue(id="second22", title="Docs are thin", status="open", created=T0))
    git(repo, "commit", "-q", "-m", "issues")
    return "first111", "second22"


def two_branches(repo: Path, ours, theirs, issue_id: str) -> subprocess.CompletedProcess:
    """Apply ``theirs`` on branch 'topic' and ``ours`` on main, then merge topic into main."""
    git(repo, "checkout", "-q", "-b", "topic")
    change(repo, issue_id, "theirs", theirs)
    git(repo, "checkout", "-q", "main")
    change(repo, issue_id, "ours", ours)
    return merge_branch(repo, "topic")


def assert_canonical(repo: Path, issue_id: str) -> None:
    data = path_of(repo, issue_id).read_bytes()
    assert dump_issue(load_text(data, issue_id)).encode() == data


# --- registration -------------------------------------------------------------

def test_init_registers_the_driver_once(run, repo):
    first = run("init", "--no-hooks")
    assert ".gitattributes" in first.stderr
    lines = (repo / ".gitattributes").read_text().splitlines()
    assert ".issues/*.yml merge=git-issues" in lines
    assert ".gitattributes" in git(repo, "diff", "--cached", "--name-only")
    assert git(repo, "config", "merge.git-issues.driver").strip() == registration.DRIVER_COMMAND
    again = run("init", "--no-hooks")
    assert ".gitattributes" not in again.stderr
    assert (repo / ".gitattributes").read_text().splitlines() == lines


def test_init_appends_to_existing_attributes(run, repo):
    (repo / ".gitattributes").write_text("*.png binary")  # no final newline
    run("init", "--no-hooks")
    lines = (repo / ".gitattributes").read_text().splitlines()
    assert lines[0] == "*.png binary"
    assert lines[-1] == ".issues/*.yml merge=git-issues"


def test_a_clone_without_the_config_is_healed_by_the_next_write(run, repo, tmp_path):
    run("init", "--no-hooks")
    git(repo, "commit", "-q", "-m", "init issues")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    assert git(clone, "config", "merge.git-issues.driver", check=False) == ""
    run("new", "Written in the clone", cwd=clone)
    assert git(clone, "config", "merge.git-issues.driver").strip() == registration.DRIVER_COMMAND


def test_no_healing_where_the_attributes_do_not_ask_for_it(run, repo):
    run("new", "No init here")
    assert git(repo, "config", "merge.git-issues.driver", check=False) == ""


def test_init_global_registers_once_per_user(run, repo, tmp_path):
    run("init", "--global")
    config = git(repo, "config", "--global", "merge.git-issues.driver").strip()
    assert config == registration.DRIVER_COMMAND
    assert "already" in run("init", "--global").stderr


# --- merges that must be clean ------------------------------------------------

def test_concurrent_comments_are_both_kept_in_date_order(project, repo):
    first, _ = project
    proc = two_branches(
        repo,
        lambda i: add_comment(i, "ours0001", "Ours, later.", "2026-11-27T10:00:00Z"),
        lambda i: add_comment(i, "thrs0001", "Theirs, earlier.", "2026-11-27T09:00:00Z"),
        first)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [c.id for c in read(repo, first).comments] == ["thrs0001", "ours0001"]
    assert_canonical(repo, first)
    assert git(repo, "status", "--porcelain") == ""


def test_different_fields_both_apply(project, repo):
    first, _ = project

    def ours(issue):
        issue.title = "Engine leaks file descriptors"

    def theirs(issue):
        issue.priority = 1
        issue.assignees = ["bob@example.com"]
        issue.body = "Seen on Linux.\nThree times.\n"

    assert two_branches(repo, ours, theirs, first).returncode == 0
    merged = read(repo, first)
    assert merged.title == "Engine leaks file descriptors"
    assert (merged.priority, merged.assignees) == (1, ["bob@example.com"])
    assert merged.body == "Seen on Linux.\nThree times.\n"
    assert_canonical(repo, first)


def test_labels_added_on_both_sides_are_all_kept(project, repo):
    first, _ = project
    proc = two_branches(repo, lambda i: i.labels.append("perf"),
                        lambda i: i.labels.append("linux"), first)
    assert proc.returncode == 0
    assert read(repo, first).labels == ["bug", "index", "perf", "linux"]


def test_a_label_removed_on_one_side_stays_removed(project, repo):
    first, _ = project
    proc = two_branches(repo, lambda i: i.labels.remove("bug"),
                        lambda i: i.labels.append("linux"), first)
    assert proc.returncode == 0
    assert read(repo, first).labels == ["index", "linux"]


def test_links_merge_as_sets(project, repo):
    first, second = project
    proc = two_branches(repo, lambda i: i.links.setdefault("blocks", []).append(second),
                        lambda i: i.links.setdefault("related", []).append(second), first)
    assert proc.returncode == 0
    assert read(repo, first).links == {"blocks": [second], "related": [second]}


def test_both_sides_closing_keeps_the_earlier_time(project, repo):
    first, _ = project

    def close_at(stamp):
        def edit(issue):
            issue.status, issue.closed = "closed", stamp
        return edit

    proc = two_branches(repo, close_at("2026-11-28T10:00:00Z"), close_at("2026-11-28T09:00:00Z"),
                        first)
    assert proc.returncode == 0
    assert (read(repo, first).status, read(repo, first).closed) == ("closed",
                                                                     "2026-11-28T09:00:00Z")


def test_both_branches_creating_issues(project, run, repo):
    git(repo, "checkout", "-q", "-b", "topic")
    theirs = run("new", "From the topic").stdout.strip()
    git(repo, "commit", "-q", "-m", "topic issue")
    git(repo, "checkout", "-q", "main")
    ours = run("new", "From main").stdout.strip()
    git(repo, "commit", "-q", "-m", "main issue")
    assert merge_branch(repo, "topic").returncode == 0
    listed = run("ls").stdout
    assert theirs in listed and ours in listed


# --- real conflicts -----------------------------------------------------------

def test_the_same_field_changed_two_ways_conflicts_on_that_field_alone(project, run, repo):
    first, second = project

    def retitle(title):
        def edit(issue):
            issue.title = title
            add_comment(issue, f"c{len(title):03d}abc", title, "2026-11-27T09:00:00Z")
        return edit

    proc = two_branches(repo, retitle("Ours says this"), retitle("Theirs says that!"), first)
    assert proc.returncode != 0
    assert "title" in proc.stderr and "git issues check" in proc.stderr
    text = path_of(repo, first).read_text()
    lines = text.splitlines()
    start = lines.index("<<<<<<< HEAD")  # the labels git's own markers carry
    assert lines[start:start + 5] == ["<<<<<<< HEAD", "title: Ours says this", "=======",
                                      "title: Theirs says that!", ">>>>>>> topic"]
    assert text.count("<<<<<<<") == 1  # the comments added on both sides merged fine
    resolved = text.replace("<<<<<<< HEAD\ntitle: Ours says this\n=======\n", "").replace(
        ">>>>>>> topic\n", "")
    issue = load_text(resolved.encode(), first)
    assert len(issue.comments) == 2 and dump_issue(issue) == resolved

    checked = run("check", check=False)
    assert checked.returncode == 1
    assert checked.stdout.startswith(f".issues/{first}.yml: unresolved merge conflict")
    listed = run("ls", check=False)
    assert second in listed.stdout and first not in listed.stdout
    assert f".issues/{first}.yml" in listed.stderr


def test_diff3_style_shows_the_base_too(project, repo):
    first, _ = project
    git(repo, "config", "merge.conflictStyle", "diff3")

    def prio(n):
        def edit(issue):
            issue.priority = n
        return edit

    proc = two_branches(repo, prio(1), prio(3), first)
    assert proc.returncode != 0
    text = path_of(repo, first).read_text()
    base = git(repo, "rev-parse", "--short", "HEAD~1").strip()  # as git's own diff3 line
    assert (f"<<<<<<< HEAD\npriority: 1\n||||||| {base}\n=======\npriority: 3\n"
            ">>>>>>> topic\n") in text


def test_add_add_of_one_id_is_an_id_collision(project, repo):
    first, _ = project
    git(repo, "checkout", "-q", "-b", "topic")
    twin = Issue(id="zzzz2222", title="Theirs", status="open", created=T0)
    write(repo, twin)
    git(repo, "commit", "-q", "-m", "theirs")
    git(repo, "checkout", "-q", "main")
    write(repo, Issue(id="zzzz2222", title="Ours", status="open", created=T0))
    git(repo, "commit", "-q", "-m", "ours")
    proc = merge_branch(repo, "topic")
    assert proc.returncode != 0
    assert "id collision" in proc.stderr
    assert "<<<<<<< HEAD\ntitle: Ours\n=======\ntitle: Theirs\n>>>>>>> topic\n" in path_of(
        repo, "zzzz2222").read_text()


def test_a_side_that_does_not_parse_falls_back_to_a_line_merge(project, repo):
    first, _ = project
    git(repo, "checkout", "-q", "-b", "topic")
    path = path_of(repo, first)
    path.write_text(path.read_text().replace("status: open", "status: [open"))
    git(repo, "commit", "-q", "-am", "break it")
    git(repo, "checkout", "-q", "main")
    change(repo, first, "ours", lambda i: setattr(i, "title", "Ours"))
    proc = merge_branch(repo, "topic")
    assert proc.returncode != 0
    assert "merged line by line" in proc.stderr
    assert "status: [open" in path.read_text()  # nothing dropped


# --- rebase, cherry-pick, stash pop -------------------------------------------

def _diverge(repo: Path, first: str) -> None:
    git(repo, "checkout", "-q", "-b", "topic")
    change(repo, first, "theirs",
           lambda i: (add_comment(i, "thrs0001", "From topic.", "2026-11-27T09:00:00Z"),
                      i.labels.append("linux")))
    git(repo, "checkout", "-q", "main")
    change(repo, first, "ours",
           lambda i: (add_comment(i, "ours0001", "From main.", "2026-11-27T10:00:00Z"),
                      setattr(i, "priority", 2)))


def _expect_both(repo: Path, first: str) -> None:
    issue = read(repo, first)
    assert [c.id for c in issue.comments] == ["thrs0001", "ours0001"]
    assert "linux" in issue.labels and issue.priority == 2
    assert_canonical(repo, first)


def test_rebase_uses_the_driver(project, repo):
    first, _ = project
    _diverge(repo, first)
    git(repo, "checkout", "-q", "topic")
    git(repo, "rebase", "-q", "main")
    _expect_both(repo, first)


def test_cherry_pick_uses_the_driver(project, repo):
    first, _ = project
    _diverge(repo, first)
    git(repo, "cherry-pick", "topic")
    _expect_both(repo, first)


def test_stash_pop_uses_the_driver(project, repo):
    first, _ = project
    git(repo, "checkout", "-q", "-b", "topic")
    git(repo, "checkout", "-q", "main")
    issue = read(repo, first)
    add_comment(issue, "thrs0001", "Uncommitted.", "2026-11-27T09:00:00Z")
    issue.labels.append("linux")
    path_of(repo, first).write_text(dump_issue(issue))
    git(repo, "stash", "-q")
    change(repo, first, "ours",
           lambda i: (add_comment(i, "ours0001", "From main.", "2026-11-27T10:00:00Z"),
                      setattr(i, "priority", 2)))
    git(repo, "stash", "pop", "-q")
    _expect_both(repo, first)


# --- the property: disjoint edits merge to both edits -------------------------

_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
_title = _text.filter(lambda t: t.strip() != "")
_word = st.text("abcdefgh-:#' ", min_size=1, max_size=8).filter(lambda t: t == t.strip() != "")
_body = st.lists(_text, max_size=3).map(lambda ls: "\n".join(ls) + ("\n" if len(ls) > 1 else ""))

SCALARS = {
    "title": _title,
    "status": st.sampled_from(["open", "closed", "in-progress"]),
    "priority": st.none() | st.integers(0, 4),
    "milestone": st.none() | _word,
    "body": _body,
    "x-extra": st.none() | _text | st.lists(st.integers(), max_size=3),
}


def _set_field(issue: Issue, name: str, value) -> None:
    if name == "x-extra":
        issue.extra.pop(name, None)
        if value is not None:
            issue.extra[name] = value
    else:
        setattr(issue, name, value)


@st.composite
def _edits(draw, fields: list[str], tag: str):
    """Edits of ``fields`` plus label and comment changes that cannot collide."""
    scalar = {name: draw(SCALARS[name]) for name in fields}
    labels = draw(st.lists(_word.map(lambda w: f"{tag}{w}"), max_size=2, unique=True))
    comments = draw(st.lists(st.tuples(_text, st.integers(0, 50)), max_size=2))
    return scalar, labels, comments


def _apply(issue: Issue, edit, tag: str, removed: str | None) -> None:
    scalar, labels, comments = edit
    for name, value in scalar.items():
        _set_field(issue, name, value)
    if removed in issue.labels:
        issue.labels.remove(removed)
    issue.labels += [label for label in labels if label not in issue.labels]
    for n, (body, day) in enumerate(comments):
        add_comment(issue, f"{tag}{n:03d}zz", body, f"2026-12-{1 + day % 28:02d}T00:00:00Z")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), base_title=_title, base_labels=st.lists(_word, max_size=3, unique=True))
def test_disjoint_edits_merge_to_both_edits(data, base_title, base_labels):
    base = Issue(id="base1234", title=base_title, status="open", created=T0,
                 labels=list(base_labels))
    add_comment(base, "base0001", "First.", "2026-11-30T00:00:00Z")
    names = list(SCALARS)
    owner = data.draw(st.lists(st.sampled_from([0, 1, 2]), min_size=len(names),
                               max_size=len(names)))
    ours_edit = data.draw(_edits([n for n, o in zip(names, owner, strict=True) if o == 0], "o"))
    theirs_edit = data.draw(_edits([n for n, o in zip(names, owner, strict=True) if o == 1],
                                   "t"))
    dropped = data.draw(st.sampled_from([None, *base_labels]))
    ours, theirs, expected = copy.deepcopy(base), copy.deepcopy(base), copy.deepcopy(base)
    _apply(ours, ours_edit, "o", dropped)
    _apply(theirs, theirs_edit, "t", None)
    _apply(expected, ours_edit, "o", dropped)
    _apply(expected, theirs_edit, "t", None)
    expected.comments.sort(key=lambda c: (c.date, c.id))
    # Round-trip every side through its file, as git hands them to the driver.
    result = merge.merge_bytes(*(dump_issue(i).encode() for i in (base, ours, theirs)),
                               ".issues/base1234.yml")
    assert result.clean, result.text.decode()
    assert result.text.decode() == dump_issue(load_text(dump_issue(expected).encode(), "x"))


def test_init_keeps_a_driver_the_user_configured(run, repo):
    custom = "/opt/gi/bin/git-issues merge-driver %O %A %B %P"
    git(repo, "config", "merge.git-issues.driver", custom)
    run("init", "--no-hooks")
    assert git(repo, "config", "merge.git-issues.driver").startswith("/opt/gi/bin/")


def _resolve(text: str, side: int) -> str:
    """Keep one side of every conflict, as a person choosing 'ours' (0) or 'theirs' (1) would."""
    out, state = [], None
    for line in text.splitlines(keepends=True):
        if line.startswith("<<<<<<< "):
            state = 0
        elif line.startswith("=======") and state is not None:
            state = 1
        elif line.startswith(">>>>>>> "):
            state = None
        elif state is None or state == side:
            out.append(line)
    return "".join(out)


def test_a_comment_edited_two_ways_conflicts_without_losing_new_comments():
    base = Issue(id="abcd1234", title="T", status="open", created=T0)
    add_comment(base, "cmt00001", "Original.", "2026-11-27T09:00:00Z")
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    ours.comments[0].body = "Ours."
    add_comment(ours, "ours0001", "New on ours.", "2026-11-28T09:00:00Z")
    theirs.comments[0].body = "Theirs."
    add_comment(theirs, "thrs0001", "New on theirs.", "2026-11-28T08:00:00Z")
    result = merge.merge_issues(base, ours, theirs)
    assert result.conflicts == ["comments"]
    text = result.text.decode()
    assert text.count("<<<<<<< ours") == 1
    for side, body in ((0, "Ours."), (1, "Theirs.")):
        chosen = load_text(_resolve(text, side).encode(), "x")
        assert [c.id for c in chosen.comments] == ["cmt00001", "thrs0001", "ours0001"]
        assert chosen.comments[0].body == body


def test_the_config_file_is_merged_line_by_line():
    base = b"statuses:\n  open: open\n  closed: closed\n"
    ours = b"# ours\nstatuses:\n  open: open\n  closed: closed\n"
    theirs = b"statuses:\n  open: open\n  closed: closed\n  wontfix: closed\n"
    result = merge.merge_bytes(base, ours, theirs, ".issues/config.yml")
    assert result.clean
    assert result.text == b"# ours\nstatuses:\n  open: open\n  closed: closed\n  wontfix: closed\n"


def test_the_field_merge_is_pure_and_works_on_plain_mappings():
    """core.merge needs no file, text or git: three mappings in, merged fields and
    each clash's two sides out, in file order (the driver and ``resolve`` write them)."""
    from git_issues.core.merge import merge_fields

    old = {"id": "abcd1234", "title": "T", "status": "open", "labels": ["a", "b"]}
    ours = {**old, "title": "Ours", "labels": ["a", "b", "c"], "priority": 1}
    theirs = {**old, "title": "Theirs", "labels": ["b"], "milestone": "v1"}
    merged, conflicts, order = merge_fields(old, ours, theirs)
    assert order == ["id", "title", "status", "priority", "labels", "milestone"]
    assert conflicts == {"title": ("Ours", "Theirs")}
    assert merged == {"id": "abcd1234", "status": "open", "priority": 1, "labels": ["b", "c"],
                      "milestone": "v1"}
    # add/add: no ancestor, so every difference clashes (an id collision)
    assert merge_fields(None, ours, theirs).conflicts.keys() == {"title", "labels", "priority",
                                                                 "milestone"}
