"""Shared helpers for the runtime tests: the fixture wheels (built once per run), a small
archive builder that follows docs/archive-format.md (the TypeScript builder is the real
one), and isolated environments to run archives in."""

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNTIME = os.path.join(ROOT, "src", "runtime")
sys.path.insert(0, os.path.join(ROOT, "test", "fixtures"))
sys.path.insert(0, RUNTIME)

import build_wheels  # noqa: E402
from pexnx import interpreter  # noqa: E402

PYTHON = os.path.realpath(sys.executable)
VERSION = "%d.%d" % sys.version_info[:2]
TMP = tempfile.mkdtemp(prefix="pexnx-test-")


def remove_tree(path):
    """rmtree that also removes store entries, whose dirs are read-only: a non-root rmtree
    would leave them."""
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            try:
                if not os.path.islink(os.path.join(dirpath, name)):
                    os.chmod(os.path.join(dirpath, name), 0o755)
            except OSError:
                pass
    shutil.rmtree(path, True)


atexit.register(remove_tree, TMP)
WHEELHOUSE = os.path.join(TMP, "wheels")
HELLO = ("hellotool-1.0.0", "greetlib-1.2.0", "acme_colors-0.1.0", "acme_shapes-0.1.0")
EPOCH = (1980, 1, 1, 0, 0, 0)

# Every test's PATH starts with this dir: python/python3 are the interpreter under test
# (never the slow pyenv shim), then the system dirs for sh and friends.
BIN = os.path.join(TMP, "bin")
os.makedirs(BIN)
for _name in ("python", "python3"):
    os.symlink(PYTHON, os.path.join(BIN, _name))
PATH = os.pathsep.join([BIN, "/usr/bin", "/bin"])

_wheels = {}
_archives = {}


def wheel(stem):
    """Path of a fixture wheel by `<dist>-<version>`; all are built on first use, those
    with C extensions (compiled for this interpreter) only when asked for."""
    if not _wheels:
        for project in sorted(os.listdir(build_wheels.PROJECTS)):
            if not build_wheels.load_spec(os.path.join(build_wheels.PROJECTS, project)).get("extensions"):
                _add_wheel(project)
    if stem not in _wheels:
        _add_wheel(stem.rsplit("-", 1)[0])
    return _wheels[stem]


def _add_wheel(project):
    path = build_wheels.build_project(WHEELHOUSE, os.path.join(build_wheels.PROJECTS, project))
    _wheels["-".join(os.path.basename(path).split("-")[:2])] = path


def make_wheel(spec, files, executable=(), compression=zipfile.ZIP_DEFLATED):
    """A one-off wheel (collisions, unsafe paths…) in a fresh dir; returns its path."""
    return build_wheels.write_wheel(tempfile.mkdtemp(dir=TMP), spec, files, executable, compression)


def pythons_for(constraints):
    """The @PYTHONS@ value of the contract."""
    try:
        parsed = interpreter.parse_constraints(constraints, "test")
    except Exception:  # an invalid constraint is the runtime's to report
        parsed = None
    if not parsed:
        return "python3 python"
    minors = [
        m
        for m in range(20, 7, -1)
        if any(
            interpreter.matches(interpreter.Interpreter("cpython", (3, m, micro), ""), parsed)
            for micro in range(0, 100)
        )
    ]
    return " ".join(["python3"] + ["python3.%d" % m for m in minors] + ["python"])


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_archive(
    path,
    wheels,
    entry_point=None,
    script=None,
    constraints=(),
    sources=None,
    distributions=None,
    bin_path="false",
    strip_pex_env=True,
):
    """Writes an archive as docs/archive-format.md says. `distributions` overrides PEX-INFO's
    hashes (to test mismatches); `sources` is {relative path: bytes}."""
    sources = sources or {}
    code_hash = hashlib.sha1()
    for name in sorted(sources):
        code_hash.update(name.encode() + b"\0" + sources[name] + b"\0")
    names = [os.path.basename(w) for w in wheels]
    info = {
        "build_properties": {
            "class": "CPython",
            "pex_nx_version": "0.1.0",
            "platform": "linux_x86_64",
            "version": list(sys.version_info[:3]),
        },
        "code_hash": code_hash.hexdigest(),
        "deps_are_wheel_files": True,
        "distributions": dict({n: _sha256(w) for n, w in zip(names, wheels)}, **(distributions or {})),
        "emit_warnings": True,
        "entry_point": entry_point,
        "includes_tools": True,
        "inherit_path": "false",
        "interpreter_constraints": list(constraints),
        "pex_path": None,
        "requirements": sorted("%s==%s" % tuple(n.split("-")[:2]) for n in names),
        "script": script,
        "strip_pex_env": strip_pex_env,
        "venv": True,
        "venv_bin_path": bin_path,
        "venv_copies": False,
        "zip_safe": True,
    }
    dump = lambda obj: json.dumps(obj, sort_keys=True, separators=(",", ":"))  # noqa: E731
    info["pex_hash"] = hashlib.sha1(dump(info).encode()).hexdigest()

    def render(name):
        with open(os.path.join(RUNTIME, name)) as f:
            text = f.read()
        return text.replace("@PEX_HASH@", info["pex_hash"]).replace("@PYTHONS@", pythons_for(constraints))

    entries = {"PEX-INFO": dump(info).encode(), "__main__.py": render("__main__.py").encode()}
    for name in os.listdir(os.path.join(RUNTIME, "pexnx")):
        if name.endswith(".py"):
            with open(os.path.join(RUNTIME, "pexnx", name), "rb") as f:
                entries[".bootstrap/pexnx/" + name] = f.read()
    for name, whl in zip(names, wheels):
        with open(whl, "rb") as f:
            entries[".deps/" + name] = f.read()
    entries.update(sources)
    with open(path, "wb") as f:
        f.write(render("preamble.sh").encode())
        # Mode "w" on a positioned file: offsets come out absolute, preamble included.
        with zipfile.ZipFile(f, "w") as zf:
            for name in sorted(entries):
                member = zipfile.ZipInfo(name, EPOCH)
                member.external_attr = 0o100644 << 16
                member.compress_type = zipfile.ZIP_STORED if name.startswith(".deps/") else zipfile.ZIP_DEFLATED
                zf.writestr(member, entries[name])
    os.chmod(path, 0o755)
    return info


