"""The only door to bytes: the guarded read, the readers and writers of issue files."""
