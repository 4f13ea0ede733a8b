"""Writes a venv for the running interpreter, without `python -m venv` or ensurepip:
pyvenv.cfg, bin/python links, activation scripts, the wheels, the user sources, the runner."""

import contextlib
import glob
import os
import shlex
import shutil
import sys

from . import PexError, runner_files, wheel
from .store import Store, make_dirs, parallel, test_kill

# The kernel truncates longer shebang lines on older Linux; those get the sh trampoline.
_MAX_SHEBANG = 127
_RELOCATABLE_ACTIVATE = """\
# pex-nx --relocatable: this venv is wherever this file is.
_PEXNX_VENV_DIR=$(CDPATH= cd -- "$(dirname -- "${BASH_SOURCE[0]:-$0}")/.." && pwd)
"""


class Options:
    def __init__(self, relocatable=False, prompt=None, bin_path=None, collisions_ok=False, compile=False, pip=False):
        self.relocatable, self.prompt, self.bin_path = relocatable, prompt, bin_path
        self.collisions_ok, self.compile, self.pip = collisions_ok, compile, pip


def base_python():
    """The real interpreter behind sys.executable, even when that is a venv's python (also
    a --copies one, and also under -S, where sys.prefix does not tell)."""
    exe = os.path.realpath(sys.executable)
    bin_dir = os.path.dirname(sys.executable)
    for cfg in (os.path.join(bin_dir, "pyvenv.cfg"), os.path.join(os.path.dirname(bin_dir), "pyvenv.cfg")):
        try:
            with open(cfg, encoding="utf-8") as f:
                lines = [line.partition("=") for line in f]
        except OSError:
            continue
        home = next((value.strip() for key, _, value in lines if key.strip() == "home"), "")
        for name in (os.path.basename(sys.executable), "python%d.%d" % sys.version_info[:2], "python3"):
            if home and os.access(os.path.join(home, name), os.X_OK):
                return os.path.realpath(os.path.join(home, name))
    return exe


def _shebang_maker(dest, relocatable):
    """shebang(args, bin_rel) for a script whose dir reaches bin/ through `bin_rel`."""

    def shebang(args, bin_rel=""):
        python = os.path.join(dest, "bin", "python")
        line = "#!%s %s" % (python, args) if args else "#!" + python
        if not relocatable and len(line.encode("utf-8")) <= _MAX_SHEBANG and not set(" \t\n") & set(python):
            return line + "\n"
        # Valid sh and valid Python: sh execs the venv's python on this file, Python sees a string.
        target = '"$(dirname -- "$0")/%spython"' % bin_rel if relocatable else shlex.quote(python)
        return "#!/bin/sh\n'''exec' %s %s\"$0\" \"$@\"\n' '''\n" % (target, args + " " if args else "")

    return shebang


def _activation_scripts(installer, dest, prompt, relocatable):
    """Renders the interpreter's own venv templates the way its venv module does."""
    templates = os.path.join(os.path.dirname(os.__file__), "venv", "scripts")
    paths = sorted(glob.glob(os.path.join(templates, "common", "*")) + glob.glob(os.path.join(templates, "posix", "*")))
    texts = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                texts[os.path.basename(path)] = f.read()
        except (OSError, UnicodeDecodeError):
            pass  # not text: nothing a POSIX shell would source
    # Templates with "__VENV_DIR__" in quotes take raw values (<= 3.13.0); newer ones
    # (gh-124651, also backported by distributions) expect shell-quoted values.
    quoted = '"__VENV_DIR__"' not in texts.get("activate", '"__VENV_DIR__"')
    values = {
        "__VENV_DIR__": dest,
        "__VENV_NAME__": os.path.basename(dest),
        # 3.13 templates add the parentheses themselves.
        "__VENV_PROMPT__": prompt if sys.version_info >= (3, 13) else "(%s) " % prompt,
        "__VENV_BIN_NAME__": "bin",
        "__VENV_PYTHON__": os.path.join(dest, "bin", "python"),
    }
    for name, text in sorted(texts.items()):
        quote = (lambda s: "'%s'" % s.replace("'", "''")) if name.endswith(".ps1") else shlex.quote
        if relocatable and name == "activate":
            text = (
                _RELOCATABLE_ACTIVATE
                + text.replace("__VENV_DIR__", '"$_PEXNX_VENV_DIR"' if quoted else "$_PEXNX_VENV_DIR")
                + "unset _PEXNX_VENV_DIR\n"
            )
        for key, value in values.items():
            text = text.replace(key, quote(value) if quoted else value)
        installer.write("bin/" + name, text.encode("utf-8"), 0o644, "the venv")


