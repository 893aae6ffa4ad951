"""One repository: the workspace, git's plumbing, the .issues/ folder, the config."""
