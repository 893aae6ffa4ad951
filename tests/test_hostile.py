"""Hostile files under ``.issues/``: they arrive in pull requests from strangers.

For every case: nothing executes, the command ends within a hang guard with a
bounded peak memory, the file is named in exactly one ``error:`` line, the other
issues still list and show, and no command writes outside ``.issues/`` and the
index.  Commands that are not registered yet (``check``, ``log`` ...) are skipped,
so the same tables cover them as they land.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GIT_ISSUES

from git_issues.cli.app import all_commands

HANG_GUARD_S = 30  # a generous guard against hangs on a shared machine, not a timing assert
PEAK_RSS_MB = 200  # a bomb that got through costs gigabytes; a refused one tens of MB
MARKER = Path(tempfile.gettempdir()) / f"pwned-{uuid.uuid4().hex}"
INDEX_DIR = ".git/git-issues"  # the index and the per-issue locks live here
CREATED = "'2026-01-01T00:00:00Z'"


def header(issue_id: str, title: str = "t") -> str:
    return f"id: {issue_id}\ntitle: {title}\nstatus: open\ncreated: {CREATED}\n"


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float


# Linux hands a child the peak RSS of whoever forked it (it survives exec), so a
# command started straight from a big pytest would "peak" at pytest's size.  A small
# Python in between starts the command and reports the peak of that child alone.
_MEASURE = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code if code >= 0 else 128 - code)
"""


def run_measured(cwd: Path, *args: str) -> Measured:
    """Run the console script with its own peak RSS, killing it (all of it) on a hang.

    A signal shows as an exit code above 128, like a shell says it.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as scratch:
        peak_file = os.path.join(scratch, "peak")
        proc = subprocess.Popen([sys.executable, "-c", _MEASURE, peak_file, GIT_ISSUES, *args],
                                cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            proc.wait(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        peak_kb = int(Path(peak_file).read_text() or 0) if os.path.exists(peak_file) else 0
        out.seek(0)
        err.seek(0)
        return Measured(proc.returncode, out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"), peak_kb / 1024)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` with its type and stat, minus the index directory."""
    entries: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not os.path.join(folder, d).endswith(INDEX_DIR)]
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            is_dir = os.path.isdir(path) and not os.path.islink(path)
            entries[os.path.relpath(path, root)] = (
                st.st_mode, None if is_dir else st.st_size, None if is_dir else st.st_mtime_ns)
    return entries


def error_lines_naming(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if name in line]


# --- the hostile files --------------------------------------------------------------------

Maker = Callable[[Path], None]


def write(name: str, content: str | bytes) -> Maker:
    def make(issues: Path) -> None:
        path = issues / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return make


def billion_laughs(pad: int = 0) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        name, prev = chr(97 + level), chr(96 + level)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    lines.append("padding: [" + ",".join(["0"] * pad) + "]")
    return "\n".join(lines) + "\n"


