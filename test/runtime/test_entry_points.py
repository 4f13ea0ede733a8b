"""What an archive runs: PEX-INFO entry_point / script, and the PEX_* run-time overrides."""

import os
import signal
import subprocess

from support import PYTHON, VERSION, Case, archive, wheel


class EntryPointTest(Case):
    def both(self, pex, args, env=None, code=0, input=None):
        """Output of a cold `./x.pex`, a warm one and `python x.pex`, asserted identical."""
        outs = [self.run_cmd(cmd + args, env=env, code=code, input=input)[0] for cmd in ([pex], [pex], [PYTHON, pex])]
        self.assertEqual(len(set(outs)), 1, outs)
        return outs[0]

    def test_console_script(self):
        self.assertEqual(self.both(archive(script="hello")[0], ["Bo"]), "Hello, Bo! [red]\n")

    def test_data_scripts_as_the_script(self):
        self.assertEqual(self.both(archive(script="greet-sh")[0], []), "greet-sh ok\n")
        self.assertEqual(self.both(archive(script="greet-py")[0], []), "greet-py ok\n")

    def test_module_function(self):
        self.assertEqual(self.both(archive(entry_point="hellotool.cli:main")[0], ["--version"]), "hellotool 1.0.0\n")

    def test_module(self):
        self.assertEqual(self.both(archive(entry_point="hellotool")[0], ["--version"]), "hellotool 1.0.0\n")

    def test_no_entry_point_behaves_like_python(self):
        pex = archive()[0]
        self.assertEqual(
            self.both(pex, ["-c", "import sys, greetlib; print(greetlib.greet(sys.argv[1]))", "Al"]), "Hello, Al!\n"
        )
        self.assertEqual(self.both(pex, ["-m", "hellotool", "--version"]), "hellotool 1.0.0\n")
        script = os.path.join(self.tmp, "s.py")
        with open(script, "w") as f:
            f.write("import sys, acme.colors\nprint(acme.colors.paint('hi', sys.argv[1]))\n")
        self.assertEqual(self.both(pex, [script, "blue"]), "hi [blue]\n")
        self.assertEqual(self.both(pex, [], input="import greetlib\nprint(greetlib.greet('in'))\n"), "Hello, in!\n")
        self.assertEqual(self.both(pex, ["-"], input="print('dash')\n"), "dash\n")
        self.assertEqual(self.both(pex, ["-c", "raise SystemExit(4)"], code=4), "")

    def test_pex_script(self):
        pex = archive(entry_point="hellotool.cli:main")[0]
        self.assertEqual(self.both(pex, [], env={"PEX_SCRIPT": "greet-sh"}), "greet-sh ok\n")
        self.assertEqual(self.both(pex, [], env={"PEX_SCRIPT": "greet-py"}), "greet-py ok\n")
        self.assertEqual(self.both(pex, ["--version"], env={"PEX_SCRIPT": "hello"}), "hellotool 1.0.0\n")
        err = self.run_cmd([pex], env={"PEX_SCRIPT": "nope"}, code=1)[1]
        self.assertOneLineError(err, "'nope'", "greet-py, greet-sh, hello")

    def test_pex_module(self):
        pex = archive(script="greet-sh")[0]
        self.assertEqual(self.both(pex, ["X"], env={"PEX_MODULE": "hellotool.cli:main"}), "Hello, X! [red]\n")
        self.assertEqual(self.both(pex, ["--version"], env={"PEX_MODULE": "hellotool"}), "hellotool 1.0.0\n")
        self.assertOneLineError(self.run_cmd([pex], env={"PEX_MODULE": "nope.mod"}, code=1)[1], "'nope.mod'")
        self.assertOneLineError(self.run_cmd([pex], env={"PEX_MODULE": "greetlib:nope"}, code=1)[1], "'nope'")

    def test_pex_interpreter(self):
        pex = archive(script="hello")[0]
        out = self.both(
            pex, ["-c", "import sys, greetlib; print(greetlib.greet('I'), sys.argv)", "a"], env={"PEX_INTERPRETER": "1"}
        )
        self.assertEqual(out, "Hello, I! ['-c', 'a']\n")

    def test_unknown_script_is_a_build_error_listing_the_scripts(self):
        pex = archive(script="nope")[0]
        err = self.run_cmd([pex], code=1)[1]
        self.assertOneLineError(err, "'nope'", "greet-py, greet-sh, hello")
        self.assertFalse([n for n in os.listdir(self.venvs(archive(script="nope")[1])) if not n.startswith(".")])

    def test_bin_path(self):
        pex = archive(script="hello")[0]
        code = "import shutil; print(bool(shutil.which('greet-sh')))"
        env = {"PEX_INTERPRETER": "1"}
        self.assertEqual(self.both(pex, ["-c", code], env=env), "False\n")
        for mode in ("prepend", "append"):
            self.assertEqual(self.both(pex, ["-c", code], env=dict(env, PEX_VENV_BIN_PATH=mode)), "True\n")
        err = self.run_cmd([pex], env={"PEX_VENV_BIN_PATH": "sideways"}, code=1)[1]
        self.assertOneLineError(err, "PEX_VENV_BIN_PATH=sideways")
        pex = archive(script="hello", bin_path="prepend")[0]
        self.assertEqual(self.both(pex, ["-c", code], env=env), "True\n")

    def test_sigint_reaches_the_tool(self):
        pex = archive(wheels=[wheel("sigtool-1.0")], script="sigtool")[0]
        for cmd in ([pex], [pex], [PYTHON, pex]):  # cold, warm (exec'd by sh), python's fast path
            proc = subprocess.Popen(
                cmd + ["wait"], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True
            )
            try:
                self.assertEqual(proc.stdout.readline(), "ready\n", cmd)
                # Every hop execs, so this pid is the tool itself: no wrapper to forward the signal.
                proc.send_signal(signal.SIGINT)
                out, err = proc.communicate(timeout=60)
            finally:
                proc.kill()
                proc.wait()
            self.assertEqual((out, proc.returncode), ("got SIGINT\n", 42), err)

    def test_tool_spawns_a_sibling_script_through_bin_path(self):
        sigtool = wheel("sigtool-1.0")
        pex = archive(wheels=[sigtool], script="sigtool", bin_path="prepend")[0]
        self.assertEqual(self.both(pex, ["spawn"]), "sibling ok\n")
        pex = archive(wheels=[sigtool], script="sigtool")[0]
        self.assertEqual(self.run_cmd([pex, "spawn"], env={"PEX_VENV_BIN_PATH": "append"})[0], "sibling ok\n")
        self.assertNotEqual(self.run_cmd([pex, "spawn"], code=None)[2], 0)  # bin/ is not on PATH by default

    def test_user_sources_with_a_package_dir(self):
        cli = (
            b"import os, sys\nfrom greetlib import greet\nfrom mytool import helper\n"
            b"def main():\n    here = os.path.dirname(__file__)\n"
            b"    print(greet(helper.NAME), open(os.path.join(here, 'data.txt')).read().strip())\n"
            b"    print(os.path.relpath(here, sys.prefix))\n    return 3\n"
        )
        sources = {
            "mytool/__init__.py": b"",
            "mytool/cli.py": cli,
            "mytool/helper.py": b"NAME = 'src'\n",
            "mytool/data.txt": b"data ok\n",
            "top.py": b"X = 'top'\n",
        }
        wheels = [wheel("greetlib-1.2.0")]
        pex = archive(wheels=wheels, entry_point="mytool.cli:main", sources=sources)[0]
        site = os.path.join("lib", "python" + VERSION, "site-packages", "mytool")
        self.assertEqual(self.both(pex, [], code=3), "Hello, src! data ok\n%s\n" % site)
        out = self.run_cmd([pex, "-c", "import top; print(top.X)"], env={"PEX_INTERPRETER": "1"})[0]
        self.assertEqual(out, "top\n")
