"""init, new, ls, show and reindex as a user runs them: the installed script in real repos."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import on_terminal
from helpers import ids, staged

from git_issues.cli.editor import with_instructions
from git_issues.cli.new import NEW_INSTRUCTIONS, parse_new_text
from git_issues.core.model import COMMENT_KEYS, ISSUE_KEYS

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

NEW_TEMPLATE = with_instructions("", NEW_INSTRUCTIONS.format(templates=""))

ISSUE = """\
id: {id}
title: {title}
status: {status}
{more}created: '{created}'
"""


def hand_written(repo: Path, issue_id: str, title: str, *, status: str = "open",
                 created: str = "2026-11-01T00:00:00Z", more: str = "", tail: str = "") -> Path:
    path = repo / ".issues" / f"{issue_id}.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(ISSUE.format(id=issue_id, title=title, status=status, more=more,
                                 created=created) + tail)
    return path


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


def fails(run, *args: str, code: int = 1, **kwargs) -> str:
    """Run a command that must fail; returns its one-line error."""
    proc = run(*args, check=False, **kwargs)
    no_traceback(proc)
    assert proc.returncode == code, (args, proc.returncode, proc.stderr)
    if code == 1:
        assert proc.stderr.startswith("error: "), proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc.stderr


# --- version and entry points ------------------------------------------------------


def test_python_m_and_version(repo: Path):
    from git_issues import __version__

    proc = subprocess.run([sys.executable, "-m", "git_issues", "--version"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and __version__ in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "git_issues", "ls"], cwd=repo,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr


def test_git_runs_it_as_git_issues(repo: Path):
    proc = subprocess.run(["git", "issues", "new", "Through git"], cwd=repo,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (repo / ".issues" / f"{proc.stdout.strip()}.yml").is_file()


# --- init -----------------------------------------------------------------------------


def test_init_creates_and_stages_the_config_and_is_idempotent(run, repo: Path):
    first = run("init")
    assert first.stdout == "" and "ready" in first.stderr
    config = repo / ".issues" / "config.yml"
    assert config.is_file() and "statuses:" in config.read_text()
    assert ".issues/config.yml" in staged(repo)
    text = config.read_text()
    second = run("init")
    assert second.returncode == 0 and second.stdout == ""
    assert config.read_text() == text
    assert "wrote .issues/config.yml" not in second.stderr
    # A user's own change to the config survives a later init.
    config.write_text(text + "  in-progress: open\n")
    run("init")
    assert "in-progress" in config.read_text()


# --- new ------------------------------------------------------------------------------


def test_new_prints_the_id_alone_and_stages_the_file(run, repo: Path):
    proc = run("new", "Engine cache leaks")
    issue_id = proc.stdout.strip()
    assert proc.stdout == issue_id + "\n" and len(issue_id) == 8
    assert proc.stderr.strip() == f"Created issue {issue_id}: Engine cache leaks"
    assert f".issues/{issue_id}.yml" in staged(repo)  # works without init, too
    text = (repo / ".issues" / f"{issue_id}.yml").read_text()
    assert text.startswith(f"id: {issue_id}\ntitle: Engine cache leaks\nstatus: open\n")
    assert "author: Ada Tester <ada@example.com>\n" in text


def test_new_with_every_flag(run, repo: Path):
    issue_id = run("new", "  Flags  ", "-m", "First line\nsecond line\n\n\n", "-l", "bug",
                   "--label", "ui", "-l", "bug", "-a", "bob@example.com", "-p", "P1"
                   ).stdout.strip()
    data = json.loads(run("show", issue_id, "--json").stdout)
    assert data["title"] == "Flags"
    assert data["body"] == "First line\nsecond line\n"
    assert data["labels"] == ["bug", "ui"]
    assert data["assignees"] == ["bob@example.com"] and data["priority"] == 1
    me = json.loads(run("show", run("new", "Mine", "--assignee", "@me", "--priority", "0"
                                    ).stdout.strip(), "--json").stdout)
    assert me["assignees"] == ["ada@example.com"] and me["priority"] == 0


def test_new_reads_the_body_from_a_file_or_stdin(run, repo: Path, tmp_path: Path):
    body_file = tmp_path / "body.md"
    body_file.write_text("From a file.\n")
    from_file = run("new", "F", "-F", str(body_file)).stdout.strip()
    from_stdin = run("new", "S", "-m", "-", input="From stdin.\n").stdout.strip()
    from_dash_f = run("new", "D", "-F", "-", input="Dash F.\n").stdout.strip()
    bodies = [json.loads(run("show", i, "--json").stdout)["body"]
              for i in (from_file, from_stdin, from_dash_f)]
    assert bodies == ["From a file.", "From stdin.", "Dash F."]
    assert "not both" in fails(run, "new", "X", "-m", "a", "-F", str(body_file))
    assert "nowhere.md" in fails(run, "new", "X", "-F", str(tmp_path / "nowhere.md"))


@pytest.mark.parametrize(("args", "named"), [
    (("",), "TITLE"),
    (("   ",), "TITLE"),
    (("a\nb",), "TITLE"),
    (("x" * 1001,), "TITLE"),
    (("T", "-p", "7"), "--priority"),
    (("T", "-p", "-1"), "--priority"),
    (("T", "-p", "high"), "--priority"),
    (("T", "-l", ""), "--label"),
    (("T", "-l", " padded "), "--label"),
])
def test_new_refuses_bad_input_and_writes_nothing(run, repo: Path, args, named):
    assert named in fails(run, "new", *args)
    assert not any((repo / ".issues").glob("*.yml")) if (repo / ".issues").exists() else True
    assert staged(repo) == []


def test_new_without_a_title_off_a_terminal_is_an_error(run, repo: Path):
    message = fails(run, "new", input="")
    assert "TITLE" in message


@pytest.mark.parametrize(("edited", "expected"), [
    ("Title\n\nBody line\n" + NEW_TEMPLATE, ("Title", "Body line")),
    ("  Padded title  \nbody right away\nmore\n", ("Padded title", "body right away\nmore")),
    ("\n\nTitle after blank lines\n\n\nBody\n\n", ("Title after blank lines", "Body")),
    ("Title\n\n# A heading, kept\n  indented code\n" + NEW_TEMPLATE,
     ("Title", "# A heading, kept\n  indented code")),
    (NEW_TEMPLATE, ("", "")),
    ("", ("", "")),
    ("Title\n\nno scissors: # all kept\n# too\n", ("Title", "no scissors: # all kept\n# too")),
])
def test_editor_template_parsing(edited, expected):
    assert parse_new_text(edited) == expected


def editor_writing(tmp_path: Path, text: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        before = open(sys.argv[1]).read()
        assert "Write the title" in before
        with open(sys.argv[1], "w") as handle:
            handle.write({text!r} + before[before.index("# ------------------------ >8"):])
    """))
    return f"{sys.executable} {script}"


