#!/usr/bin/env python3
"""Benchmark git-issues as a user meets it: whole cold processes, against floors.

    python bench/run.py [--n 1000,10000,100000] [--repeat 5] [--no-peer] [--json OUT]

Why it is built this way:

* Every command runs as a whole new process, because start-up (imports) is most
  of what a user waits for, and an in-process timer would hide it.
* The floors (``python -c pass`` and ``python -c "import click"``) are timed in
  the same run, interleaved with the measured runs, because the machines this
  runs on are shared and noisy: a ratio to a floor taken seconds apart is far
  steadier than a time in seconds.  Ratios are against ``import click``.
* The console script is run by its real path next to ``sys.executable``, not
  through a pyenv shim (which adds tens of milliseconds of shell).
* Repositories are generated with the package's own canonical writer, so the
  files are exactly what the tool writes, and cached under ``bench/out/``
  (gitignored); each run works on a fresh copy, so nothing drifts.
* The peer (microbeads, from PyPI) is installed into a throw-away venv under
  ``bench/out/`` and timed on a repository of the same size, in the same run.

See bench/README.md for what each measure does.
"""

from __future__ import annotations

import sys
from pathlib import Path

# gibench/ (in this folder) and tests/sealed.py, the sealed environment the tests use too.
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from gibench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
