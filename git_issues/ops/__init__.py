"""The use cases, one module each: writes, log, diff, check, export, templates, commits."""