def test_an_empty_editor_aborts(repo: Path, tmp_path: Path):
    code, screen = on_terminal(repo, "new", env={"GIT_EDITOR": editor_writing(tmp_path, "")})
    assert code == 1 and "error: aborted: the title was empty" in screen
    assert "your text" not in screen


def test_new_on_a_terminal_opens_the_editor(repo: Path, tmp_path: Path):
    editor = editor_writing(tmp_path, "From the editor\n\nThe body.\n")
    code, screen = on_terminal(repo, "new", "-l", "ed", env={"GIT_EDITOR": editor})
    assert code == 0, screen
    (path,) = (repo / ".issues").glob("*.yml")
    text = path.read_text()
    assert "title: From the editor\n" in text and "body: The body.\n" in text
    assert "- ed\n" in text and "dropped" not in text


def test_text_typed_in_the_editor_is_kept_when_refused(repo: Path, tmp_path: Path):
    editor = editor_writing(tmp_path, "A good title\n\nBut wrote a lot.\n")
    code, screen = on_terminal(repo, "new", "-p", "7", env={"GIT_EDITOR": editor})
    assert code == 1 and "error: --priority: " in screen and "your text is in" in screen
    kept = Path(screen.split("your text is in ")[1].split()[0])
    assert "But wrote a lot." in kept.read_text()
    assert not list((repo / ".issues").glob("*.yml")) if (repo / ".issues").exists() else True


