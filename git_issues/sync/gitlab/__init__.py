"""GitLab: the REST v4 client, the mapping of its shapes, the adapter, the import."""
