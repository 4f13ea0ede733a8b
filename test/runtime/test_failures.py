"""Errors a user can cause: one line on stderr, a non-zero exit, nothing half-built left."""

import os
import stat
import zipfile

from support import Case, archive, make_wheel, tampered, wheel

TOOLS = {"PEX_TOOLS": "1"}


class FailureTest(Case):
    def assertNoVenv(self, info, root=None):
        venvs = self.venvs(info, root)
        names = os.listdir(venvs) if os.path.isdir(venvs) else []
        self.assertFalse([n for n in names if not n.endswith(".lock")], names)

    def test_wheel_hash_mismatch(self):
        pex, info = tampered(archive(script="hello"), distributions={"greetlib-1.2.0-py3-none-any.whl": "0" * 64})
        err = self.run_cmd([pex, "--version"], code=1)[1]
        self.assertOneLineError(err, "sha256 mismatch", "greetlib-1.2.0-py3-none-any.whl", pex)
        self.assertNoVenv(info)
        self.run_cmd([pex, "venv", os.path.join(self.tmp, "v")], env=TOOLS, code=1)
        self.assertEqual(os.listdir(self.tmp), ["pex_root"])

    def test_zip_slip_is_refused(self):
        evil = make_wheel({"name": "evil", "version": "1.0"}, {"evil/__init__.py": b"", "../evil.txt": b"pwned"})
        pex, info = tampered(archive(wheels=[wheel("greetlib-1.2.0")]), add_wheels=[evil])
        err = self.run_cmd([pex, "-c", "pass"], code=1)[1]
        self.assertOneLineError(err, "evil-1.0-py3-none-any.whl", "'../evil.txt'")
        self.assertNoVenv(info)
        for dirpath, _, filenames in os.walk(self.tmp):
            self.assertNotIn("evil.txt", filenames, dirpath)

    def test_symlink_entry_is_refused(self):
        link = make_wheel({"name": "linky", "version": "1.0"}, {"linky/__init__.py": b""})
        with zipfile.ZipFile(link, "a") as zf:
            member = zipfile.ZipInfo("linky/passwd", (1980, 1, 1, 0, 0, 0))
            member.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(member, "/etc/passwd")
        pex, info = tampered(archive(wheels=[]), add_wheels=[link])
        self.assertOneLineError(self.run_cmd([pex, "-c", "pass"], code=1)[1], "'linky/passwd'")
        self.assertNoVenv(info)

    def test_collisions(self):
        one = make_wheel({"name": "one", "version": "1.0"}, {"shared/data.txt": b"one", "shared/same.txt": b"same"})
        two = make_wheel({"name": "two", "version": "1.0"}, {"shared/data.txt": b"two", "shared/same.txt": b"same"})
        pex, info = archive(wheels=[one, two])
        err = self.run_cmd([pex, "-c", "pass"], code=1)[1]
        self.assertOneLineError(
            err, "one-1.0-py3-none-any.whl", "two-1.0-py3-none-any.whl", "shared/data.txt", "--collisions-ok"
        )
        self.assertNoVenv(info)
        target = os.path.join(self.tmp, "v")
        self.run_cmd([pex, "venv", target], env=TOOLS, code=1)
        self.assertFalse(os.path.exists(target))
        self.run_cmd([pex, "venv", "--collisions-ok", target], env=TOOLS)
        out = self.run_cmd(
            [os.path.join(target, "pex"), "-c", "import shared, os; print(sorted(os.listdir(shared.__path__[0])))"]
        )[0]
        self.assertEqual(out, "['data.txt', 'same.txt']\n")

    def test_identical_files_from_two_wheels_are_fine(self):
        one = make_wheel({"name": "one", "version": "1.0"}, {"shared/same.txt": b"same"})
        two = make_wheel({"name": "two", "version": "1.0"}, {"shared/same.txt": b"same", "two.py": b"X = 2\n"})
        pex, _ = archive(wheels=[one, two])
        self.assertEqual(self.run_cmd([pex, "-c", "import two; print(two.X)"])[0], "2\n")

    def test_unwritable_pex_root_falls_back_to_a_private_temp_root(self):
        blocker = os.path.join(self.tmp, "file")
        with open(blocker, "w"):
            pass
        pex, info = archive(script="hello")
        # A PEX_ROOT below a regular file cannot be created, even by root.
        out, err, _ = self.run_cmd([pex, "--version"], env={"PEX_ROOT": os.path.join(blocker, "root")})
        self.assertEqual(out, "hellotool 1.0.0\n")
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("pex: warning: "), err)
        private = os.path.join(self.tmp, "pexnx-%d" % os.getuid())
        self.assertIn(private, err)
        self.assertEqual(stat.S_IMODE(os.stat(private).st_mode), 0o700)
        self.assertTrue(os.path.isdir(os.path.join(self.venvs(info, private))))

    def test_bad_interpreter_constraint(self):
        pex, _ = tampered(archive(script="hello"), info={"interpreter_constraints": ["CPython>=3.x"]})
        self.assertOneLineError(self.run_cmd(["python3", pex], code=1)[1], "'CPython>=3.x'")
