"""The archive contract, from contract.json beside this module: the TypeScript builder reads
the same file and renders it into preamble.sh and __main__.py (docs/archive-format.md)."""

import json
import os
import stat


def _load():
    # Through the loader, so it reads the same from the archive's zip and from a source tree.
    return json.loads(__loader__.get_data(os.path.join(os.path.dirname(__file__), "contract.json")).decode("utf-8"))


_CONTRACT = _load()
RESERVED_FILES = tuple(_CONTRACT["reserved"]["files"])
RESERVED_DIRS = tuple(_CONTRACT["reserved"]["dirs"])
# .deps/.bytecode/<cache tag>/<wheel file name>: a wheel's pycs for one interpreter.
BYTECODE_DIR = _CONTRACT["bytecode"]["dir"]
VENVS_DIR = _CONTRACT["venvs"]["dir"]
_HASH_CHARS = _CONTRACT["venvs"]["hashChars"]
OVERRIDES = tuple(_CONTRACT["overrides"])
# Newest first: the order interpreters are searched in.
CPYTHON_MINORS = range(_CONTRACT["cpythonMinors"]["newest"], _CONTRACT["cpythonMinors"]["oldest"] - 1, -1)
# The platforms of environments (tags.py maps sysconfig platforms onto them).
PLATFORMS = tuple(_CONTRACT["platforms"])
_UNSAFE = _CONTRACT["unsafeEntry"]
UNSAFE_SAYS = _UNSAFE["says"]
# `pex: <what>, <where>: <fix>`, the shape of every error line the runtime and the plugin print:
# a regex source for the tests of both sides (the runtime only prints such lines, so imports no `re`).
ERROR_LINE = _CONTRACT["errorLine"]


def venvs_subdir(pex_hash):
    """`nx1/<pex_hash[:16]>`: the dir under PEX_ROOT holding one archive's venvs."""
    return os.path.join(VENVS_DIR, pex_hash[:_HASH_CHARS])


def is_reserved(name):
    """Whether a zip entry is one the archive writes itself (not a user source)."""
    return name in RESERVED_FILES or name.startswith(RESERVED_DIRS)


def is_unsafe_entry(name, mode):
    """Whether a zip entry could land outside the dir it is installed into; `mode` is the
    high 16 bits of its external attributes."""
    return bool(
        (_UNSAFE["absolute"] and name.startswith("/"))
        or any(part in _UNSAFE["parts"] for part in name.split("/"))
        or any(c in name for c in _UNSAFE["chars"])
        or (_UNSAFE["symlink"] and stat.S_ISLNK(mode))
    )
