# pex-nx archive entry (`python x.pex`, or the sh preamble's fallback).
# Fast path: with this interpreter's venv already built, exec it. It imports only os and
# sys; everything else lives in .bootstrap/pexnx and is imported on the cold path only.
import os
import sys

# Rendered by the build from the archive contract (pexnx/contract.json): the venvs dir of
# this archive under PEX_ROOT, and the variables that need the cold path (interpreter
# selection, tools, or runner overrides). A string keeps this file plain Python.
VENVS = "@VENVS@"
OVERRIDES = "@OVERRIDES@".split()


def interpreter_key():
    """`cp311-1a2b3c4d`: implementation, version and FNV-1a 64 of the real executable path."""
    h = 0xCBF29CE484222325
    for byte in os.path.realpath(sys.executable).encode("utf-8", "surrogateescape"):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    impl = {"cpython": "cp", "pypy": "pp"}.get(sys.implementation.name, sys.implementation.name)
    return "%s%d%d-%s" % (impl, sys.version_info[0], sys.version_info[1], ("%016x" % h)[:8])


def cached_runner(key):
    env = os.environ
    if any(env.get(name) for name in OVERRIDES):
        return None
    root = env.get("PEX_ROOT")
    if not root:
        cache = env.get("XDG_CACHE_HOME") or (env.get("HOME") and os.path.join(env["HOME"], ".cache"))
        if not cache:
            return None
        root = os.path.join(cache, "pex")
    venvs = os.path.join(os.path.abspath(root), VENVS)
    runner = os.path.join(venvs, key, "pex")
    if not (os.access(runner, os.X_OK) and os.access(os.path.join(venvs, key, "bin", "python"), os.X_OK)):
        return None
    if env.get("__PEXNX_SH"):
        # The preamble could not use the `sh` link; the cold path repoints it at this venv.
        try:
            if os.readlink(os.path.join(venvs, "sh")) != key:
                return None
        except OSError:
            return None
    return runner


def main():
    archive = os.path.abspath(sys.argv[0])
    key = interpreter_key()
    runner = cached_runner(key)
    if runner:
        os.environ["PEX"] = archive
        try:
            os.execv(runner, [runner] + sys.argv[1:])
        except OSError:
            pass  # e.g. a venv half-deleted under us: the cold path rebuilds it
    sys.path.insert(0, os.path.join(archive, ".bootstrap"))
    from pexnx import boot

    boot.main(archive, key)


if __name__ == "__main__":
    main()
