"""The git hooks, in real repositories, run by the real git.

After each git command the index is read straight from SQLite: its generation
must have moved (the hook refreshed it) and a freshness plan must find no file
left to re-read (the next read has nothing to do).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import GIT_ISSUES, git
from helpers import write_issue

from git_issues.gitint import githooks
from git_issues.index.engine import connect
from git_issues.index.refresh import plan, read_meta
from git_issues.repo.workspace import open_workspace

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

CREATED = "'2026-01-01T00:00:00Z'"


# -- helpers ----------------------------------------------------------------

def commit_issue(repo: Path, issue_id: str, title: str) -> None:
    write_issue(repo / ".issues", issue_id, title)
    git(repo, "add", ".issues")
    git(repo, "commit", "-q", "-m", f"issue {title}")


def commit_code(repo: Path, name: str = "code.txt", text: str = "x\n") -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"code {name}")


def db_path(where: Path) -> Path:
    return where / git(where, "rev-parse", "--git-path", "git-issues/index.sqlite").strip()


def generation(where: Path) -> int:
    db = db_path(where)
    if not db.exists():
        return 0
    with connect(db) as conn:
        return int(read_meta(conn)["generation"])


def nothing_to_reread(where: Path) -> bool:
    """What a read would do next: no file changed or removed since the last refresh."""
    with connect(db_path(where)) as conn:
        todo = plan(conn, where / ".issues")
    return not todo.changed and not todo.removed


def listed(run, where: Path) -> set[str]:
    out = run("ls", "-s", "all", cwd=where).stdout
    return {line.split("\t")[0] for line in out.splitlines()}


def install(repo: Path, cmd: list[str] | None = None) -> list[str]:
    with open_workspace(repo) as ws:
        return githooks.install(ws, cmd)


def states(repo: Path) -> dict[str, str]:
    with open_workspace(repo) as ws:
        return {h.name: h.state for h in githooks.status(ws)}


def snapshot(directory: Path) -> dict[str, tuple[bytes, int, int, int]]:
    found = {}
    for path in sorted(directory.iterdir()):
        st = path.lstat()
        found[path.name] = (path.read_bytes(), st.st_mode, st.st_mtime_ns, st.st_ino)
    return found


def write_hook(path: Path, text: str, mode: int = 0o755) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


@pytest.fixture
def hooked(run, repo: Path) -> Path:
    """A repository after ``git issues init`` (hooks installed), config committed."""
    run("init")
    git(repo, "commit", "-q", "-m", "issues")
    return repo


# -- the scripts ------------------------------------------------------------

def test_scripts_ship_with_the_package_and_are_posix_sh(tmp_path: Path) -> None:
    for name in githooks.HOOK_NAMES:
        source = githooks.scripts_dir() / name
        assert source.is_file() and os.access(source, os.X_OK), name
        text = githooks.hook_script(name, ["/opt/it's here/git-issues"])
        assert text.startswith("#!/bin/sh\n") and githooks.MARKER.decode() in text
        assert "git_issues_exe='/opt/it'\"'\"'s here/git-issues'" in text
        script = tmp_path / name
        script.write_text(text)
        for shell in ("sh", "dash"):
            if shutil.which(shell):
                proc = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
                assert proc.returncode == 0, f"{shell} -n {name}: {proc.stderr}"


def test_init_installs_hooks_with_the_absolute_path_of_git_issues(hooked: Path) -> None:
    assert set(states(hooked).values()) == {githooks.OURS}
    text = (hooked / ".git" / "hooks" / "post-checkout").read_text()
    assert f"git_issues_exe={GIT_ISSUES}\n" in text


def test_init_no_hooks_installs_none(run, repo: Path) -> None:
    run("init", "--no-hooks")
    assert set(states(repo).values()) == {githooks.MISSING}


# -- freshness after git commands -------------------------------------------

def test_checkout_of_another_branch_refreshes_the_index(run, hooked: Path) -> None:
    commit_issue(hooked, "aaaa1111", "on main")
    git(hooked, "checkout", "-q", "-b", "topic")
    commit_issue(hooked, "bbbb2222", "on topic")
    assert listed(run, hooked) == {"aaaa1111", "bbbb2222"}
    before = generation(hooked)

    git(hooked, "checkout", "-q", "main")

    assert generation(hooked) > before
    assert nothing_to_reread(hooked)
    assert listed(run, hooked) == {"aaaa1111"}


def test_merge_refreshes_the_index(run, hooked: Path) -> None:
    git(hooked, "checkout", "-q", "-b", "feature")
    commit_issue(hooked, "ffff1111", "from feature")
    git(hooked, "checkout", "-q", "main")
    commit_code(hooked)
    assert listed(run, hooked) == set()
    before = generation(hooked)

    git(hooked, "merge", "-q", "--no-edit", "feature")

    assert generation(hooked) > before
    assert nothing_to_reread(hooked)
    assert listed(run, hooked) == {"ffff1111"}


def test_rebase_refreshes_the_index(run, hooked: Path) -> None:
    git(hooked, "checkout", "-q", "-b", "feature")
    commit_code(hooked)
    git(hooked, "checkout", "-q", "main")
    commit_issue(hooked, "cccc3333", "on main meanwhile")
    git(hooked, "checkout", "-q", "feature")
    assert listed(run, hooked) == set()
    before = generation(hooked)

    git(hooked, "rebase", "-q", "main")

    assert generation(hooked) > before
    assert nothing_to_reread(hooked)
    assert listed(run, hooked) == {"cccc3333"}


def test_amend_refreshes_the_index(run, hooked: Path) -> None:
    commit_issue(hooked, "dddd4444", "first title")
    assert listed(run, hooked) == {"dddd4444"}
    before = generation(hooked)
    write_issue(hooked / ".issues", "dddd4444", "second title")
    git(hooked, "add", ".issues")

    git(hooked, "commit", "-q", "--amend", "--no-edit")

    assert generation(hooked) > before
    assert nothing_to_reread(hooked)
    assert "second title" in run("ls").stdout


def test_linked_worktree_shares_the_hooks_and_keeps_its_own_index(run, hooked: Path) -> None:
    commit_issue(hooked, "eeee5555", "shared")
    assert listed(run, hooked) == {"eeee5555"}
    main_db, main_generation = db_path(hooked), generation(hooked)
    tree = hooked.parent / "tree"

    git(hooked, "worktree", "add", "-q", "-b", "other", str(tree))

    assert db_path(tree) != main_db and db_path(tree).exists()  # built by post-checkout
    assert nothing_to_reread(tree)
    assert states(tree) == states(hooked) == dict.fromkeys(githooks.HOOK_NAMES, githooks.OURS)
    commit_issue(tree, "ffff6666", "in the worktree")
    git(tree, "checkout", "-q", "--detach", "main")
    assert nothing_to_reread(tree)
    assert listed(run, tree) == {"eeee5555"}
    assert generation(hooked) == main_generation  # the main worktree's index was not touched
    git(hooked, "merge", "-q", "--no-edit", "other")
    assert generation(hooked) > main_generation and nothing_to_reread(hooked)


def test_without_hooks_a_read_after_checkout_is_still_right(run, repo: Path) -> None:
    run("init", "--no-hooks")
    git(repo, "commit", "-q", "-m", "issues")
    commit_issue(repo, "aaaa1111", "on main")
    git(repo, "checkout", "-q", "-b", "topic")
    commit_issue(repo, "bbbb2222", "on topic")
    assert listed(run, repo) == {"aaaa1111", "bbbb2222"}
    before = generation(repo)

    git(repo, "checkout", "-q", "main")

    assert generation(repo) == before  # nobody refreshed ...
    assert listed(run, repo) == {"aaaa1111"}  # ... and the read is right all the same


# -- cheap: no Python when no issue file changed ----------------------------

@pytest.fixture
def recorded(run, repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Hooks whose baked command only records its arguments."""
    run("init", "--no-hooks")
    commit_issue(repo, "aaaa1111", "one")
    log = tmp_path / "calls.log"
    recorder = tmp_path / "bin" / "git-issues"
    write_hook(recorder, f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n')
    install(repo, [str(recorder)])
    run("ls")  # the index exists and is newer than every issue file
    return repo, log


def calls(log: Path) -> list[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def test_git_commands_that_touch_no_issue_file_start_no_python(recorded) -> None:
    repo, log = recorded
    git(repo, "checkout", "-q", "-b", "code")
    commit_code(repo, "a.txt")
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "code")
    (repo / "a.txt").write_text("changed\n")
    git(repo, "checkout", "-q", "--", "a.txt")  # a file checkout (flag 0)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "code")
    commit_code(repo, "b.txt")
    (repo / "b.txt").write_text("amended\n")
    git(repo, "commit", "-q", "-a", "--amend", "--no-edit")
    git(repo, "rebase", "-q", "code", "main")
    assert calls(log) == []


def test_git_commands_that_touch_issue_files_call_git_issues(recorded) -> None:
    repo, log = recorded
    git(repo, "checkout", "-q", "-b", "topic")
    commit_issue(repo, "bbbb2222", "two")
    assert calls(log) == ["hooks run pre-commit"]
    git(repo, "checkout", "-q", "main")
    assert [c.split()[-1] for c in calls(log)] == ["1"]  # post-checkout, branch flag
    write_issue(repo / ".issues", "aaaa1111", "edited")
    git(repo, "checkout", "-q", "--", ".issues/aaaa1111.yml")
    assert [c.split()[:3] + c.split()[-1:] for c in calls(log)] == [
        ["hooks", "run", "post-checkout", "0"]]
    git(repo, "merge", "-q", "--no-edit", "topic")
    assert calls(log) == ["hooks run post-merge 0"]
    write_issue(repo / ".issues", "aaaa1111", "amended")
    git(repo, "commit", "-q", "-a", "--amend", "--no-edit")
    assert calls(log) == ["hooks run pre-commit", "hooks run post-rewrite amend"]
    git(repo, "checkout", "-q", "topic")
    commit_code(repo)
    calls(log)
    git(repo, "rebase", "-q", "main")  # brings main's amended issue onto topic
    assert [c.split()[2] for c in calls(log)] == ["post-checkout", "post-rewrite"]


# -- living beside other hooks ----------------------------------------------

def test_an_existing_hook_still_runs_once_with_its_arguments_and_stdin(
        run, repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "theirs.log"
    hook_dir = repo / ".git" / "hooks"
    for name in ("post-rewrite", "post-checkout"):
        write_hook(hook_dir / name,
                   f'#!/bin/sh\n{{ echo "{name} $*"; cat; }} >> "{log}"\n')
    run("hooks", "install")
    assert states(repo)["post-rewrite"] == githooks.CHAINED
    old = git(repo, "rev-parse", "HEAD").strip()

    git(repo, "commit", "-q", "--amend", "-m", "reworded")

    new = git(repo, "rev-parse", "HEAD").strip()
    assert log.read_text() == f"post-rewrite amend\n{old} {new}\n"
    log.unlink()
    git(repo, "checkout", "-q", "-b", "topic")
    assert log.read_text() == f"post-checkout {new} {new} 1\n"


def test_an_existing_hook_keeps_its_exit_status(run, repo: Path) -> None:
    hook_dir = repo / ".git" / "hooks"
    write_hook(hook_dir / "pre-commit", "#!/bin/sh\necho 'theirs says no' >&2\nexit 1\n")
    write_hook(hook_dir / "post-checkout", "#!/bin/sh\nexit 3\n")
    alone = subprocess.run(["git", "checkout", "-q", "-b", "before"], cwd=repo)
    run("hooks", "install")
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")

    refused = subprocess.run(["git", "commit", "-q", "-m", "a"], cwd=repo,
                             capture_output=True, text=True)
    checkout = subprocess.run(["git", "checkout", "-q", "-b", "x"], cwd=repo)

    assert refused.returncode == 1 and "theirs says no" in refused.stderr
    assert checkout.returncode == alone.returncode != 0  # as it was before git-issues came


def test_uninstall_restores_the_old_hook_exactly(run, repo: Path) -> None:
    hook_dir = repo / ".git" / "hooks"
    write_hook(hook_dir / "post-merge", "#!/bin/sh\r\necho 'mine'  \n", mode=0o750)
    write_hook(hook_dir / "pre-commit", "#!/bin/sh\nexit 0\n", mode=0o644)  # disabled
    before = snapshot(hook_dir)

    run("hooks", "install")
    assert states(repo) == {"post-checkout": githooks.OURS, "post-merge": githooks.CHAINED,
                            "post-rewrite": githooks.OURS, "pre-commit": githooks.CHAINED}
    run("hooks", "uninstall")

    assert snapshot(hook_dir) == {
        name: (data, mode, mtime, ino) for name, (data, mode, mtime, ino) in before.items()}
    assert stat.S_IMODE((hook_dir / "post-merge").stat().st_mode) == 0o750


def test_installing_twice_changes_nothing(run, repo: Path) -> None:
    write_hook(repo / ".git" / "hooks" / "post-merge", "#!/bin/sh\nexit 0\n")
    run("hooks", "install")
    before = snapshot(repo / ".git" / "hooks")

    again = run("hooks", "install")

    assert snapshot(repo / ".git" / "hooks") == before
    assert "already installed" in again.stderr


def test_status_names_each_state(run, repo: Path) -> None:
    assert set(run("hooks", "status").stdout.split()) >= {"missing"}
    write_hook(repo / ".git" / "hooks" / "post-merge", "#!/bin/sh\nexit 0\n")
    assert states(repo)["post-merge"] == githooks.FOREIGN
    run("hooks", "install")
    write_hook(repo / ".git" / "hooks" / "pre-commit", "#!/bin/sh\n# someone else's\n")

    lines = dict(line.split(None, 1) for line in run("hooks", "status").stdout.splitlines())

    assert lines["post-checkout"].startswith("ours ")
    assert lines["post-merge"].startswith("chained ")
    assert "post-merge.git-issues-orig" in lines["post-merge"]
    assert lines["pre-commit"].startswith("foreign ")


def test_a_foreign_hook_over_a_kept_one_is_left_alone(run, repo: Path) -> None:
    hook_dir = repo / ".git" / "hooks"
    write_hook(hook_dir / "post-merge", "#!/bin/sh\necho first\n")
    run("hooks", "install")
    write_hook(hook_dir / "post-merge", "#!/bin/sh\necho second\n")  # another tool replaced ours

    out = run("hooks", "install").stderr

    assert "post-merge.git-issues-orig is there too" in out
    assert (hook_dir / "post-merge").read_text() == "#!/bin/sh\necho second\n"
    assert (hook_dir / "post-merge.git-issues-orig").read_text() == "#!/bin/sh\necho first\n"


# -- where the hooks go -----------------------------------------------------

@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_core_hooks_path_is_honoured(run, repo: Path, tmp_path: Path, absolute: bool) -> None:
    target = tmp_path / "shared-hooks" if absolute else repo / ".githooks"
    git(repo, "config", "core.hooksPath", str(target) if absolute else ".githooks")
    run("init")
    git(repo, "commit", "-q", "-m", "issues")

    assert {p.name for p in target.iterdir()} == set(githooks.HOOK_NAMES)
    assert not any((repo / ".git" / "hooks" / name).exists() for name in githooks.HOOK_NAMES)
    git(repo, "checkout", "-q", "-b", "topic")
    commit_issue(repo, "aaaa1111", "topic")
    assert listed(run, repo) == {"aaaa1111"}
    before = generation(repo)
    git(repo, "checkout", "-q", "main")
    assert generation(repo) > before and nothing_to_reread(repo)


def test_a_hook_committed_in_the_repository_is_left_alone(run, repo: Path) -> None:
    shared = repo / ".githooks" / "pre-commit"
    write_hook(shared, "#!/bin/sh\nexit 0\n")
    git(repo, "add", ".githooks")
    git(repo, "commit", "-q", "-m", "team hooks")
    git(repo, "config", "core.hooksPath", ".githooks")

    out = run("hooks", "install").stderr

    assert "committed in the repository" in out
    assert shared.read_text() == "#!/bin/sh\nexit 0\n"
    assert states(repo)["pre-commit"] == githooks.FOREIGN
    assert states(repo)["post-merge"] == githooks.OURS
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


# -- failure is harmless ----------------------------------------------------

@pytest.mark.parametrize("gone", ["script", "interpreter"])
def test_a_missing_git_issues_makes_the_hooks_do_nothing_quietly(
        run, hooked: Path, tmp_path: Path, gone: str) -> None:
    baked = tmp_path / "venv" / "bin" / "git-issues"
    if gone == "interpreter":  # the script is there, the Python it names is not
        write_hook(baked, f"#!{tmp_path / 'venv' / 'bin' / 'python'}\nimport sys\n")
    install(hooked, [str(baked)])
    git(hooked, "checkout", "-q", "-b", "topic")
    write_issue(hooked / ".issues", "aaaa1111", "x")
    (hooked / ".issues" / "bbbb2222.yml").write_text("title: [broken\n")
    git(hooked, "add", ".issues")

    commit = subprocess.run(["git", "commit", "-q", "-m", "x"], cwd=hooked,
                            capture_output=True, text=True)
    checkout = subprocess.run(["git", "checkout", "-q", "main"], cwd=hooked,
                              capture_output=True, text=True)

    assert (commit.returncode, commit.stderr) == (0, "")
    assert (checkout.returncode, checkout.stderr) == (0, "")


def test_the_hooks_find_git_issues_without_it_on_path(run, hooked: Path) -> None:
    git(hooked, "checkout", "-q", "-b", "topic")
    commit_issue(hooked, "aaaa1111", "x")
    assert listed(run, hooked) == {"aaaa1111"}
    before = generation(hooked)
    gui_path = os.pathsep.join(sorted({str(Path(shutil.which("git")).parent), "/usr/bin", "/bin"}))
    env = {**os.environ, "PATH": gui_path}
    assert shutil.which("git-issues", path=gui_path) != GIT_ISSUES

    subprocess.run(["git", "checkout", "-q", "main"], cwd=hooked, env=env, check=True)

    assert generation(hooked) > before and nothing_to_reread(hooked)


def test_a_failing_refresh_is_one_warning_and_the_checkout_succeeds(
        run, hooked: Path, tmp_path: Path) -> None:
    git(hooked, "checkout", "-q", "-b", "topic")
    commit_issue(hooked, "aaaa1111", "x")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**os.environ, "ISSUES_DB_PATH": str(blocker / "index.sqlite")}

    proc = subprocess.run(["git", "checkout", "-q", "main"], cwd=hooked, env=env,
                          capture_output=True, text=True)

    assert proc.returncode == 0
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: git-issues: index not refreshed")
    assert git(hooked, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


# -- pre-commit -------------------------------------------------------------

def test_pre_commit_refuses_an_invalid_issue_file_and_stages_nothing(hooked: Path) -> None:
    broken = hooked / ".issues" / "abcd1234.yml"
    broken.write_text("id: abcd1234\ntitle: [unclosed\n")
    git(hooked, "add", ".issues")
    staged_before = git(hooked, "diff", "--cached", "--name-only")

    proc = subprocess.run(["git", "commit", "-q", "-m", "broken"], cwd=hooked,
                          capture_output=True, text=True)

    assert proc.returncode != 0
    assert ".issues/abcd1234.yml" in proc.stderr
    assert git(hooked, "diff", "--cached", "--name-only") == staged_before
    assert broken.read_text() == "id: abcd1234\ntitle: [unclosed\n"
    write_issue(hooked / ".issues", "abcd1234", "fixed")
    git(hooked, "add", ".issues")
    git(hooked, "commit", "-q", "-m", "fixed")
    broken.write_text("id: abcd1234\ntitle: [broken again, not staged\n")
    all_tracked = subprocess.run(["git", "commit", "-q", "-a", "-m", "with -a"], cwd=hooked,
                                 capture_output=True, text=True)
    assert all_tracked.returncode != 0 and ".issues/abcd1234.yml" in all_tracked.stderr


def test_pre_commit_checks_only_what_the_commit_changes(hooked: Path) -> None:
    (hooked / ".issues" / "abcd1234.yml").write_text("id: abcd1234\ntitle: [unclosed\n")
    git(hooked, "add", ".issues")
    git(hooked, "commit", "-q", "--no-verify", "-m", "broken, on purpose")
    write_issue(hooked / ".issues", "bbbb2222", "unrelated")
    git(hooked, "add", ".issues")

    git(hooked, "commit", "-q", "-m", "another issue")  # not refused for the old file

    assert git(hooked, "log", "-1", "--format=%s").strip() == "another issue"


def test_validate_staged_reads_what_the_commit_will_hold(run, repo: Path) -> None:
    run("init", "--no-hooks")
    issues = repo / ".issues"
    (issues / "aaaa1111.yml").write_text("id: aaaa1111\ntitle: [unclosed\n")
    write_issue(repo / ".issues", "bbbb2222", "fine")
    (issues / "cccc3333.yml").write_text(
        f"id: dddd4444\ntitle: wrong name\nstatus: open\ncreated: {CREATED}\n")
    (issues / "eeee5555.yml").symlink_to("bbbb2222.yml")
    (issues / "notes").mkdir()
    (issues / "notes" / "x.yml").write_text("not an issue: [\n")  # not directly in .issues/
    git(repo, "add", ".issues")
    write_issue(repo / ".issues", "aaaa1111", "fixed in the work tree only")
    (issues / "config.yml").write_text("statuses: [open]\n")
    (issues / "bbbb2222.yml").write_text("broken: [ in the work tree only\n")

    with open_workspace(repo) as ws:
        problems = githooks.validate_staged(ws)
        assert [p.split(":")[0] for p in problems] == [
            ".issues/aaaa1111.yml", ".issues/cccc3333.yml", ".issues/eeee5555.yml"]
        assert "does not match the file name" in problems[1]
        assert "symbolic link" in problems[2]
        git(repo, "add", ".issues/config.yml")
        assert any(p.startswith(".issues/config.yml:") for p in githooks.validate_staged(ws))
