"""PEX_TOOLS=1 x.pex info / venv DIR."""

import json
import os
import shutil

from support import PYTHON, VERSION, Case, archive

TOOLS = {"PEX_TOOLS": "1"}


class ToolsTest(Case):
    def setUp(self):
        super().setUp()
        self.pex, self.info = archive(script="hello")
        self.dir = os.path.join(self.tmp, "venv")

    def venv(self, *args, code=0):
        return self.run_cmd([self.pex, "venv"] + list(args), env=TOOLS, code=code)

    def test_info(self):
        out = self.run_cmd([self.pex, "info"], env=TOOLS)[0]
        self.assertEqual(json.loads(out), self.info)
        self.assertIn('\n  "pex_hash": "%s"' % self.info["pex_hash"], out)

    def test_venv(self):
        self.venv(self.dir)
        self.assertEqual(self.run_cmd([os.path.join(self.dir, "bin", "hello"), "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(self.run_cmd([PYTHON, self.dir, "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(self.run_cmd([os.path.join(self.dir, "pex"), "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(self.run_cmd([os.path.join(self.dir, "bin", "greet-py")])[0], "greet-py ok\n")
        self.assertFalse(os.path.exists(self.root), "a tools venv needs no PEX_ROOT")
        self.assertFalse([n for n in os.listdir(self.tmp) if ".tmp-" in n])

    def test_existing_dir_needs_force(self):
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "keep"), "w") as f:
            f.write("mine")
        err = self.venv(self.dir, code=1)[1]
        self.assertOneLineError(err, self.dir, "--force")
        self.assertEqual(os.listdir(self.dir), ["keep"])
        self.venv(self.dir, "--force")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "keep")))
        self.assertEqual(self.run_cmd([os.path.join(self.dir, "bin", "hello"), "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["venv"])
        os.makedirs(os.path.join(self.tmp, "empty"))
        self.venv(os.path.join(self.tmp, "empty"))  # an empty dir is fine without --force

    def test_bin_path_prepend(self):
        self.venv(self.dir, "--bin-path", "prepend")
        code = "import shutil, subprocess; print(subprocess.check_output([shutil.which('greet-sh')]).decode().strip())"
        out = self.run_cmd([os.path.join(self.dir, "pex"), "-c", code], env={"PEX_INTERPRETER": "1"})[0]
        self.assertEqual(out, "greet-sh ok\n")

    def test_relocatable_venv_survives_a_move(self):
        self.venv(self.dir, "--relocatable", "--prompt", "hi")
        moved = os.path.join(self.tmp, "elsewhere", "moved")
        shutil.copytree(self.dir, moved, symlinks=True)
        shutil.rmtree(self.dir)
        self.assertEqual(self.run_cmd([os.path.join(moved, "bin", "hello"), "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(self.run_cmd([os.path.join(moved, "bin", "greet-py")])[0], "greet-py ok\n")
        self.assertEqual(self.run_cmd([os.path.join(moved, "pex"), "--version"])[0], "hellotool 1.0.0\n")
        self.assertEqual(self.run_cmd([PYTHON, moved, "--version"])[0], "hellotool 1.0.0\n")
        out = self.run_cmd(
            [
                "bash",
                "-c",
                '. "$1/bin/activate" && echo "$VIRTUAL_ENV" && hello --version && echo "$PS1"',
                "bash",
                moved,
            ],
            env={"PS1": "$ "},
        )[0]
        self.assertEqual(out.splitlines()[:2], [moved, "hellotool 1.0.0"])
        self.assertIn("hi", out.splitlines()[2])

    def test_activate(self):
        self.venv(self.dir)
        out = self.run_cmd(
            [
                "bash",
                "-c",
                '. "$1/bin/activate" && echo "$VIRTUAL_ENV" && command -v python'
                ' && deactivate && echo "${VIRTUAL_ENV-unset}"',
                "bash",
                self.dir,
            ]
        )[0]
        self.assertEqual(out.splitlines(), [self.dir, os.path.join(self.dir, "bin", "python"), "unset"])

    def test_compile(self):
        self.venv(self.dir, "--compile")
        cache = os.path.join(self.dir, "lib", "python" + VERSION, "site-packages", "greetlib", "__pycache__")
        self.assertTrue(os.listdir(cache))
        self.assertEqual(self.run_cmd([os.path.join(self.dir, "bin", "hello"), "--version"])[0], "hellotool 1.0.0\n")

    def test_pip(self):
        out, err, code = self.venv(self.dir, "--pip", code=None)
        if code == 0:
            out = self.run_cmd([os.path.join(self.dir, "bin", "python"), "-m", "pip", "--version"])[0]
            self.assertIn(self.dir, out)
        else:  # an interpreter without ensurepip's wheel (e.g. Debian's)
            self.assertOneLineError(err, "--pip", "add pip")
            self.assertFalse(os.path.exists(self.dir))

    def test_unknown_command(self):
        err = self.run_cmd([self.pex, "frobnicate"], env=TOOLS, code=2)[1]
        self.assertIn("invalid choice", err)
        self.assertNotIn("Traceback", err)