def archive(**kwargs):
    """A cached archive of the hellotool closure; kwargs as for build_archive. Returns
    (path, PEX-INFO)."""
    kwargs.setdefault("wheels", [wheel(s) for s in HELLO])
    key = repr(sorted(kwargs.items()))
    if key not in _archives:
        path = os.path.join(TMP, "archive-%d.pex" % len(_archives))
        _archives[key] = (path, build_archive(path, **kwargs))
    return _archives[key]


def ikey_of(python):
    """The contract's interpreter key, computed independently of the runtime."""
    out = subprocess.run(
        [python, "-c", "import os,sys;print(os.path.realpath(sys.executable));print('%d%d'%sys.version_info[:2])"],
        stdout=subprocess.PIPE,
        check=True,
        universal_newlines=True,
    ).stdout.split()
    h = 0xCBF29CE484222325
    for byte in out[0].encode():
        h = ((h ^ byte) * 0x100000001B3) % 2**64
    return "cp%s-%s" % (out[1], ("%016x" % h)[:8])


def other_pythons():
    """Other CPython 3.8+ interpreters on this machine ({"3.X": real path}), for re-exec tests."""
    found = {}
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for path in sorted(__import__("glob").glob(os.path.join(pyenv, "versions", "3.*", "bin", "python3"))) + [
        "/usr/bin/python3"
    ]:
        real = os.path.realpath(path)
        minor = os.path.basename(real)[len("python") :]
        if os.access(real, os.X_OK) and minor != VERSION and minor[:2] == "3." and int(minor[2:] or 0) >= 8:
            found.setdefault(minor, real)
    return found


class Case(unittest.TestCase):
    """Each test gets its own temp dir, PEX_ROOT and a clean environment."""

    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=TMP)
        self.root = os.path.join(self.tmp, "pex_root")
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PEX", "__PEXNX", "PYTHON", "VIRTUAL_ENV")) and k != "XDG_CACHE_HOME"
        }
        self.env.update(PATH=PATH, PEX_ROOT=self.root, TMPDIR=self.tmp)

    def run_cmd(self, args, env=None, code=0, input=None, cwd=None):
        """Runs args; asserts the exit code (None: any). Returns (stdout, stderr, code)."""
        proc = subprocess.run(
            args,
            env=dict(self.env, **(env or {})),
            input=input,
            cwd=cwd or self.tmp,
            timeout=120,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        )
        if code is not None:
            self.assertEqual(proc.returncode, code, "%s\nstdout: %s\nstderr: %s" % (args, proc.stdout, proc.stderr))
        return proc.stdout, proc.stderr, proc.returncode

    def venvs(self, info, root=None):
        return os.path.join(root or self.root, "nx1", info["pex_hash"][:16])

    def assertOneLineError(self, stderr, *needles):
        lines = stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertTrue(lines[0].startswith("pex: "), stderr)
        self.assertNotIn("Traceback", stderr)
        for needle in needles:
            self.assertIn(needle, lines[0])
