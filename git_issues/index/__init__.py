"""The disposable SQLite index: derived from the files, rebuilt whenever in doubt."""
