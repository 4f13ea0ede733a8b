"""Interpreter selection: constraints, PEX_PYTHON, PEX_PYTHON_PATH, PATH; re-exec."""

import os
import unittest

from support import PYTHON, VERSION, Case, archive, other_pythons, wheel
from pexnx import PexError, interpreter, tags

PRINT_VERSION = ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]


class ConstraintTest(unittest.TestCase):
    def check(self, constraints, version):
        parsed = interpreter.parse_constraints(constraints, "here")
        return interpreter.matches(interpreter.Interpreter("cpython", version, ""), parsed)

    def test_pep440_specifiers(self):
        self.assertTrue(self.check([], (3, 8, 1)))
        self.assertTrue(self.check([">=3.9,<3.14"], (3, 13, 0)))
        self.assertFalse(self.check([">=3.9,<3.14"], (3, 14, 0)))
        self.assertFalse(self.check([">=3.9,<3.14"], (3, 8, 18)))
        self.assertTrue(self.check(["CPython==3.11.*"], (3, 11, 7)))
        self.assertFalse(self.check(["CPython==3.11.*"], (3, 12, 1)))
        self.assertTrue(self.check(["==3.8.*", "==3.12.*"], (3, 12, 1)))  # a list is OR
        self.assertTrue(self.check(["~=3.10"], (3, 12, 0)))
        self.assertFalse(self.check(["~=3.10.2"], (3, 11, 0)))
        self.assertTrue(self.check(["!=3.9.*"], (3, 10, 0)))
        self.assertTrue(self.check(["==3.11"], (3, 11, 0)))
        self.assertFalse(self.check(["PyPy"], (3, 11, 0)))
        self.assertTrue(self.check(["CPython"], (3, 11, 0)))
        for bad in ("CPython>=3.x", "Jython>=3", ">=3.*", "~=3", "3.8"):
            with self.assertRaises(PexError, msg=bad):
                interpreter.parse_constraints([bad], "here")


class SelectionTest(Case):
    def setUp(self):
        super().setUp()
        others = other_pythons()
        if not others:
            self.skipTest("needs a second CPython 3.8+ interpreter")
        self.other_version, self.other = sorted(others.items())[-1]
        self.other_bin = os.path.join(self.tmp, "other-bin")
        os.makedirs(self.other_bin)
        os.symlink(self.other, os.path.join(self.other_bin, "python" + self.other_version))
        self.path = os.pathsep.join([self.other_bin, self.env["PATH"]])

    def test_constraints_excluding_this_python_reexec_one_from_path(self):
        pex, info = archive(constraints=["CPython==%s.*" % self.other_version])
        out = self.run_cmd([PYTHON, pex] + PRINT_VERSION, env={"PATH": self.path})[0]
        self.assertEqual(out, self.other_version + "\n")
        names = [n for n in os.listdir(self.venvs(info)) if n.startswith("cp")]
        self.assertEqual(len(names), 1, names)
        self.assertTrue(names[0].startswith("cp%s-" % self.other_version.replace(".", "")), names)
        # The preamble starts python3 (this interpreter); its cold path re-execs python3.X.
        self.assertEqual(self.run_cmd([pex] + PRINT_VERSION, env={"PATH": self.path})[0], self.other_version + "\n")
        self.assertEqual(
            self.run_cmd([pex] + PRINT_VERSION, env={"PATH": "/nonexistent"})[0], self.other_version + "\n"
        )

    def test_pex_python(self):
        pex, _ = archive()
        self.assertEqual(
            self.run_cmd([pex] + PRINT_VERSION, env={"PEX_PYTHON": self.other})[0], self.other_version + "\n"
        )
        out = self.run_cmd([pex] + PRINT_VERSION, env={"PEX_PYTHON": "python" + self.other_version, "PATH": self.path})[
            0
        ]
        self.assertEqual(out, self.other_version + "\n")
        self.assertEqual(self.run_cmd([pex] + PRINT_VERSION)[0], VERSION + "\n")
        err = self.run_cmd([pex] + PRINT_VERSION, env={"PEX_PYTHON": "python9.9"}, code=1)[1]
        self.assertOneLineError(err, "PEX_PYTHON=python9.9 was not found")
        pex, _ = archive(constraints=["==%s.*" % VERSION])
        err = self.run_cmd([pex] + PRINT_VERSION, env={"PEX_PYTHON": self.other}, code=1)[1]
        self.assertOneLineError(err, "does not satisfy", self.other_version)

    def test_pex_python_path(self):
        pex, _ = archive()
        out = self.run_cmd([pex] + PRINT_VERSION, env={"PEX_PYTHON_PATH": self.other_bin})[0]
        self.assertEqual(out, self.other_version + "\n")
        out = self.run_cmd([PYTHON, pex] + PRINT_VERSION, env={"PEX_PYTHON_PATH": self.other})[0]
        self.assertEqual(out, self.other_version + "\n")

    def test_no_matching_interpreter(self):
        pex, _ = archive(constraints=[">=3.99"])
        err = self.run_cmd([PYTHON, pex, "--version"], env={"PATH": self.path}, code=1)[1]
        self.assertOneLineError(
            err, "'>=3.99'", "%s (CPython %s" % (PYTHON, VERSION), "CPython %s." % self.other_version
        )
        self.assertFalse(os.path.exists(self.root) and [n for n in os.listdir(self.root)])


