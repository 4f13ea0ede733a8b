"""Running an archive: both ways in, the cached venv, the warm path and its fallbacks."""

import os
import shutil
import subprocess
import sys

from support import PYTHON, VERSION, Case, archive, ikey_of


class RunTest(Case):
    def setUp(self):
        super().setUp()
        self.pex, self.info = archive(script="hello")
        self.hashdir = self.venvs(self.info)
        self.venv = os.path.join(self.hashdir, ikey_of(PYTHON))

    def test_dot_slash_and_python_both_run_the_tool(self):
        self.assertEqual(self.run_cmd([self.pex, "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(self.run_cmd([PYTHON, self.pex, "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(self.run_cmd([self.pex, "Ann"])[0], "Hello, Ann! [red]\n")

    def test_first_run_builds_one_venv_and_later_runs_reuse_it(self):
        self.run_cmd([self.pex, "--version"])
        self.assertEqual(
            sorted(n for n in os.listdir(self.hashdir) if not n.startswith(".")),
            sorted(["sh", os.path.basename(self.venv)]),
        )
        self.assertEqual(os.readlink(os.path.join(self.hashdir, "sh")), os.path.basename(self.venv))
        before = os.stat(self.venv)
        os.utime(os.path.join(self.venv, "pex"), (1, 1))  # a rebuild would bring a fresh file
        self.assertEqual(self.run_cmd([self.pex, "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(self.run_cmd([PYTHON, self.pex, "--version"])[0], "hellotool 1.0.0\n")
        after = os.stat(self.venv)
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        self.assertEqual(os.stat(os.path.join(self.venv, "pex")).st_mtime, 1)
        self.assertFalse([n for n in os.listdir(self.hashdir) if ".tmp-" in n])

    def test_warm_run_starts_no_python_before_the_venv(self):
        self.run_cmd([self.pex, "--version"])
        # No interpreter on PATH: only the preamble's direct exec of the venv can work.
        out, err, _ = self.run_cmd([self.pex, "--version"], env={"PATH": "/nonexistent"})
        self.assertEqual(out, "hellotool 1.0.0\n")

    def test_venv_layout(self):
        self.run_cmd([self.pex, "--version"])
        v = self.venv
        for name in ("python", "python3", "python" + VERSION):
            link = os.path.join(v, "bin", name)
            self.assertTrue(os.path.islink(link))
            self.assertEqual(os.readlink(link), os.path.realpath(sys.executable))
        for name in ("activate", "activate.csh", "activate.fish", "Activate.ps1", "hello", "greet-sh", "greet-py"):
            self.assertTrue(os.path.isfile(os.path.join(v, "bin", name)), name)
        with open(os.path.join(v, "bin", "activate")) as f:
            self.assertIn(v, f.read())
        for name in ("PEX-INFO", "__main__.py", "pex", "pyvenv.cfg"):
            self.assertTrue(os.path.isfile(os.path.join(v, name)), name)
        self.assertTrue(os.access(os.path.join(v, "pex"), os.X_OK))
        with open(os.path.join(v, "pyvenv.cfg")) as f:
            cfg = f.read()
        self.assertIn("include-system-site-packages = false", cfg)
        self.assertIn("home = %s\n" % os.path.dirname(os.path.realpath(sys.executable)), cfg)
        site = os.path.join(v, "lib", "python" + VERSION, "site-packages")
        installed = os.listdir(site)
        for name in ("hellotool", "greetlib", "acme", "hellotool-1.0.0.dist-info"):
            self.assertIn(name, installed)
        self.assertFalse([n for n in installed if n.startswith(("pip", "setuptools"))])
        self.assertFalse(os.path.exists(os.path.join(site, "acme", "__init__.py")))
        with open(os.path.join(site, "greetlib-1.2.0.dist-info", "INSTALLER")) as f:
            self.assertEqual(f.read(), "pex-nx\n")
        with open(os.path.join(site, "greetlib-1.2.0.dist-info", "RECORD")) as f:
            record = f.read()
        self.assertIn("../../../bin/greet-sh,sha256=", record)
        self.assertIn("greetlib/__init__.py,sha256=", record)
        for dirpath, dirnames, filenames in os.walk(v):
            for name in dirnames + filenames:
                mode = os.lstat(os.path.join(dirpath, name)).st_mode
                if not os.path.islink(os.path.join(dirpath, name)):
                    self.assertFalse(mode & 0o002, os.path.join(dirpath, name))
        # The venv's own scripts work, data scripts included, and the namespace package imports.
        self.assertEqual(self.run_cmd([os.path.join(v, "bin", "hello"), "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(self.run_cmd([os.path.join(v, "bin", "greet-sh")])[0], "greet-sh ok\n")
        self.assertEqual(self.run_cmd([os.path.join(v, "bin", "greet-py")])[0], "greet-py ok\n")
        out = self.run_cmd(
            [
                os.path.join(v, "bin", "python"),
                "-c",
                "import acme.colors, acme.shapes, sys; print(acme.shapes.bracket('x'), sys.prefix)",
            ]
        )[0]
        self.assertEqual(out, "[x] %s\n" % v)

    def test_exit_code_passes_through(self):
        self.assertEqual(self.run_cmd([self.pex, "--exit", "3"], code=3)[2], 3)
        self.assertEqual(self.run_cmd([self.pex, "--exit", "3"], code=3)[2], 3)  # warm
        self.assertEqual(self.run_cmd([PYTHON, self.pex, "--exit", "3"], code=3)[2], 3)

    def test_check_mode_like_a_formatter(self):
        good = os.path.join(self.tmp, "src")
        os.makedirs(good)
        with open(os.path.join(good, "a.py"), "w") as f:
            f.write("fine\n")
        self.assertEqual(self.run_cmd([self.pex, "--check", good])[0], "ok\n")
        with open(os.path.join(good, "b.py"), "w") as f:
            f.write("BAD\n")
        self.assertIn("b.py", self.run_cmd([self.pex, "--check", good], code=1)[1])

    def test_override_variable_takes_the_python_path_and_still_works(self):
        self.run_cmd([self.pex, "--version"])
        out, err, _ = self.run_cmd([self.pex, "--version"], env={"PEX_VERBOSE": "1", "PEX_VENV_BIN_PATH": "false"})
        self.assertEqual(out, "hellotool 1.0.0\n")

    def test_deleted_venv_is_rebuilt(self):
        self.run_cmd([self.pex, "--version"])
        shutil.rmtree(self.venv)
        self.assertEqual(self.run_cmd([self.pex, "--version"])[0], "hellotool 1.0.0\n")
        self.assertTrue(os.access(os.path.join(self.venv, "pex"), os.X_OK))
        shutil.rmtree(self.venv)
        self.assertEqual(self.run_cmd([PYTHON, self.pex, "--version"])[0], "hellotool 1.0.0\n")

    def test_sh_link_to_a_venv_whose_python_is_gone_is_repointed(self):
        self.run_cmd([self.pex, "--version"])
        stale = os.path.join(self.hashdir, "cp39-deadbeef")
        shutil.copytree(self.venv, stale, symlinks=True)
        os.unlink(os.path.join(stale, "bin", "python"))
        os.symlink("/nonexistent/python3.9", os.path.join(stale, "bin", "python"))
        os.unlink(os.path.join(self.hashdir, "sh"))
        os.symlink("cp39-deadbeef", os.path.join(self.hashdir, "sh"))
        shutil.rmtree(self.venv)
        self.assertEqual(self.run_cmd([self.pex, "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(os.readlink(os.path.join(self.hashdir, "sh")), os.path.basename(self.venv))
        self.assertTrue(os.access(os.path.join(self.hashdir, "sh", "bin", "python"), os.X_OK))
        self.assertEqual(self.run_cmd([self.pex, "--version"], env={"PATH": "/nonexistent"})[0], "hellotool 1.0.0\n")

    def test_pex_variables_are_stripped_and_argv0_is_the_archive(self):
        probe = (
            b"import os, sys\ndef main():\n    print(sys.argv[0])\n"
            b"    print(sorted(k for k in os.environ if 'PEX' in k))\n    print(os.environ['PEX'])\n"
        )
        pex, _ = archive(entry_point="probe:main", sources={"probe.py": probe})
        for cmd in ([pex], [PYTHON, pex], [pex]):
            out = self.run_cmd(cmd + ["x"], env={"PEX_FOO": "1"})[0].splitlines()
            self.assertEqual(out, [pex, "['PEX']", pex], cmd)
        pex, _ = archive(entry_point="probe:main", sources={"probe.py": probe}, strip_pex_env=False)
        out = self.run_cmd([pex], env={"PEX_FOO": "1"})[0].splitlines()
        self.assertEqual(out[1], "['PEX', 'PEX_FOO', 'PEX_ROOT']")

    def test_concurrent_first_runs_build_one_venv(self):
        procs = [
            subprocess.Popen([self.pex, "Zed"], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(8)
        ]
        results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
        self.assertEqual(set(results), {(b"Hello, Zed! [red]\n", b"", 0)})
        names = os.listdir(self.hashdir)
        self.assertEqual(sorted(n for n in names if not n.startswith(".")), sorted(["sh", os.path.basename(self.venv)]))
        self.assertFalse([n for n in names if ".tmp-" in n], names)

    def test_killed_build_leaves_nothing_mistaken_for_a_venv(self):
        os.makedirs(self.hashdir)
        half = os.path.join(self.hashdir, ".%s.tmp-dead" % os.path.basename(self.venv))
        os.makedirs(os.path.join(half, "bin"))
        self.assertEqual(self.run_cmd([self.pex, "--version"])[0], "hellotool 1.0.0\n")
        self.assertFalse(os.path.exists(half))

    def test_long_or_spaced_pex_root_gets_sh_trampolines(self):
        for root in (os.path.join(self.tmp, "d" * 150), os.path.join(self.tmp, "with space")):
            for cmd in ([self.pex], [self.pex], [PYTHON, self.pex]):
                self.assertEqual(self.run_cmd(cmd + ["--version"], env={"PEX_ROOT": root})[0], "hellotool 1.0.0\n")
            venv = os.path.join(self.venvs(self.info, root), "sh")
            for name in ("pex", os.path.join("bin", "hello"), os.path.join("bin", "greet-py")):
                with open(os.path.join(venv, name)) as f:
                    self.assertEqual(f.readline(), "#!/bin/sh\n", name)
            self.assertEqual(self.run_cmd([os.path.join(venv, "bin", "greet-py")])[0], "greet-py ok\n")
            self.assertEqual(self.run_cmd([os.path.join(venv, "bin", "hello"), "--version"])[0], "hellotool 1.0.0\n")

    def test_pex_root_defaults_to_the_cache_dir(self):
        env = dict(self.env, XDG_CACHE_HOME=os.path.join(self.tmp, "xdg"))
        del env["PEX_ROOT"]
        proc = subprocess.run([self.pex, "--version"], env=env, stdout=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(proc.stdout, "hellotool 1.0.0\n")
        self.assertTrue(os.path.isdir(os.path.join(self.tmp, "xdg", "pex", "nx1")))
        del env["XDG_CACHE_HOME"]
        env["HOME"] = os.path.join(self.tmp, "home")
        proc = subprocess.run([self.pex, "--version"], env=env, stdout=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(proc.stdout, "hellotool 1.0.0\n")
        self.assertTrue(os.path.isdir(os.path.join(self.tmp, "home", ".cache", "pex", "nx1")))
