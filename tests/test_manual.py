"""Git's conventions: the man page behind ``git issues --help``, -h, shell completion, the guide."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from git_issues.cli import cli
from git_issues.cli.app import COMMAND_MODULES, all_commands

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

ROOT = Path(__file__).resolve().parent.parent
MAN_PAGE = ROOT / "git_issues" / "man" / "git-issues.1"
GUIDE = ROOT / "docs" / "guide.md"
GIT_COMPLETION = Path("/usr/share/bash-completion/completions/git")
VISIBLE = sorted(name for name, command in all_commands().items() if not command.hidden)
needs_man = pytest.mark.skipif(shutil.which("man") is None, reason="no man(1) on this machine")


def test_the_table_of_command_modules_matches_what_the_modules_define():
    """A command missing from COMMAND_MODULES would vanish from the command line; one
    listed under the wrong module would fail to load."""
    import importlib
    import pkgutil

    import git_issues.cli

    for module in pkgutil.iter_modules(git_issues.cli.__path__):
        importlib.import_module(f"git_issues.cli.{module.name}")
    assert set(cli.commands) == set(COMMAND_MODULES)
    for name, command in cli.commands.items():
        assert command.callback.__module__ == f"git_issues.cli.{COMMAND_MODULES[name]}", name


def test_every_command_is_in_the_man_page_and_the_guide():
    page, guide = MAN_PAGE.read_text(), GUIDE.read_text()
    assert {"edit", "close", "reopen", "comment", "link", "unlink", "ready", "log"} <= set(VISIBLE)
    for name in VISIBLE:
        assert f".TP\n\\fB{name}\\fR" in page, f"{name} has no entry in the man page"
        assert f"\\fBgit issues {name}\\fR" in page, f"{name} is not in the man page synopsis"
        assert f"git issues {name}" in guide, f"{name} has no example in docs/guide.md"


@needs_man
def test_the_man_page_renders_without_warnings():
    proc = subprocess.run(["man", "--warnings", "-l", str(MAN_PAGE)], capture_output=True,
                          text=True, env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "80"})
    assert proc.returncode == 0 and proc.stderr == ""
    # What the reader sees, not the spacing: groff 1.23 justifies the NAME
    # line with two spaces where 1.22 puts one.
    assert "git-issues - issues that live in the repository" in " ".join(proc.stdout.split())


def installed_editable() -> bool:
    """An editable install (pip install -e) installs no data files, so no man page."""
    site = sysconfig.get_paths()["purelib"]
    for dist in importlib.metadata.distributions(path=[site]):
        if dist.metadata["Name"] in ("git-issues-cli", "git-issues", "git_issues"):
            direct = json.loads(dist.read_text("direct_url.json") or "{}")
            return bool(direct.get("dir_info", {}).get("editable"))
    return False


@needs_man
@pytest.mark.skipif(installed_editable(),
                    reason="editable installs skip data files: `pip install .` installs the page")
def test_git_issues_help_finds_the_installed_man_page(run, repo):
    """git turns `git issues --help` into `man git-issues`; man looks beside bin/ on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "MANPATH"}  # PATH starts with SCRIPTS
    where = subprocess.run(["man", "-w", "git-issues"], capture_output=True, text=True, env=env)
    assert where.returncode == 0, "man page not installed: reinstall with pip install ."
    assert Path(where.stdout.strip()).read_bytes() == MAN_PAGE.read_bytes()
    shown = subprocess.run(["git", "issues", "--help"], cwd=repo, capture_output=True,
                           text=True, env={**env, "MANPAGER": "cat", "MANWIDTH": "100"})
    assert "git issues link ID" in " ".join(shown.stdout.split())


def test_dash_h_works_everywhere(run):
    assert run("-h").stdout.startswith("Usage: git issues")
    for name in VISIBLE:
        assert run(name, "-h").stdout.startswith(f"Usage: git issues {name}")


def complete(run, words: str, shell: str = "bash") -> list[str]:
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    proc = run(env={"_GIT_ISSUES_COMPLETE": f"{shell}_complete", "COMP_WORDS": words,
                    "COMP_CWORD": cword})
    return proc.stdout.splitlines()


def test_ids_complete_from_the_issue_folder(run, repo):
    first = run("new", "Alpha").stdout.strip()
    second = run("new", "Beta").stdout.strip()
    assert sorted(complete(run, "git-issues show ")) == sorted([f"plain,{first}",
                                                                 f"plain,{second}"])
    assert complete(run, f"git-issues close {first[:3]}") == [f"plain,{first}"]
    assert complete(run, "git-issues edi") == ["plain,edit"]
    run("ls")  # the index now exists: zsh and fish also get the titles
    zsh = complete(run, f"git-issues log {first[:3]}", "zsh")
    assert zsh == ["plain", first, "Alpha"]


def test_completion_outside_a_repository_completes_nothing(run, tmp_path):
    proc = subprocess.run(
        ["git-issues"], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "_GIT_ISSUES_COMPLETE": "bash_complete",
             "COMP_WORDS": "git-issues show ", "COMP_CWORD": "2"})
    assert proc.returncode == 0 and proc.stdout.strip() == "" and proc.stderr == ""


def test_completion_scripts_name_the_executable(run):
    script = run(env={"_GIT_ISSUES_COMPLETE": "bash_source"}).stdout
    assert "complete -o nosort -F _git_issues_completion git-issues" in script


@pytest.mark.skipif(not GIT_COMPLETION.is_file() or shutil.which("bash") is None,
                    reason="git's bash completion is not installed")
def test_the_guides_bash_snippet_completes_git_issues(run, repo):
    """The documented `_git_issues` function, under git's own completion, for `git issues`."""
    issue_id = run("new", "Complete me").stdout.strip()
    snippet = re.search(r"<!-- completion:bash -->\n```bash\n(.*?)```", GUIDE.read_text(),
                        re.S).group(1)
    script = f"""
source {GIT_COMPLETION}
{snippet}
COMP_WORDS=(git issues show {issue_id[:3]}); COMP_CWORD=3
COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}
__git_wrap__git_main git {issue_id[:3]} issues
echo "ids: ${{COMPREPLY[*]}}"
COMPREPLY=()
COMP_WORDS=(git issues reo); COMP_CWORD=2
COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}
__git_wrap__git_main git reo issues
echo "commands: ${{COMPREPLY[*]}}"
"""
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], cwd=repo,
                          capture_output=True, text=True)
    assert f"ids: {issue_id}" in proc.stdout, proc.stderr
    assert "commands: reopen" in proc.stdout, proc.stderr