# --- ls -------------------------------------------------------------------------------


@pytest.fixture
def listed(repo: Path) -> Path:
    """Five issues with known dates, priorities, labels and people."""
    hand_written(repo, "aaaa1111", "alpha bug", created="2026-11-01T00:00:00Z",
                 more="priority: 2\nlabels:\n- bug\n- ui\nassignee: bob@example.com\n"
                      "author: Ada Tester <ada@example.com>\n",
                 tail="comments:\n- id: cccc0001\n  date: '2026-11-20T00:00:00Z'\n"
                      "  body: late comment about zebras\n")
    hand_written(repo, "bbbb2222", "Bravo feature", created="2026-11-02T00:00:00Z",
                 more="priority: 0\nlabels:\n- feature\nassignee: carol@example.com\n"
                      "author: Bob <bob@example.com>\n")
    hand_written(repo, "cccc3333", "charlie closed", status="closed",
                 created="2026-11-03T00:00:00Z",
                 more="labels:\n- bug\nauthor: Bob <bob@example.com>\n",
                 tail="closed: '2026-11-10T00:00:00Z'\n")
    hand_written(repo, "dddd4444", "Delta no priority", created="2026-11-04T00:00:00Z",
                 more="labels:\n- bug\n- ui\n- perf\n")
    hand_written(repo, "eeee5555", "echo in progress", status="in-progress",
                 created="2026-11-05T00:00:00Z", more="priority: 4\nassignee: ada@example.com\n")
    (repo / ".issues" / "config.yml").write_text(
        "statuses:\n  open: open\n  in-progress: open\n  closed: closed\n  wontfix: closed\n")
    return repo


@pytest.mark.parametrize(("args", "expected"), [
    ((), ["eeee5555", "dddd4444", "bbbb2222", "aaaa1111"]),
    (("-s", "open"), ["eeee5555", "dddd4444", "bbbb2222", "aaaa1111"]),
    (("-s", "closed"), ["cccc3333"]),
    (("-s", "all"), ["eeee5555", "dddd4444", "cccc3333", "bbbb2222", "aaaa1111"]),
    (("--status", "in-progress"), ["eeee5555"]),
    (("-s", "wontfix"), []),
    (("-l", "bug"), ["dddd4444", "aaaa1111"]),
    (("-l", "bug", "-l", "perf"), ["dddd4444"]),
    (("-l", "bug", "-s", "all"), ["dddd4444", "cccc3333", "aaaa1111"]),
    (("-l", "nope"), []),
    (("-a", "bob@example.com"), ["aaaa1111"]),
    (("-a", "CAROL"), ["bbbb2222"]),
    (("-a", "@me"), ["eeee5555"]),
    (("--author", "bob", "-s", "all"), ["cccc3333", "bbbb2222"]),
    (("--author", "@me"), ["aaaa1111"]),
    (("-q", "zebras"), ["aaaa1111"]),
    (("-q", "feature"), ["bbbb2222"]),
    (("--sort", "created"), ["eeee5555", "dddd4444", "bbbb2222", "aaaa1111"]),
    (("--sort", "activity", "-s", "all"),
     ["aaaa1111", "cccc3333", "eeee5555", "dddd4444", "bbbb2222"]),
    (("--sort", "priority"), ["bbbb2222", "aaaa1111", "eeee5555", "dddd4444"]),
    (("--sort", "title", "-s", "all"),
     ["aaaa1111", "bbbb2222", "cccc3333", "dddd4444", "eeee5555"]),
    (("-n", "2"), ["eeee5555", "dddd4444"]),
    (("-n", "0"), ["eeee5555", "dddd4444", "bbbb2222", "aaaa1111"]),  # 0: all
    (("--sort", "priority", "-n", "1", "-l", "bug"), ["aaaa1111"]),
])
def test_ls_filters_and_sorts(run, listed: Path, args, expected):
    proc = run("ls", *args)
    assert proc.stderr == ""
    assert ids(proc) == expected


