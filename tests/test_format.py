"""The issue file (DESIGN.md §1): the canonical writer and the safe reader.

The file is what people read in pull requests and edit by hand, so these tests
look at bytes and lines, not only at loaded values.
"""

from __future__ import annotations

import copy
import difflib
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from git_issues.core.model import (
    COMMENT_KEYS,
    ISSUE_KEYS,
    LEGACY_KEYS,
    ORIGIN_KEYS,
    Comment,
    Issue,
    format_timestamp,
)
from git_issues.errors import IssueFileError
from git_issues.fileformat.issuefile import dump_issue, load_text

DESIGN_EXAMPLE = """\
id: 4k7xq2m9
title: Engine cache leaks file descriptors across workspaces
status: open
priority: 1
labels:
- bug
- index
assignees:
- alice@example.com
milestone: v1.0
author: Bob Dev <bob@example.com>
created: '2026-11-26T12:00:00Z'
links:
  blocks:
  - 9m2p7c4a
body: |
  Markdown text, any length.
comments:
- id: t3w8k2ab
  author: Alice <alice@example.com>
  date: '2026-11-26T13:05:00Z'
  body: |
    Reproduced on Linux.
"""


def replaced(issue: Issue, **changes) -> Issue:
    """A copy with some fields changed (what dataclasses.replace does)."""
    out = copy.copy(issue)
    for name, value in changes.items():
        setattr(out, name, value)
    return out


def load(text: str, path: str = ".issues/4k7xq2m9.yml") -> Issue:
    return load_text(text.encode("utf-8"), path)


def plain(**fields) -> Issue:
    base = {"id": "abcd1234", "title": "A title", "status": "open",
            "created": "2026-11-26T12:00:00Z"}
    return Issue(**{**base, **fields})


