"""Pure: the issue model, ids, comparisons; no I/O."""
