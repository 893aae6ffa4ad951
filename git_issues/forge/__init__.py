"""Talking to forges (GitHub's REST API v3): one HTTP client, opened in a ``with``."""
