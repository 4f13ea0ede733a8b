"""Bytecode shipped in the archive (docs/archive-format.md, "Bytecode"): the builder compiles each
wheel with this interpreter, and the venv gets the pycs, valid here, so a first run compiles none
of the wheels' modules; through the store like the wheels; only for this interpreter's cache tag."""

import hashlib
import io
import json
import os
import sys
import zipfile

from support import HELLO, PYTHON, RUNTIME, Case, archive, other_pythons, pex_info, tampered, wheel

TAG = sys.implementation.cache_tag


def _site(venv):
    lib = os.path.join(venv, "lib")
    return os.path.join(lib, os.listdir(lib)[0], "site-packages")


def _shipped(pex):
    """{site-packages path: pyc bytes} of every bytecode zip in the archive, for this cache tag."""
    out = {}
    with zipfile.ZipFile(pex) as zf:
        for name in zf.namelist():
            if name.startswith(".deps/.bytecode/%s/" % TAG):
                with zipfile.ZipFile(io.BytesIO(zf.read(name))) as inner:
                    out.update({member: inner.read(member) for member in inner.namelist()})
    return out


class BytecodeTest(Case):
    def setUp(self):
        super().setUp()
        self.pex, self.info = archive(script="hello", compile=True)

    def test_the_archive_lists_a_zip_per_wheel_for_this_interpreter(self):
        names = {os.path.basename(wheel(stem)) for stem in HELLO}
        self.assertEqual(set(self.info["pex_nx"]["bytecode"]), {TAG})
        self.assertEqual(set(self.info["pex_nx"]["bytecode"][TAG]), names)
        self.assertIn("greetlib/__pycache__/__init__.%s.pyc" % TAG, _shipped(self.pex))

    def test_the_venv_holds_the_shipped_pycs_and_python_takes_them_as_they_are(self):
        dest = os.path.join(self.tmp, "venv")
        self.run_cmd([self.pex, "venv", dest], env={"PEX_TOOLS": "1"})
        site = _site(dest)
        shipped = _shipped(self.pex)
        for rel, data in shipped.items():
            with open(os.path.join(site, rel), "rb") as f:
                self.assertEqual(f.read(), data, rel)
            self.assertEqual(int.from_bytes(data[4:8], "little"), 3, "a checked-hash pyc: " + rel)
        # Nothing ran in this venv yet: Python loads the shipped pycs, compiling nothing.
        _, err, _ = self.run_cmd([os.path.join(dest, "bin", "python"), "-v", "-c", "import hellotool.cli"])
        loaded = os.path.join(site, "greetlib", "__pycache__", "__init__.%s.pyc" % TAG)
        self.assertIn("code object from %r" % loaded, err)
        self.assertNotIn("# wrote", err)
        # In no RECORD: like the pycs Python writes itself.
        with open(os.path.join(site, "greetlib-1.2.0.dist-info", "RECORD")) as f:
            self.assertNotIn(".pyc", f.read())

    def test_a_source_edited_in_the_venv_is_compiled_again(self):
        self.assertEqual(self.run_cmd([self.pex, "Ann"])[0], "Hello, Ann! [red]\n")
        venv = os.path.join(self.venvs(self.info), os.readlink(os.path.join(self.venvs(self.info), "sh")))
        with open(os.path.join(_site(venv), "greetlib", "__init__.py"), "w") as f:
            f.write('def greet(name):\n    return "Howdy, %s!" % name\n')
        self.assertEqual(self.run_cmd([self.pex, "Ann"])[0], "Howdy, Ann! [red]\n")

    def test_the_store_keeps_the_bytecode_and_a_later_venv_copies_it(self):
        self.run_cmd([self.pex, "--version"])
        store = os.path.join(self.root, "nx1", "store")
        for sha in self.info["pex_nx"]["bytecode"][TAG].values():
            with open(os.path.join(store, sha, "MANIFEST.json")) as f:
                manifest = json.load(f)
            self.assertIsNone(manifest["dist_info"])
            self.assertTrue(all(row[0].startswith("site/") and row[0].endswith(".pyc") for row in manifest["files"]))
        dest = os.path.join(self.tmp, "second")
        self.run_cmd([self.pex, "venv", dest], env={"PEX_TOOLS": "1"})
        for rel, data in _shipped(self.pex).items():
            with open(os.path.join(_site(dest), rel), "rb") as f:
                self.assertEqual(f.read(), data, rel)

    def test_bytecode_of_another_interpreter_is_not_installed(self):
        other = {"cpython-39999": self.info["pex_nx"]["bytecode"][TAG]}
        pex, _ = tampered((self.pex, self.info), info={"pex_nx": dict(self.info["pex_nx"], bytecode=other)})
        self.assertEqual(self.run_cmd([pex, "--version"])[0], "hellotool 1.0.0\n")
        venvs = self.venvs(pex_info(pex))
        site = _site(os.path.join(venvs, os.readlink(os.path.join(venvs, "sh"))))
        # The run compiled greetlib itself: a pyc of Python's own (timestamp-based), not the shipped one.
        with open(os.path.join(site, "greetlib", "__pycache__", "__init__.%s.pyc" % TAG), "rb") as f:
            self.assertEqual(int.from_bytes(f.read()[4:8], "little"), 0)

    def test_a_bytecode_zip_holding_anything_but_pycs_is_refused(self):
        greetlib = os.path.basename(wheel("greetlib-1.2.0"))
        evil = io.BytesIO()
        with zipfile.ZipFile(evil, "w") as zf:
            zf.writestr("greetlib/evil.py", "print('pwned')\n")
        data = evil.getvalue()
        bytecode = dict(self.info["pex_nx"]["bytecode"])
        bytecode[TAG] = dict(bytecode[TAG], **{greetlib: hashlib.sha256(data).hexdigest()})
        pex, _ = tampered(
            (self.pex, self.info),
            info={"pex_nx": dict(self.info["pex_nx"], bytecode=bytecode)},
            replace={".deps/.bytecode/%s/%s" % (TAG, greetlib): data},
        )
        err = self.run_cmd([pex, "--version"], code=1)[1]
        self.assertOneLineError(err, "greetlib/evil.py, which is not bytecode")
        self.assertFalse(os.path.lexists(os.path.join(self.venvs(pex_info(pex)), "sh")))

    def test_a_tampered_bytecode_zip_fails_its_sha256_check(self):
        greetlib = os.path.basename(wheel("greetlib-1.2.0"))
        bytecode = {TAG: dict(self.info["pex_nx"]["bytecode"][TAG], **{greetlib: "0" * 64})}
        pex, _ = tampered((self.pex, self.info), info={"pex_nx": dict(self.info["pex_nx"], bytecode=bytecode)})
        self.assertOneLineError(self.run_cmd([pex, "--version"], code=1)[1], "sha256 mismatch")


