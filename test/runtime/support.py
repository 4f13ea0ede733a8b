"""Shared helpers for the runtime tests: the fixture wheels (built once per run), archives
written by the real builder (src/core/archive/archive.ts, through build_archive.js), tampered
copies of them for the tests of broken archives, and isolated environments to run them in."""

import atexit
import base64
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
BUILDER = os.path.join(ROOT, "test", "runtime", "build_archive.js")
sys.path.insert(0, os.path.join(ROOT, "test", "fixtures"))
sys.path.insert(0, RUNTIME)

import build_wheels  # noqa: E402
from pexnx import contract, interpreter  # noqa: E402

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


class BuildError(Exception):
    """The builder refused the inputs; the message is its one line."""


_builder = []


def _request(request):
    """One request to build_archive.js, started on first use and kept for the whole run."""
    if not _builder:
        if not os.path.exists(os.path.join(ROOT, "dist", "core", "archive", "index.js")):
            raise RuntimeError("dist/ has no builder: run `npm run build` first (`npm run test:runtime` does it)")
        node = os.environ.get("PEXNX_TEST_NODE") or shutil.which("node") or "node"
        proc = subprocess.Popen(
            [node, BUILDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True, encoding="utf-8"
        )
        _builder.append(proc)
        atexit.register(lambda: (proc.stdin.close(), proc.wait(), proc.stdout.close()))
    proc = _builder[0]
    proc.stdin.write(json.dumps(request) + "\n")
    proc.stdin.flush()
    answer = json.loads(proc.stdout.readline() or '{"ok": false, "error": "build_archive.js exited"}')
    if not answer["ok"]:
        raise BuildError(answer["error"])


def pex_info(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("PEX-INFO").decode("utf-8"))


PLATFORMS = ("linux_x86_64", "linux_aarch64", "macos_arm64", "macos_x86_64")
MINORS = range(8, 15)


def environment(platform, minor, wheels):
    """One locked environment: `wheels` holds, per package, wheel paths (or names) best first."""
    return {
        "id": "%s-cp3%d" % (platform, minor),
        "platform": platform,
        "python": "3.%d" % minor,
        "wheels": [[os.path.basename(w) for w in choices] for choices in wheels],
    }


def default_environments(wheels, constraints=()):
    """What a lock of these wheels for every platform would hold: each platform × each CPython
    minor the constraints allow (all of them when none does), every wheel a package of its own."""
    parsed = interpreter.parse_constraints(list(constraints), "test")
    minors = [
        m
        for m in MINORS
        if any(interpreter.matches(interpreter.Interpreter("cpython", (3, m, p), ""), parsed) for p in range(100))
    ]
    return [environment(p, m, [[w] for w in wheels]) for p in PLATFORMS for m in minors or MINORS]


def build_archive(
    path,
    wheels,
    entry_point=None,
    script=None,
    constraints=(),
    sources=None,
    bin_path="false",
    strip_pex_env=True,
    environments=None,
    compile=False,
):
    """Writes an archive with the plugin's builder; `sources` is {relative path: bytes};
    `environments` as environment() makes them (default: default_environments); `compile`: with
    the bytecode the builder compiles with this interpreter (for its minor only). Returns its PEX-INFO."""
    names = [os.path.basename(w) for w in wheels]
    _request(
        {
            "out": path,
            "wheels": list(wheels),
            "environments": environments or default_environments(wheels, constraints),
            "requirements": sorted("%s==%s" % tuple(n.split("-")[:2]) for n in names),
            "entryPoint": entry_point,
            "script": script,
            "interpreterConstraints": list(constraints),
            "sources": {name: base64.b64encode(data).decode("ascii") for name, data in (sources or {}).items()},
            "buildProperties": {"class": "CPython", "pex_nx_version": "0.1.0"},
            "venvBinPath": bin_path,
            "stripPexEnv": strip_pex_env,
            # The runtime under test is the source tree's; only the writer comes from dist/.
            "runtimeDir": RUNTIME,
            "compile": compile and {"python": PYTHON, "minor": VERSION, "cacheDir": os.path.join(TMP, "wheel-cache")},
        }
    )
    return pex_info(path)


def archive(**kwargs):
    """A cached archive of the hellotool closure; kwargs as for build_archive. Returns
    (path, PEX-INFO)."""
    kwargs.setdefault("wheels", [wheel(s) for s in HELLO])
    key = repr(sorted(kwargs.items()))
    if key not in _archives:
        path = os.path.join(TMP, "archive-%d.pex" % len(_archives))
        _archives[key] = (path, build_archive(path, **kwargs))
    return _archives[key]


def rewrite(pex, change_info=None, put=None):
    """Tampering, for the tests of broken archives: rewrites the zip behind the preamble with
    PEX-INFO replaced by change_info(PEX-INFO) (dumped as json.dumps does) and the entries
    `put` ({name: bytes}, stored) added or replaced, past every check of the builder."""
    with zipfile.ZipFile(pex) as zf:
        entries = [(m, zf.read(m)) for m in zf.infolist() if m.filename not in (put or {})]
    with open(pex, "rb") as f:
        preamble = f.read().split(b"PK\x03\x04", 1)[0]
    for name, data in sorted((put or {}).items()):
        entries.append((zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data))
    with open(pex, "wb") as f:
        f.write(preamble)
        # Mode "w" on a positioned file: offsets come out absolute, preamble included.
        with zipfile.ZipFile(f, "w") as zf:
            for member, data in sorted(entries, key=lambda e: e[0].filename):
                if member.filename == "PEX-INFO" and change_info:
                    data = json.dumps(change_info(json.loads(data))).encode()
                zf.writestr(member, data)


def tampered(built, info=None, distributions=None, add_wheels=(), replace=None):
    """Tampering: a copy of `built` (an archive() result) with PEX-INFO fields set from `info`,
    its `distributions` updated from `distributions`, `add_wheels` put into .deps/ as they
    are (listed in PEX-INFO with their true sha256), for wheels the builder refuses, and the
    entries in `replace` ({name: bytes}) swapped in. Returns (path, PEX-INFO)."""
    path = os.path.join(tempfile.mkdtemp(dir=TMP), "tampered.pex")
    shutil.copy(built[0], path)
    extra = {}
    for whl in add_wheels:
        with open(whl, "rb") as f:
            extra[os.path.basename(whl)] = f.read()

    def change(old):
        new = dict(old, **(info or {}))
        new["distributions"] = dict(
            old["distributions"],
            **{name: hashlib.sha256(data).hexdigest() for name, data in extra.items()},
            **(distributions or {}),
        )
        # The added wheels are packages of every environment, so every interpreter installs them.
        for env in new["pex_nx"]["environments"]:
            env["wheels"] = env["wheels"] + [[name] for name in sorted(extra)]
        return new

    rewrite(path, change, dict({".deps/" + name: data for name, data in extra.items()}, **(replace or {})))
    return path, pex_info(path)


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
        oldest = contract.CPYTHON_MINORS[-1]
        if os.access(real, os.X_OK) and minor != VERSION and minor[:2] == "3." and int(minor[2:] or 0) >= oldest:
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
        return os.path.join(root or self.root, contract.venvs_subdir(info["pex_hash"]))

    def assertOneLineError(self, stderr, *needles):
        """One error line, in the shape of contract.json's errorLine (`pex: <what>, <where>: <fix>`)."""
        lines = stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertRegex(lines[0], contract.ERROR_LINE)
        self.assertNotIn("Traceback", stderr)
        for needle in needles:
            self.assertIn(needle, lines[0])