def test_ls_piped_is_tab_separated(run, listed: Path):
    lines = run("ls", "-s", "all", "--sort", "title").stdout.splitlines()
    assert lines[0].split("\t") == ["aaaa1111", "open", "P2", "alpha bug", "bug, ui",
                                    "bob@example.com", "2026-11-01T00:00:00Z"]
    assert lines[3].split("\t") == ["dddd4444", "open", "", "Delta no priority",
                                    "bug, ui, perf", "", "2026-11-04T00:00:00Z"]
    assert all(len(line.split("\t")) == 7 for line in lines)
    assert "\x1b[" not in "".join(lines)


def test_a_tab_in_a_title_does_not_shift_the_columns(run, repo: Path):
    hand_written(repo, "aaaa1111", '"tab\\there"', more="labels:\n- x\n")
    (line,) = run("ls").stdout.splitlines()
    assert line.split("\t")[3:5] == ["tab here", "x"]


def test_ls_json_uses_the_yaml_field_names(run, listed: Path):
    data = json.loads(run("ls", "-s", "all", "--json", "--sort", "title").stdout)
    assert [d["id"] for d in data] == ["aaaa1111", "bbbb2222", "cccc3333", "dddd4444",
                                       "eeee5555"]
    assert all(set(d) <= set(ISSUE_KEYS) for d in data)
    first = data[0]
    assert first["labels"] == ["bug", "ui"] and first["priority"] == 2
    assert set(first["comments"][0]) <= set(COMMENT_KEYS)
    assert data[2]["closed"] == "2026-11-10T00:00:00Z"
    assert json.loads(run("ls", "-l", "nope", "--json").stdout) == []


def test_ls_with_nothing_to_list_prints_nothing(run, repo: Path):
    proc = run("ls")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    (repo / ".issues").mkdir()
    assert run("ls", "-s", "all").stdout == ""


def test_ls_on_a_terminal_is_an_aligned_table_with_colour_unless_no_color(listed: Path):
    code, screen = on_terminal(listed, "ls", env={})
    assert code == 0 and "\x1b[" in screen, screen
    code, plain = on_terminal(listed, "ls", env={"NO_COLOR": "1"})
    assert code == 0 and "\x1b[" not in plain
    count, blank, header, *rows = plain.strip("\n").splitlines()
    assert count == "Showing 4 of 4 open issues" and blank == "" and header.startswith("ID ")
    assert len(rows) == 4 and "\t" not in plain
    starts = {row.index(title) for row, title in zip(
        rows, ["echo in progress", "Delta no priority", "Bravo feature", "alpha bug"],
        strict=True)}
    assert len(starts) == 1  # the title column is aligned


def test_ls_bad_options(run, listed: Path):
    assert "unknown status 'bogus'" in fails(run, "ls", "-s", "bogus", code=2)
    assert "all, open, in-progress, closed, wontfix" in fails(run, "ls", "-s", "bogus", code=2)
    fails(run, "ls", "--sort", "random", code=2)
    fails(run, "ls", "-n", "-1", code=2)
    fails(run, "ls", "-n", "many", code=2)
    assert "-q" in fails(run, "ls", "-q", "   ")


