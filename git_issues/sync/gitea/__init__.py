"""Gitea and Forgejo (Codeberg): the import of a repository's issues over API v1."""
