"""The benchmark behind ``bench/run.py``, one module per part (see bench/README.md)."""
