"""git-issues: issues that live in the repository, one YAML file each."""

__version__ = "0.1.0"
