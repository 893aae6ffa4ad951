"""Allow ``python -m git_issues``."""

from git_issues.cli import main

if __name__ == "__main__":
    main()
