"""pex-nx runtime: the cold path of a pex-nx archive (builds its venv, PEX_TOOLS commands).

Shipped inside every archive under .bootstrap/; stdlib only, CPython 3.8+, POSIX.
"""


class PexError(Exception):
    """A problem the user can fix; shown as one line: `pex: <what>, <where>: <how to fix>`."""

    def __init__(self, what, where, fix):
        super().__init__("%s, %s: %s" % (what, where, fix))
