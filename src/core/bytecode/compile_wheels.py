"""Compiles the .py files of wheels to bytecode zips, with the interpreter that runs it.

    PYTHONHASHSEED=0 python -s -S compile_wheels.py < REQUEST.json

REQUEST: a JSON list of {"wheel": path, "out": path}. For each wheel, `out` gets a zip whose
members are paths relative to site-packages, `<dir>/__pycache__/<stem>.<cache_tag>.pyc` (as
importlib.util.cache_from_source names them), one per .py file the wheel installs into
site-packages that compiles here: a file at the wheel's root, or under `<name>.data/purelib/` or
`<name>.data/platlib/`. Each is a checked-hash pyc (PEP 552): valid wherever the source bytes are
unchanged, whatever the file's mtime. Members are sorted, dated 1980-01-01, mode 0644, deflated.
A wheel with no .py that compiles here gets no zip. `out` is written to a temp file in its
directory and renamed into place, so a run killed at any point leaves no `out` cut short.

An item {"runtime": dir, "out": path} instead compiles the archive runtime's own modules, the
`*.py` files of `dir`, into the new dir `out` as `<stem>.pyc` (checked-hash): the legacy names
zipimport looks for beside each `.py` in the archive, so the cold path imports them without
compiling its sources on every first run. `out` is made as a temp dir and renamed into place.

Output, on stdout, one JSON object: {"cache_tag", "magic" (importlib.util.MAGIC_NUMBER in hex),
"items": [{"wheel", "written" (whether `out` was written), "compiled", "skipped"}]}. An empty
REQUEST only reports the cache tag and magic number.

The same interpreter writes the same bytes for a wheel: before 3.11, marshal writes sets in hash
order and marks objects by their reference counts, so the caller fixes the hash seed and each
wheel is compiled in a child forked from the same state. The caller also passes no other PYTHON*
variable (PYTHONDONTWRITEBYTECODE, PYTHONPYCACHEPREFIX, PYTHONOPTIMIZE...); `-s` keeps the user's
site out and `-S` the site and its .pth files: this needs only the stdlib.
Stdlib only; CPython 3.8+, POSIX (fork).
"""

import importlib.util
import json
import marshal
import os
import shutil
import sys
import tempfile
import traceback
import warnings
import zipfile

SITE_SCHEMES = ("purelib", "platlib")
DOS_EPOCH = (1980, 1, 1, 0, 0, 0)
# PEP 552: bit 0 says the pyc is hash-based, bit 1 that the hash is checked against the source.
CHECKED_HASH_FLAGS = (3).to_bytes(4, "little")


def site_path(name):
    """The site-packages-relative path a wheel member installs to, or None when it goes elsewhere
    (`.data/scripts`, `data`, `headers`) or is a name no installer writes (absolute, `..`)."""
    if name.endswith("/") or name.startswith("/") or "\\" in name:
        return None
    top, _, rest = name.partition("/")
    # The wheel's only top-level `.data` dir is `<name>-<version>.data`: no package is named so.
    if top.endswith(".data"):
        scheme, _, rest = rest.partition("/")
        if scheme not in SITE_SCHEMES or not rest:
            return None
        name = rest
    if any(part in ("", ".", "..") for part in name.split("/")):
        return None
    return name


def pyc(source, path):
    """The checked-hash pyc of `source`, or None when this interpreter does not compile it."""
    try:
        code = compile(source, path, "exec", dont_inherit=True, optimize=0)
    except Exception:  # SyntaxError, ValueError (a NUL byte, a bad coding line), RecursionError, ...
        return None
    return importlib.util.MAGIC_NUMBER + CHECKED_HASH_FLAGS + importlib.util.source_hash(source) + marshal.dumps(code)


def compiled_members(wheel):
    """{member name: pyc bytes} of a wheel, and how many of its site-packages .py did not compile."""
    members, skipped = {}, 0
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            path = site_path(info.filename)
            if path is None or not path.endswith(".py"):
                continue
            member = importlib.util.cache_from_source(path)
            if member in members:
                continue  # the same path at the root and under .data/purelib: installers refuse such a wheel
            data = pyc(zf.read(info), path)
            if data is None:
                skipped += 1
            else:
                members[member] = data
    return members, skipped


def write_zip(out, members, mode):
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(out), prefix=os.path.basename(out) + ".tmp-")
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w") as zf:
            os.fchmod(f.fileno(), mode)  # not mkstemp's 0600: as readable as the cache's other files
            for name in sorted(members):
                info = zipfile.ZipInfo(name, date_time=DOS_EPOCH)
                info.create_system = 3  # unix, wherever it is built: the external_attr holds a unix mode
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, members[name])
        os.replace(temp, out)
    except BaseException:
        os.unlink(temp)
        raise


def compile_wheel(item, mode):
    members, skipped = compiled_members(item["wheel"])
    if members:
        write_zip(item["out"], members, mode)
    return {"wheel": item["wheel"], "written": bool(members), "compiled": len(members), "skipped": skipped}


def compile_runtime(item, mode):
    src, out = item["runtime"], item["out"]
    temp = tempfile.mkdtemp(dir=os.path.dirname(out), prefix=os.path.basename(out) + ".tmp-")
    try:
        compiled = skipped = 0
        for name in sorted(n for n in os.listdir(src) if n.endswith(".py")):
            with open(os.path.join(src, name), "rb") as f:
                data = pyc(f.read(), "pexnx/" + name)
            if data is None:
                skipped += 1
                continue
            with open(os.path.join(temp, name[:-3] + ".pyc"), "wb") as f:
                f.write(data)
            os.chmod(f.name, mode)
            compiled += 1
        os.chmod(temp, 0o755 & (mode | 0o111))  # not mkdtemp's 0700: searchable as far as the files are readable
        try:
            os.rename(temp, out)
        except OSError:
            if not os.path.isdir(out):
                raise
            shutil.rmtree(temp)  # another build made it meanwhile: the same bytes
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return {"wheel": src, "written": True, "compiled": compiled, "skipped": skipped}


def in_child(fn, *args):
    """fn(*args) in a child forked from this process, so that it starts from this state; its result
    comes back as JSON. A child that fails has said why on stderr: this process exits too."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 1
        try:
            with os.fdopen(write, "wb") as f:
                f.write(json.dumps(fn(*args)).encode("utf-8"))
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sys.exit(
            "compiling %s: killed by signal %d" % (args[0].get("wheel") or args[0]["runtime"], os.WTERMSIG(status))
        )
    if status != 0:
        sys.exit(1)
    return json.loads(data)


def main():
    if sys.flags.hash_randomization:
        sys.exit("compile_wheels.py needs PYTHONHASHSEED=0: its bytecode is then the same bytes on every run")
    # Compiling warns (SyntaxWarning, DeprecationWarning) as Python would on the tool's first import;
    # here stderr is kept for the one line that says why this process failed.
    warnings.simplefilter("ignore")
    # cache_from_source would put names under a prefix (-X pycache_prefix); members are site-relative.
    sys.pycache_prefix = None
    request = json.loads(sys.stdin.buffer.read())
    umask = os.umask(0)
    os.umask(umask)
    items = [
        in_child(compile_runtime if "runtime" in item else compile_wheel, item, 0o666 & ~umask) for item in request
    ]
    result = {"cache_tag": sys.implementation.cache_tag, "magic": importlib.util.MAGIC_NUMBER.hex(), "items": items}
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
