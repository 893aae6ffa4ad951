"""Fuzzing the reader and the commands with hypothesis.

The reader's whole contract is small: for any bytes it returns a valid issue or
raises ``IssueFileError`` naming the file, in one line, and nothing else.  The
stateful test drives the CLI with random sequences of operations, hand edits and
deletions included, and compares every listing with a plain model of the issues.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import string
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import make_repo
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from git_issues.cli import cli
from git_issues.cli.app import all_commands
from git_issues.core.model import Issue
from git_issues.errors import IssueFileError
from git_issues.fileformat.issuefile import dump_issue, load_text

PATH = ".issues/fuzz0001.yml"
FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_reader_contract(data: bytes) -> Issue | None:
    """An Issue, or an IssueFileError that names the file in one line: nothing else."""
    try:
        issue = load_text(data, PATH)
    except IssueFileError as exc:
        assert exc.path == PATH
        assert str(exc).startswith(PATH + ": ")
        assert "\n" not in str(exc) and "\r" not in str(exc)
        return None
    assert isinstance(issue, Issue)
    # What was read can be written canonically, and that reads back the same.
    text = dump_issue(issue)
    again = load_text(text.encode("utf-8"), PATH)
    assert dump_issue(again) == text
    return issue


# --- the reader ---------------------------------------------------------------------------

@FAST
@given(st.binary(max_size=2048))
def test_random_bytes(data):
    assert_reader_contract(data)


yaml_bits = st.sampled_from(
    ["[", "]", "{", "}", "- ", ": ", "? ", ",", "\n", "  ", "&a ", "*a", "!!str ", "!!python/",
     "<<: ", "'", '"', "|", ">", "#", "---", "...", "%YAML 1.1\n", "id", "title", "status",
     "created", "comments", "links", "blocks", "2026-02-30", "0x1f", "~", "\\e", "\t", "é"])


@FAST
@given(st.lists(yaml_bits, max_size=80).map("".join))
def test_random_yaml_shaped_text(text):
    assert_reader_contract(text.encode("utf-8"))


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=20), st.dates(), st.datetimes(timezones=st.just(dt.UTC)),
    st.sampled_from(["open", "closed", "2026-01-01T00:00:00Z", "P1", "abcd1234", ""]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.one_of(st.text(max_size=8), st.sampled_from(["id", "title", "body", "labels"])),
        inner, max_size=4),
    max_leaves=30,
)
ids = st.text(alphabet=string.digits + string.ascii_lowercase, min_size=1, max_size=18)
issue_like = st.fixed_dictionaries(
    {"id": st.one_of(ids, scalars), "title": st.one_of(st.text(max_size=30), scalars),
     "status": st.sampled_from(["open", "closed", "Open", "in-progress", "", "x" * 40]),
     "created": st.one_of(st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01"]), scalars)},
    optional={"priority": st.one_of(st.integers(-2, 6), scalars),
              "labels": st.one_of(st.lists(st.text(max_size=6), max_size=3), documents),
              "assignee": scalars, "assignees": st.one_of(st.lists(scalars, max_size=12),
                                                           documents),
              "milestone": scalars, "author": scalars, "closed": scalars, "body": scalars,
              "links": st.one_of(st.dictionaries(st.sampled_from(["blocks", "related", "?"]),
                                                 st.lists(ids, max_size=2)), documents),
              "comments": st.one_of(st.lists(st.fixed_dictionaries(
                  {"id": ids, "date": st.sampled_from(["2026-01-02T00:00:00Z", "x"])},
                  optional={"body": scalars, "author": scalars, "extra": documents}),
                  max_size=2), documents),
              "extra": documents},
)


@FAST
@given(st.one_of(documents, issue_like), st.booleans())
def test_random_yaml_documents(document, flow):
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert_reader_contract(text.encode("utf-8"))


@FAST
@given(issue_like)
@example({"id": 1000, "title": "t", "status": "open", "created": "2026-01-01T00:00:00Z"})
def test_mostly_valid_issues_round_trip(document):
    issue = assert_reader_contract(yaml.safe_dump(document, sort_keys=False).encode())
    if issue is not None:
        assert issue.id == expected_id(document["id"])


def expected_id(written: object) -> object:
    """The contract for ids (DESIGN.md): an id is a string.  A hand-written
    ``id: 1000`` is YAML's integer 1000, which the reader takes as the id '1000';
    the canonical writer quotes an all-digit id, so that it reads back a string."""
    return str(written) if type(written) is int else written


def test_an_all_digit_id_is_a_string_written_quoted():
    issue = load_text(b"id: 1000\ntitle: t\nstatus: open\ncreated: '2026-01-01T00:00:00Z'\n",
                      PATH)
    assert issue.id == "1000"
    text = dump_issue(issue)
    assert text.startswith("id: '1000'\n")
    assert load_text(text.encode("utf-8"), PATH).id == "1000"


def loaded_by(loader: type, text: str) -> tuple:
    """What a loader makes of a text: the value, or the error it raises."""
    try:
        return ("value", repr(yaml.load(text, Loader=loader)))  # noqa: S506 - safe subclasses
    except (yaml.YAMLError, ValueError, OverflowError) as exc:  # what load_document handles
        return ("error", type(exc).__name__, str(exc))


no_anchor_texts = st.one_of(
    st.lists(yaml_bits.filter(lambda bit: "&" not in bit), max_size=80).map("".join),
    st.builds(lambda doc, flow: yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True),
              st.one_of(documents, issue_like), st.booleans()),
    st.sampled_from(["a: 1\na: 2\n", "1: x\n'1': y\n", "1: x\n1.0: y\n", "<<: {a: 1}\n",
                     "'<<': 1\n", "? [a]\n: 1\n", "!!binary aGk=\n", "a: !!set {x: null}\n",
                     "a: !!omap [x: 1]\n", "- !!map x\n", "=: 1\n", "a: =\n", "!!str 12\n",
                     "a: !!int '7'\n", "t: 2026-01-01 10:00:00Z\n", "{a: [b, {c: ~}]}\n"]),
)


@FAST
@given(no_anchor_texts)
def test_fast_constructor_builds_what_pyyaml_builds(text):
    """The reader's fast constructor (texts without '&') agrees with PyYAML's
    own safe constructor on every value and every refusal."""
    from git_issues.fileformat.yamlcodec import FastLoader, Loader

    assert loaded_by(FastLoader, text) == loaded_by(Loader, text)


def timestamp_the_long_way(text: str):
    """What parse_timestamp made of a text before its shortcut for canonical ones."""
    from git_issues.core.model import ValidationError, format_timestamp

    try:
        return format_timestamp(dt.datetime.fromisoformat(text.strip()))
    except ValueError:
        return ValidationError


canonical_like = st.builds(
    lambda digits: "{}{}{}{}-{}{}-{}{}T{}{}:{}{}:{}{}Z".format(*digits),
    st.lists(st.sampled_from("0123456789١"), min_size=14, max_size=14))


@FAST
@given(st.one_of(canonical_like, st.text(max_size=25),
                 st.datetimes().map(lambda d: d.isoformat() + "Z"),
                 st.datetimes().map(lambda d: d.replace(microsecond=0).isoformat() + "Z")))
def test_timestamps_read_as_before_the_canonical_shortcut(value):
    from git_issues.core.model import ValidationError, parse_timestamp

    try:
        got = parse_timestamp(value, "created")
    except ValidationError:
        got = ValidationError
    assert got == timestamp_the_long_way(value)


def test_the_fuzzed_commands_exist():
    """The checks below call these; a command that disappeared must fail them, not
    turn them into silent no-ops."""
    assert {"check", "close", "edit", "ls", "new", "reindex"} <= set(all_commands())


# --- the commands over random files ---------------------------------------------------------

def in_repo(root: Path):
    """chdir into ``root`` for a block: CliRunner works in the current directory."""
    class _Cwd:
        def __enter__(self):
            self.old = os.getcwd()
            os.chdir(root)

        def __exit__(self, *exc):
            os.chdir(self.old)
    return _Cwd()


contents = st.one_of(
    st.binary(max_size=300),
    st.one_of(documents, issue_like).map(lambda d: yaml.safe_dump(d).encode("utf-8")),
    st.lists(yaml_bits, max_size=40).map(lambda bits: "".join(bits).encode("utf-8")),
)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(contents, min_size=1, max_size=4))
def test_random_files_through_ls_and_check(repo, invoke, files):
    """Whatever the files hold, ls lists the good issue and names each broken file once;
    check names the same files."""
    issues = repo / ".issues"
    if not issues.exists():
        assert invoke("init", "--no-hooks").exit_code == 0
        invoke("new", "The good one")
    for old in issues.glob("rand*.yml"):
        old.unlink()
    broken = []
    for n, data in enumerate(files):
        name = f"rand{n:04d}.yml"
        (issues / name).write_bytes(data)
        try:
            issue = load_text(data, name)
        except IssueFileError:
            broken.append(name)
        else:
            if issue.id != name[:-4]:
                broken.append(name)
    result = invoke("ls", "-s", "all")
    assert "The good one" in result.stdout
    assert result.exit_code == (1 if broken else 0)
    lines = result.stderr.splitlines()
    assert len(lines) == len(broken)
    for name in broken:
        assert sum(name in line for line in lines) == 1
    checked = invoke("check")  # a command that disappeared fails here, never skips
    assert checked.exit_code == (1 if broken else 0), checked.output
    for name in broken:
        assert name in checked.output


# --- random sequences of operations against a model -----------------------------------------

titles = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=24,
).filter(lambda t: t.strip() != "")
labels = st.lists(st.sampled_from(["bug", "ui", "db", "p-x", "ünï"]), max_size=3, unique=True)
priorities = st.none() | st.integers(0, 4)


class IssuesMachine(RuleBasedStateMachine):
    """The CLI, in-process, against a dict of what the issues should be."""

    issue_ids = Bundle("issue_ids")

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="fuzz-repo-"))
        make_repo(self.root / "repo")
        self.repo = self.root / "repo"
        self.runner = CliRunner()
        self.model: dict[str, dict] = {}
        self.broken: set[str] = set()
        assert self.cli("init", "--no-hooks").exit_code == 0

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def cli(self, *args: str):
        with in_repo(self.repo):
            return self.runner.invoke(cli, list(args), catch_exceptions=False)

    def path(self, issue_id: str) -> Path:
        return self.repo / ".issues" / f"{issue_id}.yml"

    @rule(target=issue_ids, title=titles, labels=labels, priority=priorities)
    def new(self, title, labels, priority):
        args = ["new"]
        for label in labels:
            args += ["-l", label]
        if priority is not None:
            args += ["-p", str(priority)]
        result = self.cli(*args, "--", title)
        assert result.exit_code == 0, result.output
        issue_id = result.stdout.strip()
        assert issue_id not in self.model and issue_id not in self.broken
        self.model[issue_id] = {"title": title.strip(), "labels": labels,
                                "priority": priority, "status": "open"}
        return issue_id

    @rule(issue_id=issue_ids, title=titles)
    def hand_edit_title(self, issue_id, title):
        assume(issue_id in self.model)
        path = self.path(issue_id)
        issue = load_text(path.read_bytes(), str(path))
        issue.title = title.strip()
        path.write_text(dump_issue(issue), encoding="utf-8")  # same size often: racy stat
        self.model[issue_id]["title"] = title.strip()

    @rule(issue_id=issue_ids, data=st.sampled_from([b"", b"[" * 20000, b"id: [\n", b"\xff"]))
    def hand_break(self, issue_id, data):
        assume(issue_id in self.model)
        self.path(issue_id).write_bytes(data)
        del self.model[issue_id]
        self.broken.add(issue_id)

    @rule(issue_id=consumes(issue_ids))
    def delete(self, issue_id):
        path = self.path(issue_id)
        if path.exists():
            path.unlink()
        self.model.pop(issue_id, None)
        self.broken.discard(issue_id)

    @rule(issue_id=issue_ids)
    def close(self, issue_id):
        assume(issue_id in self.model)
        result = self.cli("close", issue_id)
        assert result.exit_code == 0, result.output
        self.model[issue_id]["status"] = "closed"

    @rule(issue_id=issue_ids, label=st.sampled_from(["bug", "new-one"]))
    def edit_label(self, issue_id, label):
        assume(issue_id in self.model)
        result = self.cli("edit", issue_id, "-l", label)
        assert result.exit_code == 0, result.output
        if label not in self.model[issue_id]["labels"]:
            self.model[issue_id]["labels"] = [*self.model[issue_id]["labels"], label]

    @rule()
    def reindex(self):
        result = self.cli("reindex")
        assert result.exit_code == (1 if self.broken else 0), result.output

    @rule(status=st.sampled_from(["open", "closed", "all"]),
          label=st.none() | st.sampled_from(["bug", "ui", "ünï", "none-such"]),
          sort=st.sampled_from(["created", "priority", "title", "activity"]))
    def ls(self, status, label, sort):
        args = ["ls", "-s", status, "--sort", sort, "--json"]
        if label:
            args += ["-l", label]
        result = self.cli(*args)
        expected = {
            issue_id: fields for issue_id, fields in self.model.items()
            if (status == "all" or fields["status"] == status)
            and (label is None or label in fields["labels"])
        }
        got = {row["id"]: row for row in json.loads(result.stdout)}
        assert set(got) == set(expected)
        for issue_id, fields in expected.items():
            row = got[issue_id]
            assert row["title"] == fields["title"]
            assert row.get("labels", []) == fields["labels"]
            assert row.get("priority") == fields["priority"]
        if sort == "priority":
            order = [row.get("priority") for row in json.loads(result.stdout)]
            ranked = [p for p in order if p is not None]
            assert ranked == sorted(ranked) and order[: len(ranked)] == ranked
        self.check_errors(result)

    def check_errors(self, result) -> None:
        assert result.exit_code == (1 if self.broken else 0)
        lines = result.stderr.splitlines()
        assert len(lines) == len(self.broken)
        for issue_id in self.broken:
            assert sum(f"{issue_id}.yml" in line for line in lines) == 1

    @rule(issue_id=issue_ids)
    def show(self, issue_id):
        result = self.cli("show", issue_id, "--json")
        if issue_id in self.model:
            assert result.exit_code == 0
            assert json.loads(result.stdout)["title"] == self.model[issue_id]["title"]
        else:
            assert result.exit_code == 1 and result.stderr.startswith("error: ")

    @invariant()
    def files_match_the_model(self):
        names = {p.stem for p in (self.repo / ".issues").glob("*.yml")} - {"config"}
        assert names == set(self.model) | self.broken


def test_random_operations_match_a_model(repo):
    """``repo`` only seals the environment here; each example makes its own repository."""
    run_state_machine_as_test(IssuesMachine, settings=settings(
        max_examples=15, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))


@pytest.mark.parametrize("depth", [31, 32])
def test_nesting_limit_is_exact(depth):
    """The limit is where it says: a document nested to the limit loads, one more does not."""
    text = (f"id: lim00001\ntitle: t\nstatus: open\ncreated: '2026-01-01T00:00:00Z'\n"
            f"x: {'[' * depth}{']' * depth}\n")
    if depth < 32:
        assert load_text(text.encode(), PATH).extra["x"] is not None
    else:
        with pytest.raises(IssueFileError, match="nested deeper than 32"):
            load_text(text.encode(), PATH)
