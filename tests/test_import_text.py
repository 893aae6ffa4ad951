"""What an import makes of GitHub's texts: the fast paths agree with the rule.

``clean_text`` and ``one_line`` return most texts untouched after one
``isprintable`` test (they run 150,000 times in an import of 10,000 issues);
here each is held to the rule it shortcuts, on texts made of the characters
that matter: line ends of every kind, control characters, lone surrogates,
spaces that are not the ASCII space.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from git_issues.sync.text import body_text, clean_text, one_line

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_AWKWARD = "ab \t\n\r\x1b\x85\xa0\u2028\u3000\ud800\udfffé€😀"


def rule_clean(text: object) -> str:
    if text is None:
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("\ufffd", text)


def rule_one_line(text: object) -> str:
    return " ".join(rule_clean(text).split())


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_AWKWARD, max_size=12) | st.text(max_size=12))
def test_clean_and_one_line_follow_the_rule(text: str) -> None:
    assert clean_text(text) == rule_clean(text)
    assert one_line(text) == rule_one_line(text)


def test_what_a_reader_sees() -> None:
    assert one_line("  Crash\r\non  start\x1b ") == "Crash on start\ufffd"
    assert clean_text("line\r\nnext\rlast\ud800") == "line\nnext\nlast\ufffd"
    assert body_text("Steps:\r\n\r\n1. run it\r\n") == "Steps:\n\n1. run it\n"
    assert one_line(None) == "" and one_line(12) == "12"
    assert one_line("Title") == "Title" and one_line("a\u3000b") == "a b"
