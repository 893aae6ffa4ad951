"""The plain reader returns what PyYAML returns, or None: never a different document.

``plainyaml.parse`` reads the canonical issue text without importing PyYAML;
whatever it accepts must be read by PyYAML's guarded loader as the very same
document.  Checked on the writer's own output for awkward issues and on
thousands of seeded mutations of it (each byte change a hand edit or a hostile
file could make).
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from git_issues.core.model import Comment, Issue
from git_issues.fileformat.issuefile import dump_issue
from git_issues.fileformat.plainyaml import parse
from git_issues.fileformat.yamlcodec import Loader

TITLES = ["Plain words", "Fix: colon", "it's quoted", "#12 first", "Fix #12", "yes", "No",
          "null", "123", "0x1f", "1e5", "1.5", "2026-01-02", "- dash", "  padded", "trailing ",
          "Ünïcödé — 日本語 🐛🔥", "a, b [c] {d}", "tab\there", "'quoted'", '"double"', "~",
          "on", "@mention", "!tag", "&anchor", "*alias", "% percent", "`tick`", "a: b",
          "ends:", "x" * 300, "\u00a0nbsp", "zero\u200bwidth", "0", "-1", "007", "12ab"]
BODIES = ["", "one line", "two\nlines\n", "no final break", "\n\nleading breaks",
          "trailing breaks\n\n\n", "  indented first\nline", "\tTab first", "code:\n    x = 1\n",
          "# heading\n\n- item\n  - nested\n", "trailing space \nhere", "a\n\n\nb",
          "ctrl\x07char", "crlf\r\nline", "line\u2028sep", "key: value\nother: 1\n"]


def awkward_issues() -> list[Issue]:
    rng = random.Random(7)
    issues = []
    for n, title in enumerate(TITLES):
        body = BODIES[n % len(BODIES)]
        comments = [Comment(id=f"c{n:07d}", author=rng.choice(TITLES[:8]),
                            date="2026-01-02T03:04:05Z", body=rng.choice(BODIES) or "x")]
        issues.append(Issue(id=f"{n:04d}abcd", title=title.strip() or "t", status="open",
                            created="2026-01-02T03:04:05Z", author=f"{title} <a@b.c>",
                            labels=[rng.choice(TITLES).strip() or "l"], body=body,
                            assignees=["ann@example.com"], priority=n % 5,
                            milestone=rng.choice([None, "v1.0", "1.0", "yes"]),
                            comments=comments))
    return issues


def pyyaml(text: str):
    return yaml.load(text, Loader=Loader)  # noqa: S506 - the guarded safe loader


def same_or_none(text: str) -> bool:
    """The plain reader's answer is None or PyYAML's; True when it answered."""
    plain = parse(text)
    if plain is None:
        return False
    assert plain == pyyaml(text), text
    assert type(plain) is dict
    return True


def texts() -> list[str]:
    made = []
    for issue in awkward_issues():
        try:
            made.append(dump_issue(issue))
        except Exception:  # noqa: BLE001 - the model refused the value: not a file
            continue
    return made


def test_the_writers_output_reads_the_same_and_an_ordinary_issue_without_pyyaml():
    answered = [same_or_none(text) for text in texts()]
    assert len(answered) > 20 and sum(answered) >= 5
    assert same_or_none(dump_issue(ordinary()))


def ordinary(title: str = "Crash on start") -> Issue:
    return Issue(id="4k7xq2m9", title=title, status="open",
                 created="2026-01-02T03:04:05Z", author="Ann <ann@example.com>",
                 labels=["bug", "ui"], assignees=["ann@example.com"], priority=1,
                 milestone="v1", body="## Steps\n\n1. run it\n    code\n",
                 links={"blocks": ["2b3c4d5e"]}, origin={"github": {
                     "repo": "acme/rocket", "number": 12,
                     "url": "https://github.com/acme/rocket/issues/12"}},
                 comments=[Comment(id="c0000001", author="Bob <bob@example.com>",
                                   date="2026-01-03T03:04:05Z", body="Seen.\n", github_id=7)])


def test_seeded_mutations_never_read_differently():
    """Each mutation inserts, deletes or replaces a character, or moves a line."""
    rng = random.Random(2026)
    alphabet = list(" \t\n:#-'\"|>&*!%@`[]{},?~0123456789abcxyz\u00a0\u2028") + ["  ", "- ", ": "]
    base = texts() + [dump_issue(ordinary(t)) for t in ("Crash", "Slow start", "ok")] * 5
    answered = 0
    for _ in range(6000):
        text = rng.choice(base)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            kind = rng.randrange(4)
            if kind == 0:
                text = text[:at] + rng.choice(alphabet) + text[at:]
            elif kind == 1:
                text = text[:at] + text[at + 1:]
            elif kind == 2:
                text = text[:at] + rng.choice(alphabet) + text[at + 1:]
            else:
                lines = text.split("\n")
                lines.insert(rng.randrange(len(lines) + 1), lines.pop(rng.randrange(len(lines))))
                text = "\n".join(lines)
        try:
            pyyaml(text)
        except (yaml.YAMLError, ValueError):
            assert parse(text) is None, text
            continue
        answered += same_or_none(text)
    assert answered > 500  # mutations the plain reader answered, each checked


@pytest.mark.parametrize("text", [
    "id: abcd1234\non: x\n", "id: abcd1234\ntitle: yes\n", "id: 0x1f\n", "a: 1\na: 2\n",
    "a:\n- x\n  - y\n", "a: |\n    deeper first\n", "a: |+\n  keep\n\n", "a: |2\n   x\n",
    "a: 'unclosed\n", "a: x # comment\n", "# comment\na: 1\n", "---\na: 1\n", "a: [1, 2]\n",
    "a:\n  b:\n" + "".join(f"{'  ' * (i + 2)}c{i}:\n" for i in range(40)) + "  " * 42 + "d: 1\n",
    "a: 1\n\nb: 2\n", "a: 2026-01-02\n", "a: 1.5\n", "a: ~\n", "a: \n", "a:\n", "a: \"x\"\n",
    "a: |\n  x\n   \n  y\n", "a: x\r\n",
])
def test_what_is_left_to_pyyaml(text):
    assert parse(text) is None


def test_a_hand_edited_canonical_file_is_read_without_importing_pyyaml(run, repo: Path):
    """The reason for the plain reader: ``ls`` after a hand edit or a checkout."""
    issue_id = run("new", "Edited by hand", "-m", "body\ntext").stdout.strip()
    run("ls")
    path = repo / ".issues" / f"{issue_id}.yml"
    path.write_text(path.read_text().replace("Edited by hand", "Edited again by hand"))
    probe = ("import sys\nfrom git_issues.cli import cli\n"
             "try:\n    cli.main(['ls'], prog_name='git issues')\nexcept SystemExit:\n    pass\n"
             "print('yaml' in sys.modules, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True,
                          text=True)
    assert "Edited again by hand" in proc.stdout
    assert proc.stderr.splitlines()[-1] == "False"
