"""The sync engine's three-way compare, the options' one check, and the GitHub adapter
against the stand-in: typed values in, typed values out (in-process, no subprocess)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from github_standin import Repo, StandIn, make_comment, make_issue, serving

from git_issues.errors import FieldError
from git_issues.sync.engine import (
    Conflict,
    Held,
    LocalComment,
    Outgoing,
    Plan,
    Step,
    as_base,
    changed_here,
    compare,
    compare_text,
    plan_push,
    settle,
)
from git_issues.sync.github.adapter import GitHubForge
from git_issues.sync.github.client import Client
from git_issues.sync.github.mapping import RemoteComment, RemoteIssue
from git_issues.sync.github.push import SyncOptions
from git_issues.sync.state import Entry, digest

TOKEN = "ghp_standInToken0123456789"
REPO = "acme/rocket"
BASE = {"title": "Crash", "status": "open", "closed": None, "labels": ["bug", "ui"],
        "assignees": [], "milestone": "v1", "body": "The body\n"}


def test_each_field_is_taken_sent_kept_or_held():
    local = {**BASE, "labels": ["ui", "bug"], "body": "Edited here\n", "milestone": "v2"}
    remote = {**BASE, "title": "Crash on start", "milestone": "v3"}
    plan = compare(as_base(BASE), local, remote)
    assert plan.take == {"title": "Crash on start"}  # changed on the forge only
    assert plan.send == ["body"]  # changed here only (the label order is no change)
    assert plan.conflicts == [Conflict("milestone", "v2", "v3")]
    assert changed_here(as_base(BASE), local, ["title", "labels", "milestone", "body"],
                        held=["milestone"]) == ["body"]


def test_without_a_base_every_difference_is_held():
    plan = compare(None, {**BASE, "title": "Mine"}, {**BASE, "status": "closed"})
    assert plan.take == {} and plan.send == []
    assert [c.field for c in plan.conflicts] == ["title", "status"]


def test_the_issue_rule_is_checked_once_and_names_fields():
    with pytest.raises(FieldError) as caught:
        SyncOptions(prefer_ids=["abcd2345"])
    assert caught.value.field == "prefer_ids" and "--" not in str(caught.value)
    with pytest.raises(FieldError) as caught:
        SyncOptions(prefer="theirs")
    assert caught.value.field == "prefer"
    assert SyncOptions(prefer="local", prefer_ids=["abcd2345"]).prefer_ids == ["abcd2345"]


@pytest.fixture
def github() -> Iterator[StandIn]:
    stand_in = StandIn(token=TOKEN)
    stand_in.repos[REPO] = Repo(
        [make_issue(REPO, 1, "From GitHub", labels=["bug"]),
         make_issue(REPO, 2, "A PR", pull=True)],
        [make_comment(REPO, 1, 501, "First\r\nline")])
    with serving(stand_in) as served:
        yield served


def test_the_github_adapter_speaks_typed_values(github):
    with Client(github.url, TOKEN) as client:
        forge = GitHubForge(client, REPO)
        with forge.issue_pages(None) as pages:
            listed = [issue for page in pages for issue in page]
        assert [(i.number, i.is_pull) for i in listed] == [(1, False), (2, True)]
        assert isinstance(listed[0], RemoteIssue) and listed[0].labels == ["bug"]
        with forge.comment_pages(None) as pages:
            comments = [c for page in pages for c in page]
        assert comments == [RemoteComment(501, 1, "hubot <hubot@users.noreply.github.com>",
                                          "2024-01-03T00:00:00Z", "First\nline")]
        values = {**BASE, "status": "not_planned", "labels": ["ui"], "milestone": None}
        made = forge.create_issue(values)
        assert made.number == 3 and made.status == "open"  # the status follows the write-back
        closed = forge.update_issue(made.number, values, ["status"])
        assert closed.status == "not_planned" and closed.closed
        note = forge.add_comment(made.number, "Sent")
        assert note.text == "Sent" and forge.edit_comment(note.id, "Sent, edited") == "Sent, edited"
        assert forge.issue(made.number).title == "Crash"


def test_a_dry_runs_plan_is_told_step_by_step():
    said: list[str] = []
    plan = Plan("GitHub", REPO, said.append)
    plan.add(Step("create here", number=4, title="Won't do"))
    plan.add(Step("update here", "abcd2345", 5, fields=("title", "labels")))
    plan.add(Step("create there", "efgh6789", title="Made here", comments=2))
    plan.add(Step("edit comment there", "efgh6789", 6, comment="t3w8k2ab"))
    assert said == [f"would import {REPO}#4 \"Won't do\"",
                    f"would update abcd2345 ({REPO}#5) from GitHub: title, labels",
                    "would create: efgh6789 'Made here' with 2 comments",
                    f"would edit comment t3w8k2ab on {REPO}#6 (efgh6789)"]
    assert [step.kind for step in plan.steps][-1] == "edit comment there"


# --- the push's plan, made whole from typed values (no forge, no file) ---------------


def entry(values: dict, comments: dict | None = None) -> Entry:
    """The last-synced values of an issue, as the sync state holds them."""
    return Entry(**as_base(values), local_id="abcd2345", comments=comments or {})


def local(number: int | None, values: dict, *comments: LocalComment) -> Outgoing:
    """A local issue as the push sees it (its body as sent: no marker, no attribution)."""
    return Outgoing("abcd2345", values["title"], number, values, (values["body"],), comments)


def test_an_unchanged_issue_makes_an_empty_plan():
    sent = LocalComment("t3w8k2ab", 501, ("Sent\n",))
    plan = plan_push([local(7, BASE, sent)], {7: entry(BASE, {"501": digest("Sent\n")})}, {})
    assert plan.steps == [] and plan.held == []


def test_a_field_edited_here_is_sent_there_with_the_comments():
    mine = {**BASE, "title": "Crash on start", "labels": ["ui", "bug"], "body": "New\n"}
    edited = LocalComment("t3w8k2ab", 501, ("Edited\n",))
    new = LocalComment("q9r7m3cd", None, ("Another\n",))
    plan = plan_push([local(7, mine, edited, new)],
                     {7: entry(BASE, {"501": digest("Sent\n")})}, {})
    assert plan.steps == [
        Step("update there", "abcd2345", 7, fields=("title", "body")),  # label order: no edit
        Step("edit comment there", "abcd2345", 7, comment="t3w8k2ab"),
        Step("comment there", "abcd2345", 7, comment="q9r7m3cd")]


def test_a_conflict_the_pull_held_is_not_sent():
    theirs = {**BASE, "title": "Theirs"}
    mine = {**BASE, "title": "Mine", "milestone": "v2"}
    held = [c.field for c in compare(as_base(BASE), mine, theirs).conflicts]
    plan = plan_push([local(7, mine)], {7: entry(BASE)}, {7: set(held)})
    assert plan.steps == [Step("update there", "abcd2345", 7, fields=("milestone",))]
    assert plan.held == [Held("abcd2345", 7, ("title",))]


def test_prefer_settles_a_conflict_local_by_sending_ours_remote_by_taking_theirs():
    theirs = {**BASE, "title": "Theirs", "labels": ["ui"]}
    mine = {**BASE, "title": "Mine"}
    compared = compare(as_base(BASE), mine, theirs)
    assert settle(compared, None) == compared  # held
    local_wins = settle(compared, "local")
    assert local_wins.conflicts == [] and local_wins.take == {"labels": ["ui"]}
    assert settle(compared, "remote").take == {"title": "Theirs", "labels": ["ui"]}
    # settled locally by the pull: GitHub's values are the base, the push sends ours
    pulled = {**mine, **local_wins.take}
    plan = plan_push([local(7, pulled)], {7: entry(theirs)}, {})
    assert plan.steps == [Step("update there", "abcd2345", 7, fields=("title",))]


def test_a_new_issue_is_created_there_and_one_never_synced_is_compared_first():
    new = LocalComment("t3w8k2ab", None, ("First\n",))
    plan = plan_push([local(None, BASE, new), local(8, BASE)], {}, {})
    assert plan.steps == [Step("create there", "abcd2345", title="Crash", comments=1),
                          Step("comment with it", "abcd2345", comment="t3w8k2ab"),
                          Step("compare", "abcd2345", 8)]
    said: list[str] = []
    Plan("GitHub", REPO, said.append).tell(plan.steps)
    assert said == ["would create: abcd2345 'Crash' with 1 comments",
                    f"would compare abcd2345 ({REPO}#8) with GitHub (no last-synced values)"]


def test_a_comments_text_is_compared_three_ways():
    sent = digest("Sent\n")
    mine = ["Sent\n", "*From Ann on 2024-01-02 in the repository:*\n\nSent\n"]
    assert compare_text(sent, mine, mine[1]) == "same"  # our attribution line is no edit
    assert compare_text(sent, ["Edited here\n"], "Sent\n") == "send"
    assert compare_text(sent, mine, "Edited there\n") == "take"
    assert compare_text(sent, ["Mine\n"], "Theirs\n") == "hold"
    assert compare_text(None, mine, "Theirs\n") == "hold"  # no base: neither side known
    assert compare_text(sent, ["Mine\n"], "Theirs\n", prefer="local") == "send"
    assert compare_text(sent, ["Mine\n"], "Theirs\n", prefer="remote") == "take"
