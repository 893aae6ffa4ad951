"""``git issues serve``: the issues of one or more repositories in a browser.

Imported only by the ``serve`` command: Flask, Jinja2, waitress and
markdown-it-py are an optional extra (``pip install git-issues-cli[web]``) that
``ls`` and every other command never load.
"""
