"""The pull of ``sync github``: the import, adopting marked issues, holding conflicts.

The pull is ``import github`` with three additions: an issue GitHub shows that
carries the hidden marker ``<!-- git-issues:ID -->`` of a local issue without a
GitHub number is *adopted* (a crash between the POST and the write-back must
not give a second issue); a field changed on both sides is held back (neither
side written, the last-synced value kept in the state file so the conflict is
seen again next time) unless ``prefer`` settles it; held issues the pull did
not see are fetched one by one so a conflict never silently turns into a push.

Comments are compared three ways too, by the digest of their text kept per
GitHub comment id: edited on one side, the edit goes to the other; edited on
both, the comment is held like a field (``comment:ID`` in ``held``).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.index.spill import CommentSpill
from git_issues.sync import state as state_mod
from git_issues.sync.apply import Writer
from git_issues.sync.engine import (
    COMMENT_HELD,
    Plan,
    Step,
    as_base,
    compare_text,
    local_values,
)
from git_issues.sync.github.client import RateLimited
from git_issues.sync.github.importer import Importer, Progress
from git_issues.sync.github.mapping import (
    RemoteComment,
    RemoteIssue,
)
from git_issues.sync.github.outgoing import (
    MARKER_RE,
    Pushed,
    Say,
    comment_texts,
    shorten,
    without_attribution,
)
from git_issues.sync.origins import FORGE_KEYS

if TYPE_CHECKING:
    from git_issues.core.model import Comment, Issue
    from git_issues.repo.workspace import Workspace
    from git_issues.sync.github.client import Client
    from git_issues.sync.github.push import SyncOptions


class DryWriter(Writer):
    """A writer for ``--dry-run``: keeps what would be written in memory, touches nothing."""

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.issues: dict[str, Issue] = {}

    def __enter__(self) -> DryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def mint_id(self) -> str:
        return self.mint_id_avoiding(set(self.issues))

    def create(self, issue: Issue, data: Any = None, base: Any = None) -> None:
        self.issues[issue.id] = copy.deepcopy(issue)
        self.written += 1

    def replace(self, issue: Issue, data: bytes, base: Any = None) -> None:
        self.create(issue)

    def stage_later(self, path: Any) -> None:
        pass


class SyncImporter(Importer):
    """The import, adopting marked issues and holding conflicts back (see the module doc)."""

    def __init__(self, ws: Workspace, repo: str, client: Client, options: SyncOptions,
                 pushed: Pushed, *, say: Say, progress: Progress | None) -> None:
        super().__init__(ws, repo, client, say=say, progress=progress)
        self.prefer = options.prefer
        self.prefer_ids = None if options.prefer_ids is None else set(options.prefer_ids)
        self.dry_run = options.dry_run
        self.pushed = pushed
        self.plan = Plan(self.kind.name, self.repo, say)  # --dry-run: what the run would do
        self.held_before = {int(n): set(f) for n, f in self.state.held.items()}
        self.state.held = {}
        self.seen: set[int] = set()
        self.seen_comments: set[int] = set()
        self.kept_bases: dict[tuple[int, int], str | None] = {}  # held comments' old bases
        self.overlay: dict[str, Issue] = {}  # --dry-run: the files as the pull would leave them
        self.statuses_added: dict[str, str] = {}  # --dry-run: what config.yml would gain

    def settles(self, issue_id: str) -> str | None:
        """How ``--prefer`` settles this issue's conflicts: local, remote or not at all."""
        if self.prefer_ids is not None and issue_id not in self.prefer_ids:
            return None
        return self.prefer

    # --- --dry-run: reads only ----------------------------------------------------

    def _writer(self) -> Writer:
        if not self.dry_run:
            return super()._writer()
        writer = DryWriter(self.ws)
        self.overlay = writer.issues
        return writer

    def _save_state(self) -> None:
        self._restore_comment_bases()
        if not self.dry_run:
            super()._save_state()

    def _add_statuses(self) -> None:
        if not self.dry_run:
            super()._add_statuses()
            return
        missing = [s for s in self.new_statuses if s not in self.ws.config().statuses]
        if missing:
            self.summary.notes.append(f"would add the statuses {', '.join(missing)} (closed) "
                                      "to .issues/config.yml for GitHub's close reasons")
        self.statuses_added = {s: self.new_statuses[s] for s in missing}

    def _known_numbers(self) -> dict[int, str]:
        """With ``--dry-run``, from the files themselves: refreshing the index writes it."""
        if not self.dry_run:
            return super()._known_numbers()
        known = self.state.issues.local_ids()
        kind, host = self.kind, getattr(self.forge, "host", None)
        for issue_id in self.ws.store.ids():
            try:
                origin = self.ws.store.read(issue_id).origin.get(kind.key)
            except (IssueFileError, GitIssuesError):
                continue
            if origin and kind.is_of(origin, self.repo, host):
                known[int(origin[kind.number_key])] = issue_id
        return known

    def _create(self, remote: RemoteIssue, comments: list[RemoteComment]) -> None:
        before = self.summary.imported
        super()._create(remote, comments)
        if self.dry_run and self.summary.imported > before:
            self.plan.add(Step("create here", number=remote.number, title=remote.title))

    def _save_if_changed(self, before: Issue, after: Issue, data: bytes) -> None:
        if self.dry_run and after != before:
            old, new = local_values(before), local_values(after)
            what = [f for f in state_mod.FIELDS if old[f] != new[f] and f != "closed"]
            if before.comments != after.comments:
                what.append("comments")
            number = self.kind.number(after)
            self.plan.add(Step("update here", after.id, number,
                               fields=tuple(what) or ("comment ids",)))
        super()._save_if_changed(before, after, data)

    # --- issues ------------------------------------------------------------------

    def _one_issue(self, remote: RemoteIssue, comments: list[RemoteComment]) -> None:
        number = remote.number
        self.seen.add(number)
        self.seen_comments.update(comment.id for comment in comments)
        if number not in self.known and self._adopt(remote):
            return
        self._base_of_our_own(remote)
        old = copy.deepcopy(self.state.issues.get(number))
        super()._one_issue(remote, comments)
        held = self.state.held.get(str(number), [])
        entry = self.state.issues.get(number)
        if old is not None and entry is not None:
            for field in held:
                if field.startswith(COMMENT_HELD):
                    continue
                entry.keep_from(old, field)  # a held field keeps its old base
                if field == "status":
                    entry.keep_from(old, "closed")
        self._restore_comment_bases()

    def _adopt(self, remote: RemoteIssue) -> bool:
        """A remote issue carrying a local issue's marker: that issue, created by a run
        that stopped before writing the number back.  Write it back now."""
        match = MARKER_RE.search(remote.body)
        if match is None or not self.ws.store.exists(match[1]):
            return False
        try:
            issue, data = self.ws.store.read_with_bytes(match[1])
        except IssueFileError:
            return False
        if any(key in issue.origin for key in FORGE_KEYS):
            return False
        number = remote.number
        issue.origin.update(self.new_origin(remote))
        entry = self.state.entry(number, issue.id, as_base(remote.values()))
        self.writer.replace(issue, data, base=self.state.journal_base(number, entry))
        self.known[number] = issue.id
        self.state.issues.keep(number, entry)
        self.pushed.adopted += 1
        return True

    def _base_of_our_own(self, remote: RemoteIssue) -> None:
        """A known issue with no last-synced values that this tool created (its body
        carries the local issue's marker): a push killed after writing the number
        back but before saving the state.  GitHub holds what was sent, so its values
        are the base: without one, every field the push decorated (the attribution
        line, the marker) would read as changed on both sides."""
        number = remote.number
        if self.state.base(number) is not None:
            return
        match = MARKER_RE.search(remote.body)
        if match is not None and match[1] == self.known.get(number):
            self.state.record(number, match[1], as_base(remote.values()))

    def _conflict(self, issue: Issue, field: str, mine: Any, theirs: Any, number: int) -> None:
        """A conflict ``prefer`` did not settle (``engine.settle``): held back."""
        forge = self.kind.name
        self.state.held.setdefault(str(number), []).append(field)
        self.pushed.conflicts.append(
            f"{issue.id} ({self.repo}#{number}) {field}: changed here and on {forge}: "
            f"here {shorten(mine)}, on {forge} {shorten(theirs)}; neither changed "
            f"(--prefer local|remote [--issue {issue.id}] settles it)")

    # --- comments ------------------------------------------------------------------

    def _merge_comments(self, after: Issue, number: int, rows: list[RemoteComment]) -> None:
        """Adopt GitHub's copy of a comment sent by a run that stopped before writing
        its id back (same text as a comment here that has no id yet); then compare
        the comments both sides have three ways; the import adds the new ones."""
        remote_id = self.kind.comment_id
        unsent = [c for c in after.comments if remote_id(c) is None]
        known = {remote_id(c) for c in after.comments}
        for row in rows if unsent else []:
            github_id, theirs = row.id, row.text
            match = next((c for c in unsent if remote_id(c) is None and github_id not in known
                          and theirs in comment_texts(c)), None)
            if match is not None:
                self.kind.set_comment_id(match, github_id)
                known.add(github_id)
                self.pushed.adopted += 1
        by_github = {remote_id(c): c for c in after.comments if remote_id(c) is not None}
        for row in rows:
            if row.id in by_github:
                self._merge_comment(after, number, by_github[row.id], row.text)
        super()._merge_comments(after, number, [r for r in rows if r.id not in by_github])

    def _merge_comment(self, after: Issue, number: int, mine: Comment, theirs: str) -> None:
        forms = comment_texts(mine)
        if theirs in forms:
            return  # the common case, told without decoding the issue's base
        github_id = self.kind.comment_id(mine)
        assert github_id is not None
        base = self.state.comment_base(number, github_id)
        decided = compare_text(base, forms, theirs, self.settles(after.id))
        if decided == "take":  # edited on GitHub only, or --prefer remote
            mine.body = without_attribution(mine, theirs)
        if decided != "hold":
            return  # same, or ours to send (edited here only, or --prefer local)
        self.state.held.setdefault(str(number), []).append(f"{COMMENT_HELD}{github_id}")
        self.kept_bases[(number, github_id)] = base
        self.pushed.conflicts.append(
            f"{after.id} ({self.repo}#{number}) comment {mine.id}: edited here and on "
            f"{self.kind.name} ({self.kind.comment_url(after, github_id)}); neither changed "
            f"(--prefer local|remote [--issue {after.id}] settles it)")

    def _restore_comment_bases(self) -> None:
        """A held comment keeps its old last-synced text, so the conflict is seen again."""
        for (number, github_id), base in self.kept_bases.items():
            entry = self.state.issues.get(number)
            if entry is None:
                continue
            if base is None:
                entry.comments.pop(str(github_id), None)
            else:
                entry.comments[str(github_id)] = base

    def _leftover_comments(self, spill: CommentSpill) -> None:
        for (number, github_id) in self._held_comments():
            if github_id not in self.seen_comments:  # unchanged on GitHub: ask for it again
                self._refetch_comment(spill, number, github_id)
        super()._leftover_comments(spill)
        self._restore_comment_bases()
        for number in sorted(set(self.held_before) - self.seen):
            fields = self.held_before[number]
            if all(f.startswith(COMMENT_HELD) for f in fields):
                continue  # only comments held: asked for above
            remote = self.forge.issue(number, what=f"issue {self.repo}#{number}")
            if remote is not None and remote.number == number:
                self._one_issue(remote, [])

    def _held_comments(self) -> list[tuple[int, int]]:
        return [(number, int(f[len(COMMENT_HELD):])) for number, fields in
                sorted(self.held_before.items()) for f in sorted(fields)
                if f.startswith(COMMENT_HELD)]

    def _refetch_comment(self, spill: CommentSpill, number: int, github_id: int) -> None:
        """Put a held comment GitHub did not change back into the spill, so that step 3
        compares it again (it may have been settled by an edit on either side)."""
        try:
            comment = self.forge.comment(github_id, number)
        except RateLimited:
            raise
        except GitIssuesError as exc:  # deleted on GitHub: nothing left to hold it against
            self.summary.notes.append(f"no longer held: {exc}")
            return
        if comment is not None:
            self.seen_comments.add(github_id)
            spill.put([comment.row()])
