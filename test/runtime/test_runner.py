"""The venv runner (pexnx/runner.py) as a module: its parameters file, and the file itself run
in a venv-like dir, as every venv runs it."""

import os
import subprocess

from support import PYTHON, RUNTIME, Case, archive

from pexnx import runner, runner_files  # noqa: E402  (support puts src/runtime on sys.path)

with open(os.path.join(RUNTIME, "pexnx", "runner.py"), "rb") as _f:
    SOURCE = _f.read()

PROBE = b"""import sys

BASELINE = set(sys.argv[1].split(","))


def main():
    print(",".join(sorted(set(sys.modules) - BASELINE - {"probe"})) or "-")
"""


class ParamsTest(Case):
    def test_parameters_round_trip_whatever_the_names(self):
        scripts = {
            "plain": ("call", "pkg.cli:main"),
            "tab\there": ("exec", "tab\there"),
            "back\\slash\nnl": ("python", "x"),
        }
        for entry in (None, ("call", "pkg.cli:main"), ("module", "pkg"), ("exec", "tab\there")):
            for bin_path, strip in (("false", True), ("prepend", False), ("append", True)):
                text = runner.dump_params(entry, scripts, bin_path, strip)
                self.assertEqual(runner.load_params(text), (entry, scripts, bin_path, strip))

    def test_the_files_are_the_module_as_it_is_and_its_parameters(self):
        files = {
            name: (data, mode)
            for name, data, mode in runner_files.files("#!/v/bin/python -sE\n", None, {}, "false", True)
        }
        self.assertEqual(sorted(files), ["__main__.py", "pex", runner.PARAMS])
        self.assertEqual(files["pex"], (b"#!/v/bin/python -sE\n" + SOURCE, 0o755))
        self.assertEqual(files["__main__.py"], files["pex"])
        self.assertEqual(runner.load_params(files[runner.PARAMS][0].decode()), (None, {}, "false", True))

    def test_a_materialized_venv_holds_the_module_as_it_is(self):
        pex, _ = archive(script="hello")
        dest = os.path.join(self.tmp, "venv")
        self.run_cmd([pex, "venv", dest], env={"PEX_TOOLS": "1"})
        with open(os.path.join(dest, "pex"), "rb") as f:
            self.assertEqual(f.read(), ("#!%s/bin/python -sE\n" % dest).encode() + SOURCE)
        with open(os.path.join(dest, runner.PARAMS), encoding="utf-8") as f:
            entry, scripts, bin_path, strip = runner.load_params(f.read())
        self.assertEqual(entry, ("call", "hellotool.cli:main"))
        self.assertEqual(scripts["hello"], entry)
        self.assertEqual((bin_path, strip), ("false", True))


class RunnerFileTest(Case):
    """runner.py run from a dir laid out like a venv (bin/python, the runner, its parameters)."""

    def setUp(self):
        super().setUp()
        self.venv = os.path.join(self.tmp, "v")
        os.makedirs(os.path.join(self.venv, "bin"))
        os.symlink(PYTHON, os.path.join(self.venv, "bin", "python"))
        self.lib = os.path.join(self.tmp, "lib")
        os.mkdir(self.lib)
        with open(os.path.join(self.lib, "probe.py"), "wb") as f:
            f.write(PROBE)
        scripts = {"probe": ("call", "probe:main"), "other": ("call", "probe:main")}
        for name, data, mode in runner_files.files(
            "#!%s/bin/python -sE\n" % self.venv, ("call", "probe:main"), scripts, "false", True
        ):
            with open(os.path.join(self.venv, name), "wb") as f:
                f.write(data)
            os.chmod(os.path.join(self.venv, name), mode)

    def run_runner(self, env=None, code=0):
        # What `python -sE` has loaded before any code of ours runs: the runner may add only os.
        baseline = subprocess.run(
            [PYTHON, "-sE", "-c", "import sys; print(','.join(sys.modules))"],
            stdout=subprocess.PIPE,
            universal_newlines=True,
        ).stdout.strip()
        return self.run_cmd(
            [os.path.join(self.venv, "pex"), baseline],
            env=dict({"PEX_EXTRA_SYS_PATH": self.lib}, **(env or {})),
            code=code,
        )

    def test_it_imports_nothing_but_os_and_sys_before_the_tool(self):
        self.assertIn(self.run_runner()[0].strip(), ("-", "os"))

    def test_an_unknown_script_is_one_line_naming_the_known_ones(self):
        err = self.run_runner({"PEX_SCRIPT": "nope"}, code=1)[1]
        self.assertOneLineError(err, "no script 'nope'", self.venv, "use one of: other, probe")

    def test_a_bad_bin_path_is_one_line(self):
        err = self.run_runner({"PEX_VENV_BIN_PATH": "sideways"}, code=1)[1]
        self.assertOneLineError(err, "PEX_VENV_BIN_PATH=sideways", "prepend, append or false")