def top_keys(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^([A-Za-z_']\S*?):", text, re.M)]


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    return [line for line in diff if line[:1] in "+-"]


# --- the canonical text --------------------------------------------------------------


def test_design_example_round_trips_byte_for_byte():
    issue = load(DESIGN_EXAMPLE)
    assert dump_issue(issue) == DESIGN_EXAMPLE
    assert issue.priority == 1 and issue.labels == ["bug", "index"]
    assert issue.links == {"blocks": ["9m2p7c4a"]}
    assert issue.comments[0].body == "Reproduced on Linux.\n"


def test_keys_follow_the_fixed_order_whatever_order_they_came_in():
    shuffled = """\
comments:
- body: hi
  gitlab_id: 79
  gitea_id: 78
  github_id: 77
  date: '2026-11-27T00:00:00Z'
  author: C <c@example.com>
  id: cccc1111
body: text
links:
  related:
  - eeee2222
beads: bd-6df0
gitea:
  host: codeberg.org
  repo: acme/rocket
  number: 3
gitlab:
  project: acme/tools/rocket
  iid: 12
github:
  repo: acme/rocket
  number: 12
closed: '2026-11-28T00:00:00Z'
created: '2026-11-26T12:00:00Z'
author: A <a@example.com>
milestone: m1
assignees:
- b@example.com
labels:
- x
priority: 2
status: closed
title: T
id: abcd1234
"""
    text = dump_issue(load(shuffled, ".issues/abcd1234.yml"))
    after_closed = ISSUE_KEYS.index("closed") + 1  # where an issue came from, then links
    expected = [*ISSUE_KEYS[:after_closed], *ORIGIN_KEYS, *ISSUE_KEYS[after_closed:]]
    assert top_keys(text) == expected
    comment_keys = re.findall(r"^(?:- |  )(\w+):", text.split("comments:\n")[1], re.M)
    assert comment_keys == list(COMMENT_KEYS)


def test_closed_follows_created():
    text = dump_issue(plain(status="closed", closed="2026-11-27T09:00:00Z", body="b"))
    assert "created: '2026-11-26T12:00:00Z'\nclosed: '2026-11-27T09:00:00Z'\nbody: b\n" in text


def test_empty_fields_are_omitted():
    text = dump_issue(plain(labels=[], links={"blocks": []}, body="", assignees=[], milestone=None))
    assert top_keys(text) == ["id", "title", "status", "created"]


@pytest.mark.parametrize("body", [
    "line one\nline two\n",
    "line one\n\n  indented code\n",
    "Markdown hard break  \nnext line\n",  # trailing spaces inside a line
    "code:\n\tindented with a tab\n",
    "\tstarts with a tab\n",
    "  starts indented\nthen not\n",
    "no final newline\nat all",
])
def test_multi_line_text_is_a_literal_block(body):
    issue = plain(body=body, comments=[Comment(id="cccc1111", date="2026-11-27T00:00:00Z",
                                               body=body)])
    text = dump_issue(issue)
    assert re.search(r"^body: \|", text, re.M), text
    assert re.search(r"^  body: \|", text, re.M), text
    assert "\\n" not in text  # no double-quoted escapes
    assert load(text, "x.yml") == issue


@pytest.mark.parametrize("value", [
    "no", "yes", "No", "off", "on", "true", "null", "Null", "~", "1.0", "0x1", "0o17", "012",
    "1_000", "1e3", ".inf", ".nan", "2026-11-26", "2026-11-26T12:00:00Z", "12:30",
    "- starts like a list", "-", "#not a comment", "x #y", ": colon first", "key: value",
    "@at", "`tick", "'single", '"double', "trailing spaces  ", " leading", "!tag", "&anchor",
    "*alias", "%directive", "|", ">", "? q", "[flow", "{flow", "=", "<<",
])
def test_implicit_type_traps_are_quoted_and_read_back_as_text(value):
    issue = plain(title=value if value.strip() else "t", milestone=value.strip() or None,
                  labels=[value.strip()], extra={"note": value})
    text = dump_issue(issue)
    for key in ("title", "milestone", "note"):
        line = next(li for li in text.splitlines() if li.startswith(f"{key}: "))
        raw = line.split(": ", 1)[1]
        loaded = yaml.safe_load(raw)
        # Either the plain scalar already means this very string, or it is quoted.
        assert loaded == (issue.title if key == "title" else
                          issue.milestone if key == "milestone" else value), line
    back = load(text, "x.yml")
    assert back == issue
    assert isinstance(back.title, str) and back.extra["note"] == value


def test_empty_string_and_ambiguous_scalars_in_unknown_keys_stay_strings():
    issue = plain(extra={"empty": "", "nothing": None, "flag": "yes", "num": "1.0"})
    text = dump_issue(issue)
    assert "empty: ''\n" in text and "nothing: null\n" in text
    assert load(text, "x.yml").extra == {"empty": "", "nothing": None, "flag": "yes",
                                         "num": "1.0"}


def test_other_unicode_line_breaks_survive():
    """U+2028/U+2029 are YAML line breaks: written raw they would fold away."""
    issue = plain(title="a\u2028b", body="x\u2029y\nz\n", extra={"k": "p\u2028q"})
    text = dump_issue(issue)
    assert load(text, "x.yml") == issue
    assert len(text.splitlines()) == len(text.split("\n")) - 1  # no raw break in the file


def test_unknown_keys_are_kept_on_rewrite():
    text = DESIGN_EXAMPLE.replace(
        "\nbody: |\n", "\nestimate: 3d\nreviewers:\n- carol\nbody: |\n"
    ).replace("    Reproduced on Linux.\n",
              "    Reproduced on Linux.\n  reactions:\n    heart: 2\n")
    issue = load(text)
    assert issue.extra == {"estimate": "3d", "reviewers": ["carol"]}
    assert issue.comments[0].extra == {"reactions": {"heart": 2}}
    rewritten = dump_issue(replaced(issue, title="New title"))
    again = load(rewritten)
    assert again.extra == issue.extra
    assert again.comments[0].extra == {"reactions": {"heart": 2}}
    # Unknown keys follow the known ones, in their own order.
    assert top_keys(rewritten)[-2:] == ["estimate", "reviewers"]


def test_a_quoted_merge_key_is_an_ordinary_unknown_key():
    """Only a plain '<<' merges (and is refused); the writer quotes it, so it must load."""
    issue = plain(extra={"<<": "kept", "=": 1})
    text = dump_issue(issue)
    assert "'<<': kept\n" in text
    assert load(text, "x.yml") == issue
    with pytest.raises(IssueFileError, match="merge keys"):
        load(VALID + "<<: {title: other}\n", "x.yml")


def test_a_change_to_one_field_changes_only_its_lines():
    issue = load(DESIGN_EXAMPLE)
    before = dump_issue(issue)

    def diff_of(**changes) -> list[str]:
        return changed_lines(before, dump_issue(replaced(issue, **changes)))

    assert diff_of(title="Renamed") == [
        "- title: Engine cache leaks file descriptors across workspaces",
        "+ title: Renamed",
    ]
    assert diff_of(priority=3) == ["- priority: 1", "+ priority: 3"]
    assert diff_of(labels=["bug", "index", "perf"]) == ["+ - perf"]
    assert diff_of(status="closed", closed="2026-11-27T00:00:00Z") == [
        "- status: open", "+ status: closed", "+ closed: '2026-11-27T00:00:00Z'",
    ]
    assert diff_of(body="Markdown text, any length.\nAnd more.\n") == ["+   And more."]
    comment = Comment(id="zzzz9999", date="2026-11-28T00:00:00Z", body="Me too.\n",
                      author="Zed <z@example.com>")
    assert diff_of(comments=[*issue.comments, comment]) == [
        "+ - id: zzzz9999", "+   author: Zed <z@example.com>",
        "+   date: '2026-11-28T00:00:00Z'", "+   body: |", "+     Me too.",
    ]


def test_assignees_and_milestone_change_only_their_lines():
    issue = load(DESIGN_EXAMPLE)
    before = dump_issue(issue)

    def diff_of(**changes) -> list[str]:
        return changed_lines(before, dump_issue(replaced(issue, **changes)))

    assert diff_of(assignees=["alice@example.com", "bob@example.com"]) == ["+ - bob@example.com"]
    assert diff_of(milestone="v2.0") == ["- milestone: v1.0", "+ milestone: v2.0"]
    assert diff_of(milestone=None) == ["- milestone: v1.0"]


FIRST_FORMAT = DESIGN_EXAMPLE.replace(
    "assignees:\n- alice@example.com\nmilestone: v1.0\n", "assignee: alice@example.com\n")


def test_first_format_assignee_is_read_as_one_assignee_and_rewritten_in_place():
    assert "assignee: alice@example.com\n" in FIRST_FORMAT
    issue = load(FIRST_FORMAT)
    assert issue.assignees == ["alice@example.com"] and issue.milestone is None
    assert "assignee" not in issue.extra and "assignee" not in issue.to_dict()
    # The next rewrite replaces that one line by the list, where the list belongs.
    assert sorted(changed_lines(FIRST_FORMAT, dump_issue(issue))) == [
        "+ - alice@example.com", "+ assignees:", "- assignee: alice@example.com"]


@pytest.mark.parametrize(("extra", "expected"), [
    ("assignee: ''\n", []),
    ("assignee: null\n", []),
    ("assignees:\n- bob\n- bob\n- al\n", ["bob", "al"]),  # a set in a list: order kept
    ("assignees: [bob]\nassignee: al\n", ["bob", "al"]),  # an old client added one
    ("assignees: [bob]\nassignee: bob\n", ["bob"]),
])
def test_assignees_as_written_by_hand(extra, expected):
    assert load(VALID + extra, "x.yml").assignees == expected


def test_ten_assignees_are_allowed_like_github():
    ten = [f"p{i}@example.com" for i in range(10)]
    assert load(VALID + "assignees: [" + ", ".join(ten) + "]\n", "x.yml").assignees == ten


def test_long_titles_are_never_folded():
    title = "word " * 150 + "end"
    text = dump_issue(plain(title=title))
    assert f"title: {title}\n" in text


# --- what a person may write by hand -----------------------------------------------


@pytest.mark.parametrize(("written", "expected"), [
    ("created: 2026-11-26T12:00:00Z", "2026-11-26T12:00:00Z"),  # unquoted: YAML timestamp
    ("created: 2026-11-26 12:00:00", "2026-11-26T12:00:00Z"),
    ("created: 2026-11-26T14:00:00+02:00", "2026-11-26T12:00:00Z"),
    ("created: '2026-11-26T14:00:00+02:00'", "2026-11-26T12:00:00Z"),
    ("created: 2026-11-26", "2026-11-26T00:00:00Z"),
    ("created: '2026-11-26T12:00:00.123456Z'", "2026-11-26T12:00:00Z"),
])
def test_hand_written_timestamps_load_in_canonical_form(written, expected):
    text = f"id: abcd1234\ntitle: T\nstatus: open\n{written}\n"
    issue = load(text, "x.yml")
    assert issue.created == expected
    assert f"created: '{expected}'\n" in dump_issue(issue)


@pytest.mark.parametrize(("written", "expected"), [
    ("1", 1), ("P0", 0), ("p4", 4), ("'3'", 3), ("P2 ", 2),
])
def test_hand_written_priorities(written, expected):
    issue = load(f"id: abcd1234\ntitle: T\nstatus: open\ncreated: 2026-11-26\n"
                 f"priority: {written}\n", "x.yml")
    assert issue.priority == expected
    assert f"priority: {expected}\n" in dump_issue(issue)


def test_hand_written_flow_style_and_folded_text_load():
    text = """\
{id: abcd1234, title: Flow style, status: open, created: 2026-11-26,
 labels: [bug, ui], links: {blocked_by: [eeee2222]}}
"""
    issue = load(text, "x.yml")
    assert issue.labels == ["bug", "ui"] and issue.links == {"blocked_by": ["eeee2222"]}
    folded = load("id: abcd1234\ntitle: T\nstatus: open\ncreated: 2026-11-26\n"
                  "body: >\n  one\n  two\n", "x.yml")
    assert folded.body == "one two\n"


def test_hand_written_numeric_id_loads():
    """An all-digit id is valid (4 to 16 of 0-9a-z); unquoted, YAML reads it as a number."""
    issue = load("id: 12345678\ntitle: T\nstatus: open\ncreated: 2026-11-26\n"
                 "links:\n  blocks:\n  - 87654321\n", ".issues/12345678.yml")
    assert issue.id == "12345678" and issue.links == {"blocks": ["87654321"]}
    assert "id: '12345678'\n" in dump_issue(issue)


def test_duplicate_labels_are_dropped_and_bom_ignored():
    issue = load("\ufeffid: abcd1234\ntitle: T\nstatus: open\ncreated: 2026-11-26\n"
                 "labels: [a, b, a]\n", "x.yml")
    assert issue.labels == ["a", "b"]


# --- errors name the file and the field ----------------------------------------------

VALID = "id: abcd1234\ntitle: T\nstatus: open\ncreated: '2026-11-26T12:00:00Z'\n"


@pytest.mark.parametrize(("text", "field"), [
    ("title: T\nstatus: open\ncreated: 2026-11-26\n", "id"),
    ("id: abcd1234\nstatus: open\ncreated: 2026-11-26\n", "title"),
    ("id: abcd1234\ntitle: T\ncreated: 2026-11-26\n", "status"),
    ("id: abcd1234\ntitle: T\nstatus: open\n", "created"),
    ("id: AB/CD\ntitle: T\nstatus: open\ncreated: 2026-11-26\n", "id"),
    (VALID.replace("title: T", "title: ''"), "title"),
    (VALID.replace("title: T", "title: yes"), "title"),
    (VALID.replace("title: T", "title: \"a\\nb\""), "title"),
    (VALID.replace("status: open", "status: Not A Word"), "status"),
    (VALID.replace("created: '2026-11-26T12:00:00Z'", "created: tomorrow"), "created"),
    (VALID + "priority: 7\n", "priority"),
    (VALID + "priority: P9\n", "priority"),
    (VALID + "priority: high\n", "priority"),
    (VALID + "priority: ²\n", "priority"),
    (VALID + "labels: bug\n", "labels"),
    (VALID + "labels:\n- ' padded '\n", "label"),
    (VALID + "closed: soon\n", "closed"),
    (VALID + "links: [abcd]\n", "links"),
    (VALID + "links:\n  blocks: [NOT-AN-ID]\n", "links.blocks"),
    (VALID + "comments:\n- id: cccc1111\n  body: no date\n", "comments[0].date"),
    (VALID + "comments:\n- id: x\n  date: 2026-11-26\n", "comments[0].id"),
    (VALID + "comments: hello\n", "comments"),
    (VALID + "assignee: [a, b]\n", "assignee"),
    (VALID + "assignees: alice\n", "assignees"),
    (VALID + "assignees:\n- ''\n", "assignee"),
    (VALID + "assignees:\n- [x]\n", "assignee"),
    (VALID + "assignees: [" + ", ".join(f"p{i}" for i in range(11)) + "]\n", "assignees"),
    (VALID + "milestone: 1.0\n", "milestone"),
    (VALID + "milestone: [v1]\n", "milestone"),
    (VALID + "milestone: \"a\\nb\"\n", "milestone"),
])
def test_validation_errors_name_the_file_and_the_field(text, field):
    with pytest.raises(IssueFileError) as caught:
        load(text, ".issues/abcd1234.yml")
    message = str(caught.value)
    assert message.startswith(".issues/abcd1234.yml: "), message
    assert field in message, message
    assert "\n" not in message


@pytest.mark.parametrize("text", [
    "", "just a string\n", "- a list\n", "id: [unclosed\n", "a: 1\na: 2\n",
    VALID + "title: again\n",
])
def test_broken_documents_name_the_file(text):
    with pytest.raises(IssueFileError) as caught:
        load(text, ".issues/abcd1234.yml")
    assert str(caught.value).startswith(".issues/abcd1234.yml: ")
    assert "\n" not in str(caught.value)


def test_invalid_utf8_names_the_file():
    with pytest.raises(IssueFileError, match=r"^\.issues/x\.yml: not valid UTF-8"):
        load_text(VALID.encode() + b"body: \xff\xfe\n", ".issues/x.yml")


# --- the property: any valid issue writes and reads back equal -------------------------

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters YAML and people trip over, mixed with anything Unicode has.
_TRICKY = st.sampled_from(list(" \t\n\r#:-'\"|>{}[]&*!%@`,?~\\\u2028\u2029\xa0é\U0001F600"))
_any_text = st.text(st.one_of(_TRICKY, st.characters(blacklist_categories=("Cs",))),
                    max_size=40)
_text = _any_text.filter(lambda s: not _CONTROL.search(s))
_yaml_words = st.sampled_from(["no", "yes", "null", "~", "1.0", "0x1", "2026-11-26", "-x",
                               "#x", ":x", "@x", "'x", "x  ", "", "<<", "=", "true", "..."])
_one_line = st.one_of(_yaml_words, _text).filter(lambda s: "\n" not in s and "\r" not in s)
_ids = st.text("0123456789abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=16)
_stamps = st.datetimes().map(format_timestamp)
_words = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
_who = st.none() | _one_line.filter(bool)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     _yaml_words, _any_text)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_any_text, inner, max_size=3),
    max_leaves=8,
)


def _extra(known: tuple[str, ...]):
    keys = st.one_of(_words, _yaml_words, _any_text).filter(lambda k: k not in known)
    return st.dictionaries(keys, _values, max_size=3)


_comments = st.builds(Comment, id=_ids, date=_stamps, body=st.one_of(_yaml_words, _text),
                      author=_who, extra=_extra(COMMENT_KEYS))
_issues = st.builds(
    Issue,
    id=_ids,
    title=_one_line.filter(lambda s: s.strip()),
    status=_words,
    created=_stamps,
    priority=st.none() | st.integers(0, 4),
    labels=st.lists(_one_line.filter(lambda s: s.strip() and s == s.strip()), unique=True,
                    max_size=4),
    assignees=st.lists(_one_line.filter(lambda s: s.strip() and s == s.strip()), unique=True,
                       max_size=3),
    milestone=st.none() | _one_line.filter(lambda s: s.strip() and s == s.strip()),
    author=_who,
    closed=st.none() | _stamps,
    links=st.dictionaries(_words, st.lists(_ids, min_size=1, max_size=3), max_size=3),
    body=st.one_of(_yaml_words, _text),
    comments=st.lists(_comments, max_size=3),
    extra=_extra(ISSUE_KEYS + LEGACY_KEYS + ORIGIN_KEYS),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_issues)
def test_any_valid_issue_round_trips_and_rewrites_byte_stable(issue):
    text = dump_issue(issue)
    back = load_text(text.encode("utf-8"), ".issues/x.yml")
    assert back == issue
    assert dump_issue(back) == text
    # The pure-Python reader (used where PyYAML lacks libyaml) agrees with the C one.
    assert yaml.load(text, Loader=yaml.SafeLoader) == yaml.load(text, Loader=yaml.CSafeLoader)


def test_the_file_format_modules_import_in_no_circle():
    """The reader's door (issuefile) and the PyYAML codec (yamlcodec) imported each
    other; their shared limits live below both now.  Imports inside functions count:
    a circle is one however late its second half runs."""
    import ast
    from pathlib import Path

    import git_issues.fileformat as package

    folder = Path(package.__file__).parent
    imports: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module \
                    and node.module.startswith("git_issues.fileformat."):
                names.add(node.module.rpartition(".")[2])
            elif isinstance(node, ast.ImportFrom) and node.module == "git_issues.fileformat":
                names.update(alias.name for alias in node.names)
        imports[path.stem] = names

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for name in imports.get(start, ()):
            if name == goal or (name not in seen and reaches(name, goal, seen | {name})):
                return True
        return False

    assert [name for name in imports if reaches(name, name, {name})] == []


def test_an_atomic_write_replaces_whole_or_leaves_all_as_it_was(tmp_path):
    """store.write_atomic, the one atomic write: the new bytes, no temporary left;
    a write the system refuses raises and leaves neither a temporary nor a change."""
    from git_issues.repo.store import write_atomic

    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
    blocked = tmp_path / "folder"  # a non-empty directory cannot be renamed over
    blocked.mkdir()
    (blocked / "kept").write_bytes(b"kept")
    with pytest.raises(OSError):
        write_atomic(blocked, b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "state.json"]
    assert (blocked / "kept").read_bytes() == b"kept"