def sixty_megabytes(issues: Path) -> None:
    with open(issues / "huge0001.yml", "wb") as handle:
        handle.write(header("huge0001").encode() + b"body: |\n")
        line = b"  " + b"all work and no play " * 4 + b"\n"
        handle.write(line * (60 * 1024 * 1024 // len(line)))


def symlink_to(target: str, name: str) -> Maker:
    def make(issues: Path) -> None:
        os.symlink(target, issues / name)
    return make


def directory(name: str) -> Maker:
    def make(issues: Path) -> None:
        (issues / name).mkdir()
        (issues / name / "inner.yml").write_text(header("innr0001"))
    return make


def fifo(name: str) -> Maker:
    def make(issues: Path) -> None:
        os.mkfifo(issues / name)
    return make


def nested(issue_id: str, opening: str, closing: str, depth: int) -> Maker:
    """An otherwise valid issue with a deeply nested unknown key."""
    return write(f"{issue_id}.yml",
                 header(issue_id) + "extra: " + opening * depth + closing * depth + "\n")


# (file name, how to make it).  Names that hold a valid id are also addressed by ID.
CASES: dict[str, tuple[str, Maker]] = {
    "python-apply-document": ("pyth0001.yml", write(
        "pyth0001.yml", f"!!python/object/apply:os.system ['touch {MARKER}']\n")),
    "python-apply-in-title": ("pyth0002.yml", write(
        "pyth0002.yml", header("pyth0002", f"!!python/object/apply:os.system ['touch {MARKER}']"))),
    "python-new-subprocess": ("pyth0003.yml", write("pyth0003.yml", header("pyth0003") + (
        "extra: !!python/object/new:subprocess.check_output [[touch, " + str(MARKER) + "]]\n"))),
    "python-name": ("pyth0004.yml", write(
        "pyth0004.yml", header("pyth0004") + "extra: !!python/name:os.system\n")),
    "alias-bomb": ("bomb0001.yml", write("bomb0001.yml", billion_laughs())),
    "alias-bomb-many-marks": ("bomb0002.yml", write("bomb0002.yml", billion_laughs(pad=500))),
    "alias-bomb-in-issue": ("bomb0003.yml", write(
        "bomb0003.yml", header("bomb0003") + "extra:\n" + "".join(
            "  " + line + "\n" for line in billion_laughs().splitlines()))),
    "scalar-alias-bomb": ("bomb0004.yml", write("bomb0004.yml", header("bomb0004") + (
        "x: &x " + "lol" * 300 + "\n" + "y: [" + ", ".join(["*x"] * 200) + "]\n"))),
    "merge-key": ("merg0001.yml", write(
        "merg0001.yml", "base: &b {title: t, status: open}\n<<: *b\nid: merg0001\n")),
    "sixty-megabytes": ("huge0001.yml", sixty_megabytes),
    "just-over-the-cap": ("huge0002.yml", write(
        "huge0002.yml", header("huge0002") + "body: " + "x" * (1024 * 1024) + "\n")),
    "many-values": ("many0001.yml", write(
        "many0001.yml", header("many0001") + "extra: [" + "{}," * 340_000 + "]\n")),
    "binary-garbage": ("garb0001.yml", write(
        "garb0001.yml", random.Random(6).randbytes(64 * 1024))),
    "nul-bytes": ("garb0002.yml", write("garb0002.yml", b"\0" * 4096)),
    "invalid-utf8": ("utf80001.yml", write(
        "utf80001.yml", header("utf80001").encode() + b"body: caf\xe9 \xff\xfe\n")),
    "flow-nesting-100k": ("deep0001.yml", write("deep0001.yml", "[" * 100_000)),
    "flow-nesting-100k-closed": ("deep0002.yml", write(
        "deep0002.yml", "[" * 100_000 + "]" * 100_000)),
    "mapping-nesting-100k": ("deep0003.yml", write("deep0003.yml", "{" * 100_000)),
    "block-nesting-100k": ("deep0004.yml", write("deep0004.yml", "- " * 100_000 + "x\n")),
    "nesting-in-issue-100k": ("deep0005.yml", nested("deep0005", "[", "]", 100_000)),
    # Just under 8 KiB: the size below which the first reader skipped its pre-check.
    "flow-nesting-under-8k": ("deep0006.yml", write("deep0006.yml", "[" * 4095 + "]" * 4095)),
    "block-nesting-under-8k": ("deep0007.yml", write("deep0007.yml", "- " * 4095 + "x")),
    "mapping-nesting-under-8k": ("deep0008.yml", write(
        "deep0008.yml", "{a: " * 1600 + "b" + "}" * 1600)),
    "indented-mapping-nesting": ("deep0009.yml", write(
        "deep0009.yml", "".join(" " * i + "a:\n" for i in range(125)))),
    "nesting-33-levels": ("deep0010.yml", nested("deep0010", "[", "]", 32)),
    "id-is-a-path": ("path0001.yml", write("path0001.yml", header("../../x"))),
    "id-is-absolute": ("path0002.yml", write("path0002.yml", header("/etc/passwd"))),
    "id-of-another-issue": ("twin0001.yml", write("twin0001.yml", header("GOOD_ID"))),
    "duplicate-keys": ("dupl0001.yml", write(
        "dupl0001.yml", header("dupl0001") + "title: a second title\n")),
    "duplicate-nested-keys": ("dupl0002.yml", write(
        "dupl0002.yml", header("dupl0002") + "links:\n  blocks: []\n  blocks: []\n")),
    "symlink-to-passwd": ("link0001.yml", symlink_to("/etc/passwd", "link0001.yml")),
    "symlink-to-dev-zero": ("link0002.yml", symlink_to("/dev/zero", "link0002.yml")),
    "dangling-symlink": ("link0003.yml", symlink_to("/nonexistent/x.yml", "link0003.yml")),
    "fifo": ("fifo0001.yml", fifo("fifo0001.yml")),
    "directory-x-yml": ("x.yml", directory("x.yml")),
    "directory-with-id-name": ("dirr0001.yml", directory("dirr0001.yml")),
    "invalid-id-file-name": ("BAD_ID.yml", write("BAD_ID.yml", header("badid001"))),
    "empty-file": ("empt0001.yml", write("empt0001.yml", "")),
    "only-document-marker": ("empt0002.yml", write("empt0002.yml", "---\n")),
    "only-a-comment": ("empt0003.yml", write("empt0003.yml", "# nothing here\n")),
    "multi-document": ("mult0001.yml", write(
        "mult0001.yml", header("mult0001") + "---\n" + header("mult0001"))),
    "not-a-mapping": ("list0001.yml", write("list0001.yml", "- id: list0001\n")),
    "impossible-date": ("date0001.yml", write(
        "date0001.yml", header("date0001").replace(CREATED, "2026-02-30"))),
    "date-out-of-range": ("date0002.yml", write(
        "date0002.yml", header("date0002").replace(CREATED, "0001-01-01T00:00:00+01:00"))),
    "date-as-key": ("date0003.yml", write(
        "date0003.yml", header("date0003") + "extra: {2026-01-01: a}\n")),
    "five-thousand-digits": ("numb0001.yml", write(
        "numb0001.yml", header("numb0001") + "priority: " + "9" * 5000 + "\n")),
    "terminal-escape-in-title": ("escp0001.yml", write(
        "escp0001.yml", header("escp0001", '"\\e]0;owned\\a\\e[2J"'))),
    "terminal-escape-in-comment": ("escp0002.yml", write("escp0002.yml", header("escp0002") + (
        "comments:\n- id: c0000001\n  date: " + CREATED + "\n  body: \"\\e[31mred\"\n"))),
    "unknown-tag": ("tags0001.yml", write("tags0001.yml", header("tags0001") + "x: !foo bar\n")),
    "bad-binary": ("tags0002.yml", write(
        "tags0002.yml", header("tags0002") + "x: !!binary 'abc'\n")),
}

WRITE_COMMANDS = [
    ("edit", "--title", "changed"),
    ("close",),
    ("reopen",),
    ("comment", "-m", "a comment"),
    ("link", "--related", "GOOD_ID"),
    ("unlink", "--related", "GOOD_ID"),
]
READ_COMMANDS = [("show",), ("show", "--json"), ("log",)]


def registered(command: str) -> bool:
    return command in all_commands()


@pytest.fixture
def good(invoke, repo: Path) -> str:
    """One good issue, made in-process (quick); the commands under test run as a user's."""
    assert invoke("init", "--no-hooks").exit_code == 0
    return invoke("new", "A perfectly good issue", "-l", "fine").stdout.strip()


def plant(repo: Path, case: str, good_id: str) -> str:
    """Put one hostile file in place; returns its name under .issues/."""
    name, make = CASES[case]
    make(repo / ".issues")
    path = repo / ".issues" / name
    if path.is_file() and not path.is_symlink() and path.stat().st_size < 2 * 1024 * 1024:
        data = path.read_bytes()
        path.write_bytes(data.replace(b"GOOD_ID", good_id.encode()))
    return name


# Cases that could take the test process down if a guard regressed (the C parser's
# stack, a FIFO that blocks, /dev/zero that never ends): always run in a child.
CHILD_CASES = {case for case in CASES if "nesting" in case} | {"fifo", "symlink-to-dev-zero"}
# One of each way of failing, for the per-command matrix (every case runs through ls).
MATRIX_CASES = [
    "python-apply-in-title", "alias-bomb", "sixty-megabytes", "invalid-utf8",
    "nesting-in-issue-100k", "id-is-a-path", "id-of-another-issue", "duplicate-keys",
    "symlink-to-passwd", "symlink-to-dev-zero", "fifo", "directory-with-id-name",
    "empty-file", "multi-document", "impossible-date", "terminal-escape-in-title",
]


def execute(repo: Path, invoke, case: str, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr): in-process when that is safe (fast), else in a child."""
    if case in CHILD_CASES:
        result = run_measured(repo, *args)
        assert result.peak_mb < PEAK_RSS_MB
        return result.returncode, result.stdout, result.stderr
    outcome = invoke(*args)
    return outcome.exit_code, outcome.stdout, outcome.stderr


def assert_one_clean_line(code: int, stdout: str, stderr: str, name: str) -> None:
    assert code in (0, 1), stderr[-2000:]  # not killed by a signal, not a usage error
    assert "Traceback" not in stderr, stderr[-2000:]
    named = error_lines_naming(stderr, name)
    assert len(named) == 1, stderr[-2000:]
    assert named[0].startswith("error: "), named
    assert "\x1b" not in stderr + stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_is_named_once_and_others_still_work(case, repo, good, invoke, tmp_path):
    name = plant(repo, case, good)
    before = snapshot(tmp_path)

    code, stdout, stderr = execute(repo, invoke, case, "ls")
    assert_one_clean_line(code, stdout, stderr, name)
    assert code == 1
    assert stdout.split("\t")[0] == good and stdout.count("\n") == 1
    assert len(stderr.splitlines()) == 1  # nothing but the one line

    code, stdout, stderr = execute(repo, invoke, case, "show", good)
    assert code == 0, stderr
    assert "A perfectly good issue" in stdout

    assert not MARKER.exists()
    assert snapshot(tmp_path) == before


def test_every_hostile_file_at_once(repo, good, tmp_path):
    """All of them in one folder, through the console script: each named once by ls,
    reindex and check, in bounded time and memory; nothing runs, nothing is written."""
    names = [plant(repo, case, good) for case in CASES]
    before = snapshot(tmp_path)
    commands = [("ls",), ("ls", "-s", "all", "--json"), ("reindex",), ("ls", "-q", "good")]
    if registered("check"):
        commands.append(("check",))
    for command in commands:
        result = run_measured(repo, *command)
        assert result.returncode == 1, (command, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
        assert result.peak_mb < PEAK_RSS_MB
        output = result.stdout + result.stderr
        assert "\x1b" not in output
        for name in names:
            assert len(error_lines_naming(output, f".issues/{name}")) == 1, (command, name)
        if command[0] == "ls":
            assert good in result.stdout
    shown = run_measured(repo, "show", good)
    assert shown.returncode == 0 and "A perfectly good issue" in shown.stdout
    assert shown.peak_mb < PEAK_RSS_MB
    assert not MARKER.exists()
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case", MATRIX_CASES)
def test_commands_on_the_hostile_issue_refuse_cleanly(case, repo, good, invoke, tmp_path):
    """Every registered command that takes the broken issue's id refuses it in one line
    and leaves every file as it was (``log`` may still show the history)."""
    name = plant(repo, case, good)
    before = snapshot(tmp_path)
    commands = [c for c in WRITE_COMMANDS + READ_COMMANDS if registered(c[0])]
    assert commands
    for command in commands:
        args = [command[0], name[:-4], *(good if a == "GOOD_ID" else a for a in command[1:])]
        code, stdout, stderr = execute(repo, invoke, case, *args)
        if command[0] == "log" and code == 0:
            assert name in stdout + stderr, args
        else:
            assert code == 1, (args, stdout + stderr)
            assert_one_clean_line(code, stdout, stderr, name)
        assert "Traceback" not in stderr
        assert "\x1b" not in stdout + stderr
        assert snapshot(tmp_path) == before, args
    assert not MARKER.exists()


@pytest.mark.parametrize("command", [c for c in WRITE_COMMANDS if "GOOD_ID" not in c],
                         ids=" ".join)
def test_a_hostile_other_issue_does_not_block_writes_to_a_good_one(command, repo, good, invoke):
    """A broken neighbour never stops work on a good issue (other than linking to it)."""
    if not registered(command[0]):
        pytest.skip(f"{command[0]} is not registered yet")
    for case in ("python-apply-in-title", "alias-bomb", "nesting-33-levels", "symlink-to-passwd"):
        plant(repo, case, good)
    result = invoke(command[0], good, *command[1:])
    assert result.exit_code == 0, result.output
    assert not MARKER.exists()


# --- hostile names and folders ------------------------------------------------------------

@pytest.mark.parametrize("raw_name", [
    b"ab\ncd.yml",
    b"abcd\n error: forged.yml",
    b"ab\x1b[31mcd.yml",
    b"\xff\xfe.yml",
    b"caf\xc3\xa9.yml",
], ids=["newline", "forged-line", "escape", "invalid-utf8", "non-ascii"])
def test_hostile_file_names_never_break_listing(raw_name, repo, good, tmp_path):
    (repo / ".issues").joinpath(os.fsdecode(raw_name)).write_bytes(b"x: 1\n")
    before = snapshot(tmp_path)
    result = run_measured(repo, "ls")
    assert "Traceback" not in result.stderr
    assert good in result.stdout
    assert "\x1b" not in result.stderr and "forged" not in result.stderr
    assert len(result.stderr.splitlines()) <= 1  # a printable odd name is reported, once
    assert snapshot(tmp_path) == before


def test_issues_folder_as_a_symlink_is_never_followed(run, repo, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, repo / ".issues")
    new = run("new", "Where does this go?", check=False)
    assert new.returncode == 1
    assert new.stderr.startswith("error: .issues") and new.stderr.count("\n") == 1
    assert list(outside.iterdir()) == []
    listed = run("ls", check=False)
    assert listed.returncode == 1 and "symbolic link" in listed.stderr


def test_issues_folder_as_a_file_is_a_clean_error(run, repo):
    (repo / ".issues").write_text("not a folder\n")
    for args in (("new", "x"), ("ls",)):
        result = run(*args, check=False)
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert (repo / ".issues").read_text() == "not a folder\n"


@pytest.mark.parametrize("make", [
    lambda config: os.symlink("/dev/zero", config),
    lambda config: os.mkfifo(config),
    lambda config: config.write_text("[" * 100_000),
    lambda config: config.write_text(billion_laughs()),
    lambda config: config.write_text("statuses: !!python/object/apply:os.system "
                                     f"['touch {MARKER}']\n"),
], ids=["dev-zero", "fifo", "nesting", "alias-bomb", "python-tag"])
def test_hostile_config_is_one_bounded_error(make, repo, good):
    config = repo / ".issues" / "config.yml"
    config.unlink()
    make(config)
    result = run_measured(repo, "ls")
    assert result.returncode == 1
    assert result.stderr.startswith("error: .issues/config.yml")
    assert result.stderr.count("\n") == 1
    assert result.peak_mb < PEAK_RSS_MB
    assert not MARKER.exists()


def test_control_characters_are_refused_when_writing_too(run, repo):
    """What the reader refuses, the writer must not produce: no unreadable issue is born."""
    result = run("new", "red \x1b[31malert", check=False)
    assert result.returncode == 1 and "control character" in result.stderr
    assert not list((repo / ".issues").glob("*.yml")) if (repo / ".issues").exists() else True


def test_files_just_inside_the_limits_still_work(run, repo, good):
    """The limits refuse bombs, not big honest issues: a body of almost 1 MiB full of
    markdown lists (so the event pre-check runs), unknown keys nested 32 levels deep
    and holding a date, all list, show and print as JSON."""
    from git_issues.fileformat.issuefile import MAX_DEPTH, MAX_FILE_BYTES

    head = header("bigok001", "Big but honest") + "due: 2026-12-01\n"
    head += "extra: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n"
    line = "  - item: with a colon, and a comma [link](x)\n"
    body = "body: |\n" + line * ((MAX_FILE_BYTES - len(head) - 20) // len(line))
    (repo / ".issues" / "bigok001.yml").write_text(head + body)
    assert len((repo / ".issues" / "bigok001.yml").read_bytes()) <= MAX_FILE_BYTES
    assert "bigok001" in run("ls").stdout
    shown = run("show", "bigok001", "--json").stdout
    assert '"due": "2026-12-01"' in shown and "with a colon" in shown


def test_the_biggest_document_the_limits_let_through_stays_bounded(repo, good):
    """Just under the value limit, in the costliest shape (empty mappings): accepted,
    listed, and still well under the memory bound (about 110 MB measured)."""
    from git_issues.fileformat.issuefile import MAX_NODES

    extra = "[" + ",".join(["{}"] * (MAX_NODES - 100)) + "]"
    (repo / ".issues" / "most0001.yml").write_text(header("most0001") + f"extra: {extra}\n")
    for command in (("ls",), ("show", "most0001")):
        result = run_measured(repo, *command)
        assert result.returncode == 0, result.stderr
        assert "most0001" in result.stdout
        assert result.peak_mb < PEAK_RSS_MB
