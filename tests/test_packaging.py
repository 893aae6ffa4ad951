"""What the package promises about itself: its name, its Pythons, its docs.

The build itself (wheel, sdist, twine check, a fresh install) is checked by
scripts/check-dist, which CI runs: it needs the package index and takes longer
than a test should.
"""

from __future__ import annotations

import configparser
import importlib.metadata
import re
from pathlib import Path

import git_issues

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "git_issues" / "man" / "git-issues.1"]


def _setup_cfg() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return parser


def _distribution() -> str:
    return _setup_cfg()["metadata"]["name"]


def test_the_installed_distribution_admits_every_python_from_3_11():
    meta = importlib.metadata.metadata(_distribution())
    assert meta["Version"] == git_issues.__version__
    assert meta["Requires-Python"] == ">=3.11"  # no upper cap: 3.12, 3.13, 3.14 install
    versions = {c.rsplit(" :: ", 1)[1] for c in meta.get_all("Classifier")
                if c.startswith("Programming Language :: Python :: 3.")}
    assert {"3.11", "3.12", "3.13", "3.14"} <= versions


def test_the_distribution_name_is_not_one_the_index_refuses():
    # The index compares names without -, _ and . (and case): `git-issues`
    # would collide with the existing `gitissues`.
    squashed = re.sub(r"[-_.]+", "", _distribution()).lower()
    assert squashed != "gitissues"


def test_docs_install_this_distribution_by_its_name():
    """Every install command in the docs names a path or this distribution."""
    name = _distribution()
    pattern = re.compile(r"(?:pip install|pipx install|uv tool install)\s+(?:-\S+\s+)*([^\s`]+)")
    seen = []
    for doc in DOCS:
        for target in pattern.findall(doc.read_text()):
            target = target.strip("'\"")
            if not target.startswith((".", "/", "git+")):  # a path or a URL is fine
                seen.append((doc.name, target))
    assert seen, "no install command found in the docs"
    wrong = [(doc, target) for doc, target in seen
             if re.split(r"[=<>~!\[]", target, maxsplit=1)[0] != name]
    assert not wrong, f"install commands naming another distribution: {wrong}"


def test_the_changelog_has_the_current_version_and_an_unreleased_section():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text
    assert re.search(rf"^## \[{re.escape(git_issues.__version__)}\] - \d{{4}}-\d\d-\d\d$",
                     text, re.M)


def test_serve_needs_no_extra_its_libraries_are_in_the_plain_install():
    """Issue 21: `pipx install git-issues-cli` then `git issues serve` must work."""
    requires = importlib.metadata.requires(_distribution()) or []
    plain = {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower() for r in requires
             if "extra ==" not in r}
    assert {"flask", "waitress", "markdown-it-py"} <= plain, plain


def test_every_package_folder_is_shipped():
    """setup.cfg names its packages one by one: a new folder left out of the list works
    in an editable install and the in-process tests, and is missing from a real one
    (``import gitea`` was, for one round)."""
    listed = set(_setup_cfg()["options"]["packages"].split())
    folders = {".".join(init.parent.relative_to(ROOT).parts)
               for init in (ROOT / "git_issues").rglob("__init__.py")}
    assert folders - listed == set()