def link_bin(parent, name, links):
    """A temp dir of symlinks ({name: target}) to put on PATH."""
    path = os.path.join(parent, name)
    os.makedirs(path)
    for link, target in links.items():
        os.symlink(target, os.path.join(path, link))
    return path


def fake_shim(parent, name):
    """Like a pyenv shim of an installed but inactive version: it exists and exits 127."""
    os.makedirs(parent, exist_ok=True)
    path = os.path.join(parent, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho 'pyenv: %s: command not found' >&2\nexit 127\n" % name)
    os.chmod(path, 0o755)
    return path


class PathOrderTest(Case):
    """The first interpreter on PATH that fits: python3, then python3.X newest first, then python."""

    def setUp(self):
        super().setUp()
        self.others = sorted(other_pythons().items(), key=lambda kv: tuple(map(int, kv[0].split("."))))
        if len(self.others) < 3:
            self.skipTest("needs three other CPython 3.8+ minors")
        # Excludes the interpreter running the tests, so the cold path must look on PATH.
        self.pex, _ = archive(wheels=[], constraints=["!=%s.*" % VERSION])

    def version_via(self, path, cmd_prefix=()):
        return self.run_cmd(list(cmd_prefix) + [self.pex] + PRINT_VERSION, env={"PATH": path})[0].strip()

    def test_order(self):
        (oldest, p_oldest), (second, p_second), (newest, p_newest) = self.others[0], self.others[1], self.others[-1]
        links = {"python3": p_oldest, "python" + newest: p_newest, "python" + second: p_second, "python": p_second}
        full = link_bin(self.tmp, "all", links)
        self.assertEqual(self.version_via(full, [PYTHON]), oldest)  # python3 beats a newer python3.X
        self.assertEqual(self.version_via(full), oldest)
        del links["python3"]
        self.assertEqual(self.version_via(link_bin(self.tmp, "versioned", links), [PYTHON]), newest)
        only = link_bin(self.tmp, "plain", {"python": p_second})
        self.assertEqual(self.version_via(only, [PYTHON]), second)

    def test_failing_interpreters_are_skipped(self):
        (low, p_low), (high, _) = self.others[0], self.others[-1]
        # A failing python3.<high> that is not in a shims dir: the cold path probes and skips it.
        broken = os.path.dirname(fake_shim(os.path.join(self.tmp, "broken"), "python" + high))
        real = link_bin(self.tmp, "real", {"python" + low: p_low})
        self.assertEqual(self.version_via(os.pathsep.join([broken, real]), [PYTHON]), low)
        # A pyenv-style shims dir goes last for the preamble too.
        shims = os.path.dirname(fake_shim(os.path.join(self.tmp, "pyenv", "shims"), "python" + high))
        self.assertEqual(self.version_via(os.pathsep.join([shims, real])), low)

    def test_inactive_pyenv_versions_are_found_behind_their_shims(self):
        high, p_high = self.others[-1]
        pex, _ = archive(wheels=[], constraints=["==%s.*" % high])
        pyenv = os.path.join(self.tmp, "pyenv")
        shims = os.path.dirname(fake_shim(os.path.join(pyenv, "shims"), "python" + high))
        # An installed, inactive version: pyenv's root holds it; only its shim is on PATH.
        bin_dir = os.path.join(pyenv, "versions", "%s.0" % high, "bin")
        os.makedirs(bin_dir)
        os.symlink(p_high, os.path.join(bin_dir, "python" + high))
        path = os.pathsep.join([shims, link_bin(self.tmp, "active", {"python3": PYTHON})])
        self.assertEqual(self.run_cmd([PYTHON, pex] + PRINT_VERSION, env={"PATH": path})[0].strip(), high)
        self.assertEqual(self.run_cmd([pex] + PRINT_VERSION, env={"PATH": path})[0].strip(), high)
        # Without the shims dir on PATH, pyenv is not in use: nothing is looked up there.
        err = self.run_cmd(
            [PYTHON, pex] + PRINT_VERSION, env={"PATH": link_bin(self.tmp, "only", {"python3": PYTHON})}, code=1
        )[1]
        self.assertNotIn(bin_dir, err)

    def test_nothing_fits_lists_what_was_found(self):
        (low, p_low), (high, _) = self.others[0], self.others[-1]
        pex, _ = archive(wheels=[], constraints=["==%s.*" % high])
        broken = fake_shim(os.path.join(self.tmp, "broken"), "python" + high)
        links = {"python" + low: p_low, "python3": PYTHON}
        python2 = os.path.expanduser("~/.pyenv/versions/2.7.18/bin/python")
        if os.access(python2, os.X_OK):  # a `python` that is Python 2 is reported, not fatal
            links["python"] = python2
        path = os.pathsep.join([os.path.dirname(broken), link_bin(self.tmp, "real", links)])
        err = self.run_cmd([PYTHON, pex] + PRINT_VERSION, env={"PATH": path}, code=1)[1]
        self.assertOneLineError(
            err,
            "'==%s.*'" % high,
            "%s (does not run)" % broken,
            "python%s (CPython %s." % (low, low),
            "(CPython %s." % VERSION,
        )
        if "python" in links:
            self.assertIn("/python (CPython 2.7.18)", err)


class WheelTagTest(unittest.TestCase):
    """PEP 425 tags of the locked wheels against an interpreter (no processes)."""

    def usable(self, name, version, abiflags="", platform=None):
        return tags.wheel_runs(name, "cpython", version, abiflags, platform)

    def test_python_and_abi(self):
        self.assertTrue(self.usable("a-1-py3-none-any.whl", (3, 8, 0)))
        self.assertTrue(self.usable("a-1-py2.py3-none-any.whl", (3, 13, 0)))
        self.assertFalse(self.usable("a-1-py2-none-any.whl", (3, 13, 0)))
        self.assertTrue(self.usable("a-1-py38-none-any.whl", (3, 12, 0)))
        self.assertFalse(self.usable("a-1-py312-none-any.whl", (3, 8, 0)))
        self.assertTrue(self.usable("a-1-cp311-none-any.whl", (3, 11, 2)))
        self.assertFalse(self.usable("a-1-cp311-none-any.whl", (3, 12, 0)))
        linux = "linux-x86_64"
        self.assertTrue(self.usable("a-1-cp311-cp311-linux_x86_64.whl", (3, 11, 7), platform=linux))
        self.assertFalse(self.usable("a-1-cp311-cp311-linux_x86_64.whl", (3, 8, 18), platform=linux))
        self.assertFalse(self.usable("a-1-cp313-cp313-linux_x86_64.whl", (3, 13, 0), "t", platform=linux))
        self.assertTrue(self.usable("a-1-cp313-cp313t-linux_x86_64.whl", (3, 13, 0), "t", platform=linux))
        self.assertTrue(self.usable("a-1-cp38-abi3-manylinux2014_x86_64.whl", (3, 12, 0), platform=linux))
        self.assertFalse(self.usable("a-1-cp312-abi3-manylinux2014_x86_64.whl", (3, 11, 0), platform=linux))
        self.assertTrue(self.usable("a-1-1build-py3-none-any.whl", (3, 9, 0)))  # a build tag

    def test_platforms(self):
        linux = "linux-x86_64"
        ok = tags.platform_ok
        self.assertTrue(ok("any", linux))
        self.assertTrue(ok("linux_x86_64", linux))
        self.assertTrue(ok("manylinux1_x86_64", linux))
        self.assertTrue(ok("manylinux_2_17_x86_64", linux))
        self.assertFalse(ok("manylinux_2_17_aarch64", linux))
        if tags._glibc():
            self.assertFalse(ok("manylinux_2_999_x86_64", linux))
        self.assertFalse(ok("win_amd64", linux))
        self.assertFalse(ok("macosx_11_0_arm64", linux))
        self.assertTrue(ok("macosx_10_9_universal2", "macosx-11.0-arm64"))
        self.assertTrue(ok(tags_platform_of_this_machine()))

    def test_several_tags_in_one_name(self):
        self.assertTrue(self.usable("a-1-cp38.cp311-cp38.cp311-linux_x86_64.whl", (3, 11, 0), platform="linux-x86_64"))
        self.assertTrue(tags.wheel_runs("not-a-wheel-name.zip", "cpython", (3, 8, 0)))


def tags_platform_of_this_machine():
    import sysconfig

    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


class LockedWheelTest(Case):
    """An archive locked for cp311 (a cp311-cp311-linux_x86_64 wheel) is refused by other
    versions before its venv is built, and picks a 3.11 from PATH when there is one."""

    def setUp(self):
        super().setUp()
        if tags_platform_of_this_machine() != "linux_x86_64":
            self.skipTest("the fixture wheel is tagged linux_x86_64")
        found = dict(other_pythons(), **{VERSION: PYTHON})
        if "3.11" not in found or len(found) < 2:
            self.skipTest("needs CPython 3.11 and another version")
        self.py311 = found["3.11"]
        self.other_version, self.other = sorted((v, p) for v, p in found.items() if v != "3.11")[0]
        self.pex, self.info = archive(wheels=[wheel("cp311only-1.0")])
        self.code = ["-c", "import sys, cp311only; print(cp311only.WHO, '%d.%d' % sys.version_info[:2])"]

    def test_other_versions_are_refused_in_one_line(self):
        err = self.run_cmd([self.pex] + self.code, env={"PEX_PYTHON": self.other}, code=1)[1]
        self.assertOneLineError(
            err,
            "PEX_PYTHON=%s does not satisfy" % self.other,
            "CPython %s." % self.other_version,
            "no wheel for it: cp311only-1.0-cp311-cp311-linux_x86_64.whl",
        )
        self.assertFalse(os.path.exists(self.venvs(self.info)) and os.listdir(self.venvs(self.info)))
        out = self.run_cmd([self.pex] + self.code, env={"PEX_PYTHON": self.py311})[0]
        self.assertEqual(out, "cp311only 3.11\n")

    def test_a_fitting_interpreter_on_path_is_chosen(self):
        path = link_bin(self.tmp, "bin", {"python3": self.other, "python3.11": self.py311})
        self.assertEqual(self.run_cmd([self.pex] + self.code, env={"PATH": path})[0], "cp311only 3.11\n")
        only = link_bin(self.tmp, "only", {"python3": self.other})
        # A fresh PEX_ROOT: with the 3.11 venv in place, the preamble's warm path would run it.
        env = {"PATH": only, "PEX_ROOT": os.path.join(self.tmp, "fresh")}
        err = self.run_cmd([self.pex] + self.code, env=env, code=1)[1]
        self.assertOneLineError(err, "no interpreter satisfies", "cp311only-1.0-cp311-cp311-linux_x86_64.whl")