class RuntimeBytecodeTest(Case):
    """The runtime's own modules, compiled for one interpreter, beside their sources in .bootstrap/pexnx."""

    def setUp(self):
        super().setUp()
        self.pex, self.info = archive(script="hello", compile=True)

    def import_boot(self, python):
        """What the cold path does first: pexnx from the archive's .bootstrap/."""
        code = (
            "import sys; sys.path.insert(0, sys.argv[1] + '/.bootstrap'); import pexnx.boot; print(pexnx.boot.__file__)"
        )
        return self.run_cmd([python, "-S", "-c", code, self.pex])[0].strip()

    def test_the_cold_path_imports_the_compiled_runtime_and_the_venv_runner_is_its_source(self):
        self.assertEqual(self.import_boot(PYTHON), self.pex + "/.bootstrap/pexnx/boot.pyc")
        self.assertEqual(self.run_cmd([self.pex, "--version"])[0], "hellotool 1.0.0\n")
        venvs = self.venvs(self.info)
        with open(os.path.join(venvs, "sh", "pex"), "rb") as f:
            runner = f.read()
        with open(os.path.join(RUNTIME, "pexnx", "runner.py"), "rb") as f:
            self.assertTrue(runner.endswith(f.read()), "the venv's pex is runner.py behind a shebang, not its bytecode")

    def test_another_minor_imports_the_runtime_from_source_and_runs(self):
        others = other_pythons()
        if not others:
            self.skipTest("no CPython of another minor on this machine")
        python = others[sorted(others)[0]]
        self.assertEqual(self.import_boot(python), self.pex + "/.bootstrap/pexnx/boot.py")
        self.assertEqual(self.run_cmd([python, self.pex, "--version"])[0], "hellotool 1.0.0\n")
