"""The shape of the package, as docs/architecture.md draws it: rooms on floors, each importing
only from its own floor or below; no import circle; SQL only in the index; short modules; imports
at the top but for the few the start-up of a command needs, each saying why."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "git_issues"

# docs/architecture.md, "The house": lowest floor first.
FLOORS = {
    "errors": 0, "fastpaths": 0, "__init__": 0,
    "core": 1,
    "fileformat": 2,
    "repo": 3,
    "index": 4,
    "ops": 5,
    "gitint": 6,
    "sync": 7,
    "cli": 8, "web": 8, "__main__": 8,
}
MAX_LINES = 500
MAX_LAZY = 40
LAZY_REASON = re.compile(r"#\s*lazy:\s*\w+")
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|"
                 r"CREATE\s+(TABLE|INDEX|VIRTUAL)|PRAGMA\s+\w+)", re.IGNORECASE | re.DOTALL)


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def room(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def type_checking_nodes(tree: ast.AST) -> set[int]:
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(child) for child in ast.walk(node))
    return inside


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules this one imports when it runs (type-checking imports aside)."""
    tree = ast.parse(path.read_text())
    skip = type_checking_nodes(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("git_issues"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
    found.discard(name)
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def test_every_module_lives_in_a_room_of_the_house():
    assert {room(name) for name in modules()} <= set(FLOORS)


def test_no_room_imports_from_a_floor_above_it():
    upward = [f"{a} -> {b}" for a, targets in graph().items() for b in sorted(targets)
              if FLOORS[room(b)] > FLOORS[room(a)]]
    assert upward == []


def test_the_package_has_no_import_circle():
    edges = graph()
    state: dict[str, int] = {}
    circles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join(trail[trail.index(nxt):] + [node, nxt])
                               if nxt in trail else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    assert circles == []


def test_sql_and_database_handles_stay_inside_the_index():
    outside = []
    for name, path in modules().items():
        if room(name) == "index":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and SQL.search(node.value):
                outside.append(f"{name}:{node.lineno}: SQL text")
            elif isinstance(node, ast.Attribute) and node.attr == "conn":
                outside.append(f"{name}:{node.lineno}: .conn")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                    [a.name for a in node.names]
                if any(n.split(".")[0] in ("sqlite3", "sqlalchemy") for n in names):
                    outside.append(f"{name}:{node.lineno}: imports a database library")
    assert outside == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_longer_than_500_lines(name):
    lines = len(modules()[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def function_level_imports() -> list[tuple[str, int, str]]:
    found = []
    for name, path in modules().items():
        text = path.read_text()
        lines = text.splitlines()
        seen = set()
        for func in ast.walk(ast.parse(text)):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno not in seen:
                    seen.add(node.lineno)
                    found.append((name, node.lineno,
                                  " ".join(lines[node.lineno - 1:node.end_lineno])))
    return found


def test_imports_inside_functions_are_few_and_say_why():
    """Start-up speed once dictated the shape everywhere: now only the read path and what a
    write must load defer an import, and each deferred import says why in one word."""
    lazy = function_level_imports()
    assert [f"{name}:{line}" for name, line, text in lazy if not LAZY_REASON.search(text)] == []
    assert len(lazy) <= MAX_LAZY


def test_package_init_files_hold_nothing_but_a_docstring():
    """The read path imports single modules of core/, repo/ and fileformat/: a package's
    __init__ that imported its rooms would load them all. (cli/__init__ holds `main`, the
    console script's entry point.)"""
    for name, path in modules().items():
        if path.name == "__init__.py" and name.count(".") >= 1 and name != "git_issues.cli":
            body = ast.parse(path.read_text()).body
            assert len(body) == 1 and isinstance(body[0], ast.Expr), name
