"""The cold path: PEX_TOOLS, interpreter selection, the cached venv (built once, atomically,
under a lock), the `sh` link for the preamble, then exec of the venv's runner."""

import os
import sys
import time
import zipfile
import zlib

from . import PexError, contract, interpreter, venv
from .archive import Archive
from .store import Store, test_kill


def _log(message):
    if os.environ.get("PEX_VERBOSE", "0") not in ("", "0"):
        sys.stderr.write("pex: %s\n" % message)


def _complete(path):
    # A venv only ever appears by rename once fully written; these also catch a removed base python.
    return os.access(os.path.join(path, "pex"), os.X_OK) and os.access(os.path.join(path, "bin", "python"), os.X_OK)


def pex_root():
    env = os.environ
    if env.get("PEX_ROOT"):
        return os.path.abspath(env["PEX_ROOT"])
    cache = env.get("XDG_CACHE_HOME")
    if not cache:
        home = os.path.expanduser("~")  # $HOME, else the password database
        if not os.path.isabs(home):
            return None
        cache = os.path.join(home, ".cache")
    return os.path.abspath(os.path.join(cache, "pex"))


def private_root():
    """A per-user dir under the temp dir, reused across runs when it is provably ours."""
    import stat
    import tempfile

    path = os.path.join(tempfile.gettempdir(), "pexnx-%d" % os.getuid())
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        path = tempfile.mkdtemp(prefix="pexnx-")  # someone else's, or loose: use a fresh one
    return path


def fallback_root(root, error):
    """The private root to use instead of an unwritable `root`, announced in one line."""
    fallback = private_root()
    sys.stderr.write(
        "pex: warning: cannot write PEX_ROOT (%s), %s: using %s instead; set PEX_ROOT to a writable dir\n"
        % (error.strerror or error, root or "$HOME", fallback)
    )
    return fallback


def _open_lock(venvs, key):
    os.makedirs(venvs, exist_ok=True)
    return os.open(os.path.join(venvs, ".%s.lock" % key), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)


def cached_venv(archive, key):
    """<PEX_ROOT>/nx1/<pex_hash[:16]>/<key>, built if missing; returns its path."""
    import fcntl
    import shutil

    sub = contract.venvs_subdir(archive.info["pex_hash"])
    root = pex_root()
    if root and _complete(os.path.join(root, sub, key)):
        return os.path.join(root, sub, key)
    try:
        if not root:
            raise OSError("no home directory")
        lock = _open_lock(os.path.join(root, sub), key)
    except OSError as e:
        root = fallback_root(root, e)
        lock = _open_lock(os.path.join(root, sub), key)
    venvs = os.path.join(root, sub)
    path = os.path.join(venvs, key)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        test_kill("after-lock")
        if _complete(path):  # another process built it while we waited
            return path
        for name in os.listdir(venvs):
            if name.startswith(".%s.tmp-" % key):  # left by a builder that died: we hold the lock
                shutil.rmtree(os.path.join(venvs, name), ignore_errors=True)
        started = time.time()
        work = venv.new_work_dir(venvs, ".%s.tmp-" % key)
        try:
            venv.build(work, path, archive, venv.Options(), archive.path, Store(root, fallback_root))
            test_kill("before-rename")
            venv.swap_in(work, path)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        _log("built %s in %.0f ms" % (path, (time.time() - started) * 1000))
        return path
    finally:
        os.close(lock)


def point_sh_link(venvs, key):
    """Repoints <venvs>/sh (what the preamble execs) at this venv, atomically."""
    link = os.path.join(venvs, "sh")
    try:
        if os.readlink(link) == key:
            return
    except OSError:
        pass
    temp = os.path.join(venvs, ".sh.tmp-%d-%s" % (os.getpid(), os.urandom(4).hex()))
    try:
        os.symlink(key, temp)
        os.rename(temp, link)
    except OSError:
        # Only an optimisation: without it the preamble just keeps taking this path.
        if os.path.lexists(temp):
            os.unlink(temp)


def _run(path, key):
    archive = Archive(path)
    env = os.environ
    if env.get("PEX_TOOLS"):
        from . import tools

        return tools.main(archive, sys.argv[1:])
    interpreter.select(archive.info, path)
    with venv.no_shared_write():
        built = cached_venv(archive, key)
        test_kill("after-rename-before-link")
        if env.pop("__PEXNX_SH", None) and not env.get("PEX_PYTHON") and not env.get("PEX_PYTHON_PATH"):
            point_sh_link(os.path.dirname(built), key)
    env["PEX"] = path
    runner = os.path.join(built, "pex")
    sys.stderr.flush()  # exec drops unflushed buffers (stderr is block-buffered on 3.8)
    os.execv(runner, [runner] + sys.argv[1:])


def main(path, key):
    """Entry from the archive's __main__.py; `key` is this interpreter's venv key."""
    try:
        sys.exit(_run(path, key))
    except PexError as e:
        message = str(e)
    except OSError as e:
        message = "%s, %s: check that it exists and is writable" % (e.strerror or e, e.filename or path)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        # PEX-INFO and the wheels are checked up front; this is damage elsewhere in the zip.
        message = "the archive is corrupt (%s), %s: rebuild it or download it again" % (e, path)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.stderr.write("pex: %s\n" % message)
    sys.exit(1)
