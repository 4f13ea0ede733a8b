"""The sh preamble and the Python fast path: shells, fallbacks, what they import."""

import ast
import os
import re
import subprocess
import tempfile

from support import BIN, PYTHON, RUNTIME, Case, archive

PROBE = b"import os, sys\ndef main():\n    print(sys.argv[0])\n"


class PreambleTest(Case):
    def test_runs_under_dash_and_bash(self):
        pex, _ = archive(script="hello")
        for shell in ("dash", "bash", "sh"):
            if not any(os.access(os.path.join(d, shell), os.X_OK) for d in ("/bin", "/usr/bin")):
                continue
            for _ in ("cold", "warm"):
                self.assertEqual(self.run_cmd([shell, pex, "--version"])[0], "hellotool 1.0.0\n", shell)

    def test_no_python_on_path(self):
        pex, _ = archive(script="hello", constraints=[">=3.12"])
        out, err, _ = self.run_cmd([pex, "--version"], env={"PATH": "/nonexistent"}, code=127)
        # The minors the constraints allow that the archive's environments cover (up to 3.14).
        self.assertOneLineError(err, "python3 python3.14", "python3.12 python", pex)

    def test_versioned_shims_go_last(self):
        # Like a pyenv shim of an installed but inactive version: it exists and fails.
        shims = os.path.join(self.tmp, "pyenv", "shims")
        os.makedirs(shims)
        with open(os.path.join(shims, "python3.20"), "w") as f:
            f.write("#!/bin/sh\necho 'pyenv: python3.20: command not found' >&2\nexit 127\n")
        os.chmod(os.path.join(shims, "python3.20"), 0o755)
        pex, _ = archive(script="hello", constraints=[">=3.8"])
        path = os.pathsep.join([shims, BIN])
        self.assertEqual(self.run_cmd([pex, "--version"], env={"PATH": path})[0], "hellotool 1.0.0\n")
        self.assertEqual(
            self.run_cmd([PYTHON, pex, "--version"], env={"PATH": path, "PEX_VERBOSE": "1"})[0], "hellotool 1.0.0\n"
        )

    def fake_pyenv(self, version_file):
        """A pyenv root whose shim leaves a mark and fails, with one real version `fake`."""
        root = tempfile.mkdtemp(dir=self.tmp)
        os.makedirs(os.path.join(root, "shims"))
        os.makedirs(os.path.join(root, "versions", "fake", "bin"))
        os.symlink(PYTHON, os.path.join(root, "versions", "fake", "bin", "python3"))
        mark = os.path.join(root, "shim-ran")
        shim = os.path.join(root, "shims", "python3")
        with open(shim, "w") as f:
            f.write("#!/bin/sh\ntouch %s\nexit 127\n" % mark)
        os.chmod(shim, 0o755)
        with open(os.path.join(root, "version"), "w") as f:
            f.write(version_file + "\n")
        return root, mark

    def pyenv_free_env(self, root):
        """Only the fake pyenv's shims on PATH, and none of the real pyenv's settings."""
        env = {k: v for k, v in self.env.items() if not k.startswith("PYENV")}
        env["PATH"] = os.pathsep.join([os.path.join(root, "shims"), "/usr/bin", "/bin"])
        return env

    def test_pyenv_shims_are_bypassed_for_the_version_they_would_run(self):
        pex, _ = archive(script="hello")
        for version_file, env, works in (
            ("fake", {}, True),  # the global version file
            ("other", {"PYENV_VERSION": "fake"}, True),  # PYENV_VERSION wins
            ("system", {}, False),  # not ours to resolve: the shim runs
            ("fake:other", {}, False),  # several versions: the shim decides
        ):
            root, mark = self.fake_pyenv(version_file)
            env = dict(self.pyenv_free_env(root), PEX_ROOT=os.path.join(root, "pex_root"), **env)
            run = subprocess.run([pex, "--version"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(run.stdout == b"hellotool 1.0.0\n", works, (version_file, run.stderr))
            self.assertEqual(os.path.exists(mark), not works, version_file)

    def test_a_python_version_file_up_from_the_working_dir_picks_the_version(self):
        pex, _ = archive(script="hello")
        root, mark = self.fake_pyenv("system")
        project = os.path.join(self.tmp, "project", "sub")
        os.makedirs(project)
        with open(os.path.join(self.tmp, "project", ".python-version"), "w") as f:
            f.write("fake\n")
        run = subprocess.run([pex, "--version"], cwd=project, env=self.pyenv_free_env(root), stdout=subprocess.PIPE)
        self.assertEqual(run.stdout, b"hellotool 1.0.0\n")
        self.assertFalse(os.path.exists(mark))

    def test_pex_is_absolute_when_run_by_a_relative_path(self):
        pex, _ = archive(entry_point="probe:main", sources={"probe.py": PROBE})
        for _ in ("cold", "warm"):
            out = self.run_cmd(["./" + os.path.basename(pex)], cwd=os.path.dirname(pex))[0]
            self.assertEqual(out, pex + "\n")

    def test_warm_paths_import_only_os_and_sys(self):
        # The preamble forks nothing: no command substitution, no pipes.
        with open(os.path.join(RUNTIME, "preamble.sh")) as f:
            preamble = f.read()
        code = "\n".join(line for line in preamble.splitlines() if not line.lstrip().startswith("#"))
        self.assertIsNone(re.search(r"\$\(|`|\|", code.replace("||", "")))
        self.assertEqual(preamble.rstrip().splitlines()[-1], "exit 127")
        # __main__.py: only os and sys at module level; pexnx only inside a function.
        with open(os.path.join(RUNTIME, "__main__.py")) as f:
            tree = ast.parse(f.read())
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        self.assertEqual(sorted(a.name for n in top for a in n.names), ["os", "sys"])
        # The venv's runner: nothing beyond a bare `python -sE` start before the entry's module.
        pex, info = archive(entry_point="probe:main", sources={"probe.py": PROBE})
        self.run_cmd([pex])
        venv = os.path.join(self.venvs(info), "sh")
        python = os.path.join(venv, "bin", "python")

        def imported(*args):
            err = subprocess.run(
                [python, "-X", "importtime", "-sE"] + list(args),
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                universal_newlines=True,
            ).stderr
            return {line.split("|")[-1].strip() for line in err.splitlines() if line.startswith("import time:")}

        self.assertEqual(imported(os.path.join(venv, "pex")) - imported("-c", "import os, sys"), {"probe"})