def test_a_broken_file_never_hides_the_others(run, listed: Path):
    (listed / ".issues" / "ffff6666.yml").write_text("id: [unclosed\n")
    (listed / ".issues" / "gggg7777.yml").write_text(
        ISSUE.format(id="gggg7777", title="T", status="open", more="priority: 9\n",
                     created="2026-11-06T00:00:00Z"))
    proc = run("ls", check=False)
    no_traceback(proc)
    assert proc.returncode == 1
    assert ids(proc) == ["eeee5555", "dddd4444", "bbbb2222", "aaaa1111"]
    errors = proc.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("error: .issues/ffff6666.yml: ")
    assert errors[1].startswith("error: .issues/gggg7777.yml: ") and "priority" in errors[1]
    # --json too lists what works, and names the broken files on stderr.
    proc = run("ls", "--json", check=False)
    assert proc.returncode == 1 and len(json.loads(proc.stdout)) == 4
    assert "ffff6666" in proc.stderr
    # Fixing the file by hand brings it back.
    (listed / ".issues" / "ffff6666.yml").write_text(
        ISSUE.format(id="ffff6666", title="Fixed", status="open", more="",
                     created="2026-11-07T00:00:00Z"))
    (listed / ".issues" / "gggg7777.yml").unlink()
    proc = run("ls")
    assert ids(proc)[0] == "ffff6666" and proc.stderr == ""


def test_a_file_whose_id_differs_from_its_name_is_reported(run, listed: Path):
    hand_written(listed, "hhhh8888", "Copied")
    (listed / ".issues" / "hhhh8888.yml").rename(listed / ".issues" / "iiii9999.yml")
    message = fails(run, "ls", "-s", "all").splitlines()
    assert any(".issues/iiii9999.yml" in line and "hhhh8888" in line for line in message)


# --- show -----------------------------------------------------------------------------


def test_show_by_prefix_in_text_and_json(run, listed: Path):
    proc = run("show", "aaaa")
    assert proc.stderr == ""
    out = proc.stdout
    assert out.startswith("alpha bug  #aaaa1111\n")
    assert "P2" in out and "labels: bug, ui" in out and "assignees: bob@example.com" in out
    assert "late comment about zebras" in out
    data = json.loads(run("show", "AAAA1", "--json").stdout)
    assert data["id"] == "aaaa1111" and list(data) == [k for k in ISSUE_KEYS if k in data]
    assert data["comments"][0]["body"] == "late comment about zebras"
    assert json.loads(run("show", "aaaa1111", "--json").stdout) == data


def test_show_bad_ids(run, listed: Path):
    hand_written(listed, "aaaa2222", "Another a")
    proc = run("show", "aaaa", check=False)
    assert proc.returncode == 1 and proc.stderr.splitlines() == [
        "error: id prefix 'aaaa' is ambiguous: aaaa1111, aaaa2222",
        "hint:   aaaa1111  alpha bug", "hint:   aaaa2222  Another a"]
    assert "no issue matches 'zzzz'" in fails(run, "show", "zzzz")
    assert "is not an issue id" in fails(run, "show", "../config")
    fails(run, "show", code=2)


def test_show_a_broken_file_names_it(run, listed: Path):
    (listed / ".issues" / "ffff6666.yml").write_text("id: ffff6666\ntitle: [\n")
    assert ".issues/ffff6666.yml" in fails(run, "show", "ffff")


# --- reindex --------------------------------------------------------------------------


def test_reindex_rebuilds_and_reports(run, listed: Path):
    run("ls")
    proc = run("reindex")
    assert proc.stdout == "" and proc.stderr.strip() == "indexed 5 issues"
    (listed / ".issues" / "ffff6666.yml").write_text("- not a mapping\n")
    proc = run("reindex", check=False)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == "indexed 5 issues"
    assert proc.stderr.splitlines()[1].startswith("error: .issues/ffff6666.yml: ")


# --- outside a repository ----------------------------------------------------------------


@pytest.mark.parametrize("args", [("init",), ("new", "T"), ("ls",), ("show", "abcd"),
                                  ("reindex",)])
def test_outside_a_git_repository(run, tmp_path: Path, args):
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    message = fails(run, *args, cwd=outside, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert "not a git repository" in message and str(outside) in message
    assert list(outside.iterdir()) == []
