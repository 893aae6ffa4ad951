"""Git integration: hooks, the merge driver and its registration."""
