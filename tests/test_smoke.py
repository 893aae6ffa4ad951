"""The tour from the README, through the installed console script."""

from __future__ import annotations


def test_tour(run, repo):
    run("init")
    issue_id = run("new", "Engine cache leaks", "-l", "bug", "-p", "1").stdout.strip()
    assert (repo / ".issues" / f"{issue_id}.yml").is_file()
    listed = run("ls").stdout
    assert listed.startswith(issue_id + "\topen\tP1\tEngine cache leaks\tbug")
    shown = run("show", issue_id[:4]).stdout
    assert "Engine cache leaks" in shown
    path = repo / ".issues" / f"{issue_id}.yml"
    path.write_text(path.read_text().replace("Engine cache leaks", "Engine cache leaks fds"))
    assert "Engine cache leaks fds" in run("ls").stdout
