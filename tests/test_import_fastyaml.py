"""The import's fast writer gives exactly the bytes of the canonical writer, or steps aside."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from git_issues.core.model import Comment, Issue
from git_issues.fileformat.fastyaml import dump
from git_issues.fileformat.issuefile import dump_issue, load_text
from git_issues.fileformat.yamlcodec import dump_mapping

TRICKY = ["no", "yes", "Off", "null", "~", "1.0", "0x1f", "1_000", "2026-11-26", "12:30",
          "- item", "-x", "? q", "?q", ": c", "a: b", "a:b", "a #b", "a#b", "#12 broken",
          "[WIP] x", "{x}", "x,y", "'quoted'", 'say "hi"', "100%", "@me", "`code`", "!tag",
          "&a", "*a", "|x", ">x", "---x", "...x", "x ", " x", "é unicode ☃", "tab\there",
          "a\u2028b", "\x85", "\ufeff", "=", "<<", "Fix: crash", "https://example.com/x",
          "ends with:", "C++ and C#", "e\u0301", "\U0001f600 emoji"]
texts = st.one_of(st.sampled_from(TRICKY), st.text(min_size=1, max_size=30))
bodies = st.one_of(texts, st.lists(st.one_of(texts, st.just(""), st.just("  indented"),
                                             st.just("\ttabbed")), min_size=1, max_size=5)
                   .map(lambda lines: "\n".join(lines) + "\n"),
                   st.sampled_from(["a\nb", "a\n\n", "\n", " lead\n", "x\n\ny\n", "\tt\n"]))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(title=texts, label=texts, body=bodies, comment=bodies, who=texts, number=st.integers(1))
def test_the_fast_writer_matches_the_canonical_one(title, label, body, comment, who, number):
    issue = Issue(id="abcd2345", title=title.replace("\n", " ") or "t", status="open",
                  created="2026-01-01T00:00:00Z", labels=[label], author=who, body=body,
                  comments=[Comment(id="cccc1111", date="2026-01-02T00:00:00Z", author=who,
                                    body=comment, github_id=number)],
                  origin={"github": {"repo": "acme/rocket", "number": number,
                                     "url": "https://github.com/acme/rocket/issues/1"}},
                  links={"blocked_by": ["eeee2222"]})
    fast = dump(issue.to_dict())
    if fast is not None:  # PyYAML's own writer, not dump_issue: that one asks fastyaml first
        assert fast == dump_mapping(issue.to_dict())
    FAST_USED.append(fast is not None)


FAST_USED: list[bool] = []


def test_the_fast_writer_was_not_just_stepping_aside():
    """Runs after the property test (file order): most generated issues took the fast path."""
    print(f"fast path: {sum(FAST_USED)} of {len(FAST_USED)}")
    assert FAST_USED and sum(FAST_USED) >= len(FAST_USED) / 20


def test_the_fast_writer_handles_what_an_import_writes():
    issue = Issue(id="abcd2345", title="Crash: on start [linux]", status="closed",
                  created="2026-01-01T00:00:00Z", closed="2026-01-03T00:00:00Z",
                  labels=["bug", "no"], author="alice <alice@users.noreply.github.com>",
                  body="Steps:\n\n1. run\n2. see `x: y` # here\n",
                  comments=[Comment(id="cccc1111", date="2026-01-02T00:00:00Z", author="b",
                                    body="Seen it.", github_id=7)],
                  origin={"github": {"repo": "acme/rocket", "number": 12,
                                     "url": "https://github.com/acme/rocket/issues/12"}})
    fast = dump(issue.to_dict())
    assert fast is not None and fast == dump_mapping(issue.to_dict()) == dump_issue(issue)
    assert load_text(fast.encode(), "x") == issue


class _Analyzer:
    """What ``Emitter.analyze_scalar`` reads of its emitter."""

    allow_unicode = True


ONE_LINE = st.text(alphabet=st.sampled_from(list("ab1 :#-?,[]{}&*!|>'\"%@`.~=+é☃")),
                   min_size=1, max_size=12)


@settings(max_examples=2000, deadline=None)
@given(text=st.one_of(ONE_LINE, st.sampled_from(TRICKY), st.text(min_size=1, max_size=20)))
def test_the_plain_rule_is_pyyamls(text):
    """The regular expression that stands in for ``analyze_scalar`` decides as it does."""
    from yaml.emitter import Emitter

    from git_issues.fileformat.fastyaml import _NOT_PLAIN, _PRINTABLE

    if "\n" in text or not re.fullmatch(_PRINTABLE, text):
        return  # not a text this rule is asked about
    analysis = Emitter.analyze_scalar(_Analyzer, text)  # type: ignore[arg-type]
    assert analysis.allow_single_quoted
    assert (_NOT_PLAIN.search(text) is None) == analysis.allow_block_plain, text


def test_timestamps_and_repeated_texts_are_written_as_pyyaml_writes_them():
    from git_issues.fileformat.fastyaml import _scalar
    from git_issues.fileformat.yamlcodec import dump_mapping

    for text in ("2026-01-02T03:04:05Z", "bug", "a: b", "yes", "null", "user <u@example.com>") * 2:
        assert f"k: {_scalar(text)}\n" == dump_mapping({"k": text})
    # Numbers and dates as text: PyYAML's writer decides the whole file.
    for text in ("1.5", "2026-01-02", "12"):
        assert dump({"k": text}) is None


@given(text=st.one_of(st.sampled_from(["yes", "No", "null", "~", "<<", "=", "on", "OFF", "12",
                                       "!", "&", "*", "0x1f", "1.5", ".inf", "2026-01-02",
                                       "4k7xq2m9", "-1"]),
                      st.text(min_size=1, max_size=12)))
def test_the_resolver_rule_is_pyyamls(text):
    """What ``_resolves_to_text`` says of a plain text, PyYAML's resolver agrees with;
    where it is unsure the fast writer steps aside."""
    from yaml import ScalarNode

    from git_issues.fileformat.fastyaml import _RESOLVED_EXACTLY, _RESOLVED_FIRST, _resolves_to_text
    from git_issues.fileformat.yamlcodec import Dumper

    assert set(Dumper.yaml_implicit_resolvers) - {""} == _RESOLVED_FIRST

    is_text = Dumper.resolve(Dumper, ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"
    if _resolves_to_text(text):
        assert is_text, text
    elif text[0].isalpha() or text[0] in _RESOLVED_EXACTLY:
        assert not is_text, text
