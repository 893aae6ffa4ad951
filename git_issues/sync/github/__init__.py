"""GitHub: the REST client, the import, the two-way sync."""
