"""Where the benchmark keeps its files, the fixed parameters of every run, and the
error every part raises."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent.parent  # bench/
OUT = HERE / "out"
GEN_VERSION = 1  # bump when the generated repositories change shape
SEED = 20261126
PEER = "microbeads"
PEER_VERSION = "0.3.0"
TIMEOUT = 900.0  # seconds; a hung command (an editor?) must not hang the bench
NEEDLE = "segfault"  # the full-text word; in about 1% of issues
CHECKOUT_FILES = 100  # issue files that differ between main and bench-issues100
FF_FILES = 10  # issue files a fast-forward merge changes
CODE_FILES = 1000  # code files that differ between main and bench-code1000


class BenchError(RuntimeError):
    """A setup step or a measured command failed; the message says which."""