def _sha256_file(path):
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pip_wheel(archive):
    """pip from the archive when the tool depends on it anyway, else the interpreter's
    ensurepip copy (no network)."""
    if any(name.lower().startswith("pip-") for name in archive.info.get("distributions", {})):
        return None
    bundled = sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), "ensurepip", "_bundled", "pip-*.whl")))
    if not bundled:
        raise PexError(
            "--pip needs a pip wheel and neither the archive nor %s's ensurepip has one" % sys.executable,
            archive.path,
            "add pip to the tool's requirements and rebuild the archive",
        )
    return bundled[-1]


def _install_wheels(installer, work, archive, options, store):
    """Places each wheel's files into the venv: copied out of its store entry, or, for a wheel
    the store lacks, extracted from the archive once, into the venv and a new entry."""
    import zipfile

    hashes = archive.info.get("distributions", {})
    names = archive.selected_wheels()
    wheels = [(name, hashes[name], lambda name=name: archive.wheel(name), "wheel") for name in names]
    pip = options.pip and _pip_wheel(archive)
    if pip:  # keyed by its own bytes: nothing else vouches for them
        wheels.append((os.path.basename(pip), _sha256_file(pip), lambda: zipfile.ZipFile(pip), "wheel"))
    # After the wheels, so a wheel's own files win any path both would write.
    wheels += [(label, sha, opener, "bytecode") for label, sha, opener in archive.bytecode(names)]
    batch = store.open(wheels, archive.path)
    try:
        plans, dirs = [], set()
        for name, _, _, _ in wheels:
            entry = batch.entries[name]
            needed, placed, rows = installer.plan_entry(entry)
            dirs |= needed
            plans.append((entry, rows, entry.tasks(placed)))
        make_dirs(os.path.join(work, d) for d in dirs)
        installer.made_dirs(dirs)
        tasks = [(entry, task) for entry, _, entry_tasks in plans for task in entry_tasks]
        # Where the kill hooks fire: after the first wheel's files (a half-written venv), and
        # after about half of the new entries' files (half-written entries).
        stops = [(len(plans[0][2]) if plans else 0, "mid-wheels")]
        new = [i for i, (entry, _) in enumerate(tasks) if entry.new]
        if new and store.root:
            stops.append((new[len(new) // 2], "store-mid-entry"))
        done = 0
        for at, stage in sorted(stops):
            parallel(_place, tasks[done:at])
            done = max(done, at)
            test_kill(stage)
        parallel(_place, tasks[done:])
        batch.commit()
        for entry, rows, _ in plans:
            installer.finish_entry(entry, rows)
    finally:
        batch.close()


def _place(task):
    entry, (rel, dst) = task
    entry.place(rel, dst)


def build(work, dest, archive, options, command, store):
    """Writes the venv into the empty dir `work`; its paths name `dest`, where it will live.
    Wheels come from `store` (a store.Store)."""
    info = archive.info
    version = "%d.%d" % sys.version_info[:2]
    site = "lib/python%s/site-packages" % version
    base = base_python()
    shebang = _shebang_maker(dest, options.relocatable)
    installer = wheel.Installer(
        work, site, "include/site/python" + version, shebang, archive.path, options.collisions_ok
    )

    for d in ("bin", site, "include"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    if sys.maxsize > 2**32 and sys.platform != "darwin":
        os.symlink("lib", os.path.join(work, "lib64"))  # as `python -m venv` does on 64-bit Linux
    for name in ("python", "python3", "python" + version):
        os.symlink(base, os.path.join(work, "bin", name))
        installer.claim("bin/" + name, "the venv")
    cfg = [
        "home = %s" % os.path.dirname(base),
        "include-system-site-packages = false",
        "version = %d.%d.%d" % sys.version_info[:3],
        "executable = %s" % base,
        "command = %s" % command,
    ] + (["prompt = %r" % options.prompt] if options.prompt else [])
    installer.write("pyvenv.cfg", ("\n".join(cfg) + "\n").encode("utf-8"), 0o644, "the venv")
    _activation_scripts(installer, dest, options.prompt or os.path.basename(dest), options.relocatable)

    _install_wheels(installer, work, archive, options, store)
    installer.install_sources(archive.zip, archive.sources(), "the archive's own sources")
    # Python makes __pycache__ dirs on the tool's first imports with the tool's umask, which
    # may be 000. Made now they get the build's safe mode; the .pyc files take their source's.
    make_dirs(os.path.join(work, d, "__pycache__") for d in installer.py_dirs)

    entry = None
    if info.get("entry_point"):
        entry = ("call" if ":" in info["entry_point"] else "module", info["entry_point"])
    elif info.get("script"):
        entry = installer.scripts.get(info["script"])
        if not entry:
            raise PexError(
                "PEX-INFO script %r is not installed by any wheel" % info["script"],
                archive.path,
                "use one of: %s" % (", ".join(sorted(installer.scripts)) or "(none)"),
            )
    for name, data, mode in runner_files.files(
        shebang("-sE", "bin/"),
        entry,
        installer.scripts,
        options.bin_path or info.get("venv_bin_path") or "false",
        info.get("strip_pex_env", True),
    ):
        installer.write(name, data, mode, "the venv")
    installer.write("PEX-INFO", archive.pex_info_bytes, 0o644, "the venv")
    if options.compile:
        import compileall

        compileall.compile_dir(os.path.join(work, site), ddir=os.path.join(dest, site), quiet=2)


@contextlib.contextmanager
def no_shared_write():
    """Nothing built is group- or world-writable, whatever the caller's umask; the tool
    still runs with the caller's umask."""
    old = os.umask(0o022)
    os.umask(old | 0o022)
    try:
        yield
    finally:
        os.umask(old)


def new_work_dir(parent, prefix):
    """A fresh sibling dir to build in, so the final rename is atomic. (Not tempfile.mkdtemp:
    importing tempfile costs more than these lines.)"""
    work = os.path.join(parent, prefix + os.urandom(8).hex())
    os.mkdir(work, 0o755)  # less the umask, which no_shared_write() keeps from 0o022 up
    return work


def swap_in(work, dest):
    """Renames `work` to `dest`. Anything at `dest` is moved aside first and deleted after,
    so `dest` is only ever missing between two renames; a failure restores it."""
    aside = None
    if os.path.lexists(dest) and not (os.path.isdir(dest) and not os.listdir(dest)):
        aside = new_work_dir(os.path.dirname(dest), "." + os.path.basename(dest) + ".tmp-")
        os.rename(dest, os.path.join(aside, "old"))
    try:
        os.rename(work, dest)  # atomic; also replaces an empty dir
    except OSError:
        if aside:
            os.rename(os.path.join(aside, "old"), dest)
        raise
    if aside:
        shutil.rmtree(aside, ignore_errors=True)


def materialize(archive, dest, options, force, root):
    """`PEX_TOOLS=1 x.pex venv DEST`: builds beside DEST, then swaps it in. Wheels come from
    the store of PEX_ROOT `root` when that dir exists (the tool has run here); otherwise, or
    when it is unwritable, straight from the archive: materializing never creates PEX_ROOT."""
    dest = os.path.abspath(dest)
    if os.path.lexists(dest) and not (os.path.isdir(dest) and not os.listdir(dest)) and not force:
        raise PexError(
            "%s already exists and is not empty" % dest, archive.path, "pass --force to replace it, or pick another dir"
        )
    parent = os.path.dirname(dest)
    os.makedirs(parent, exist_ok=True)
    work = new_work_dir(parent, "." + os.path.basename(dest) + ".tmp-")
    try:
        store = Store(root if root and os.path.isdir(root) else None)
        build(work, dest, archive, options, "PEX_TOOLS=1 %s venv %s" % (archive.path, dest), store)
        swap_in(work, dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
