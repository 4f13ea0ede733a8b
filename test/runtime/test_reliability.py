"""Reliability and security of the runtime: concurrent first runs, crashes at any point of a
venv build, awkward PEX_ROOTs, corrupt or hostile archives, bad PEX_* values, and a fuzzed
PEX-INFO. What is asserted is what a user sees: output, exit codes, files on disk."""

import json
import os
import random
import re
import shutil
import stat
import subprocess
import tempfile
import zipfile

from support import PYTHON, Case, archive, build_archive, ikey_of, make_wheel, remove_tree, rewrite, tampered, wheel

from pexnx import PexError  # noqa: E402  (support puts src/runtime on sys.path)
from pexnx.archive import Archive  # noqa: E402

TOOLS = {"PEX_TOOLS": "1"}
KILL_STAGES = ("after-lock", "mid-wheels", "before-rename", "after-rename-before-link")


class ReliabilityCase(Case):
    def start(self, args, env=None, umask=None):
        return subprocess.Popen(
            args,
            env=dict(self.env, **(env or {})),
            cwd=self.tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
        )

    def entries(self, venvs):
        """Names in a venvs dir: the venv(s), `sh`, lock files and any leftover temp dirs."""
        return sorted(os.listdir(venvs)) if os.path.isdir(venvs) else []

    def assertClean(self, venvs, key):
        names = self.entries(venvs)
        self.assertEqual([n for n in names if not n.startswith(".") and n != "sh"], [key], names)
        self.assertEqual([n for n in names if ".tmp-" in n], [], names)


class ConcurrencyTest(ReliabilityCase):
    def run_all(self, commands):
        procs = [self.start(cmd) for cmd in commands]
        return [(p.communicate(timeout=300) + (p.returncode,)) for p in procs]

    def test_32_concurrent_first_runs_build_exactly_one_venv(self):
        pex, info = archive(script="hello")
        # Half through the sh preamble, half through `python3 x.pex`: both cold paths race.
        results = self.run_all([[pex, "--version"] if i % 2 else ["python3", pex, "--version"] for i in range(32)])
        self.assertEqual(set(results), {("hellotool 1.0.0\n", "", 0)})
        self.assertClean(self.venvs(info), ikey_of(PYTHON))

    def test_two_archives_sharing_wheels_race_cleanly(self):
        one, info_one = archive(script="hello")
        two, info_two = archive()  # no entry point: it behaves like the venv's python
        self.assertNotEqual(info_one["pex_hash"], info_two["pex_hash"])
        results = self.run_all([[one, "--version"] if i % 2 else [two, "-c", "print(1)"] for i in range(32)])
        expected = {(r[0], r[1], r[2]) for r in results}
        self.assertEqual(len(expected), 2, expected)
        self.assertIn(("hellotool 1.0.0\n", "", 0), expected)
        for info in (info_one, info_two):
            self.assertClean(self.venvs(info), ikey_of(PYTHON))


class CrashTest(ReliabilityCase):
    def test_a_killed_first_run_leaves_nothing_taken_as_complete(self):
        pex, info = archive(script="hello")
        key = ikey_of(PYTHON)
        for stage in KILL_STAGES:
            with self.subTest(stage=stage):
                root = os.path.join(self.tmp, stage)
                venvs = self.venvs(info, root)
                _, _, code = self.run_cmd(
                    [pex, "--version"], env={"PEX_ROOT": root, "__PEXNX_TEST_KILL_AT": stage}, code=None
                )
                self.assertEqual(code, -9, "the kill hook did not fire at %s" % stage)
                if stage == "after-rename-before-link":
                    # Renamed into place means finished; only the preamble's link is missing.
                    self.assertTrue(os.access(os.path.join(venvs, key, "pex"), os.X_OK))
                    self.assertFalse(os.path.lexists(os.path.join(venvs, "sh")))
                else:
                    self.assertFalse(os.path.lexists(os.path.join(venvs, key)), self.entries(venvs))
                for run in ([pex, "--version"], ["python3", pex, "--version"], [pex, "--version"]):
                    self.assertEqual(self.run_cmd(run, env={"PEX_ROOT": root})[:2], ("hellotool 1.0.0\n", ""))
                self.assertClean(venvs, key)
                self.assertEqual(os.readlink(os.path.join(venvs, "sh")), key)


class PexRootTest(ReliabilityCase):
    def test_pex_root_with_spaces(self):
        pex, info = archive(script="hello")
        root = os.path.join(self.tmp, "a dir with spaces", "pex root")
        for run in ([pex, "--version"], [pex, "--version"], ["python3", pex, "--version"]):
            self.assertEqual(self.run_cmd(run, env={"PEX_ROOT": root})[:2], ("hellotool 1.0.0\n", ""))
        venv = os.path.join(self.venvs(info, root), ikey_of(PYTHON))
        # Console scripts in the venv work too, although their shebang cannot hold the path.
        self.assertEqual(self.run_cmd([os.path.join(venv, "bin", "hello"), "--version"])[0], "hellotool 1.0.0\n")

    def test_pex_root_that_is_a_file_falls_back_with_one_warning(self):
        blocker = os.path.join(self.tmp, "root-file")
        with open(blocker, "w"):
            pass
        pex, _ = archive(script="hello")
        out, err, _ = self.run_cmd(["python3", pex, "--version"], env={"PEX_ROOT": blocker})
        self.assertEqual(out, "hellotool 1.0.0\n")
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertRegex(err, r"^pex: warning: .*%s.*set PEX_ROOT to a writable dir" % blocker)

    def unprivileged(self, pex):
        """Runs `<archive> --version` as a user whom file modes bind: this one, or `nobody` when
        the tests run as root (root writes through mode 0555). Returns (run(env) -> completed
        process, a dir that user may write in, the uid)."""
        shared = tempfile.mkdtemp(prefix="pexnx-shared-")
        self.addCleanup(remove_tree, shared)
        os.chmod(shared, 0o755)
        writable = os.path.join(shared, "tmp")
        os.mkdir(writable)
        os.chmod(writable, 0o1777)
        copy = os.path.join(shared, os.path.basename(pex))
        shutil.copy(pex, copy)
        os.chmod(copy, 0o755)
        path, preexec, uid = self.env["PATH"], None, os.getuid()
        if uid == 0:
            import pwd

            if not os.access("/usr/bin/python3", os.X_OK):
                self.skipTest("as root this needs a Python that `nobody` may run: /usr/bin/python3")
            uid, gid = pwd.getpwnam("nobody")[2:4]
            path = "/usr/bin:/bin"  # not this suite's interpreter: it may live in root's home

            def preexec():
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)

        def run(env):
            env = dict(env, PATH=path, TMPDIR=writable)
            return subprocess.run(
                [copy, "--version"],
                env=env,
                cwd=shared,
                preexec_fn=preexec,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                universal_newlines=True,
                timeout=120,
            )

        return run, writable, uid

    def test_read_only_pex_root_falls_back(self):
        pex, info = archive(script="hello")
        run, writable, uid = self.unprivileged(pex)
        root = os.path.join(writable, "read-only root")
        os.mkdir(root)
        os.chmod(root, 0o555)
        fallback = os.path.join(writable, "pexnx-%d" % uid)
        for _ in ("cold", "again"):
            proc = run(dict(self.env, PEX_ROOT=root))
            self.assertEqual((proc.stdout, proc.returncode), ("hellotool 1.0.0\n", 0), proc.stderr)
            self.assertRegex(
                proc.stderr,
                r"^pex: warning: cannot write PEX_ROOT \(Permission denied\), %s: using %s instead; "
                r"set PEX_ROOT to a writable dir\n$" % (re.escape(root), re.escape(fallback)),
            )
        self.assertEqual(os.listdir(root), [])
        self.assertEqual(sorted(os.listdir(writable)), ["pexnx-%d" % uid, "read-only root"])
        built = [n for n in self.entries(self.venvs(info, fallback)) if not n.startswith(".") and n != "sh"]
        self.assertEqual(len(built), 1, built)  # the second run reused the first one's venv

    def test_home_unset_uses_pex_root_or_xdg_cache_home(self):
        pex, info = archive(script="hello")
        env = dict(self.env)
        del env["HOME"]
        del env["PEX_ROOT"]
        xdg = os.path.join(self.tmp, "xdg")
        for extra, root in (({"XDG_CACHE_HOME": xdg}, os.path.join(xdg, "pex")), ({"PEX_ROOT": self.root}, self.root)):
            for run in ([pex, "--version"], ["python3", pex, "--version"], [pex, "--version"]):
                proc = subprocess.run(
                    run, env=dict(env, **extra), cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                self.assertEqual((proc.stdout, proc.stderr, proc.returncode), (b"hellotool 1.0.0\n", b"", 0))
            self.assertClean(self.venvs(info, root), ikey_of(PYTHON))

    def test_home_unset_and_nothing_else(self):
        import pwd

        if os.getuid() != 0:
            # The password database would name this user's real home: running would write there.
            self.skipTest("runs only as root, which can run it as `nobody`")
        pex, _ = archive(script="hello")
        run, writable, uid = self.unprivileged(pex)
        home = pwd.getpwuid(uid).pw_dir
        if os.path.exists(home):
            self.skipTest("`nobody` has a real home here (%s): running would write there" % home)
        env = {k: v for k, v in self.env.items() if k not in ("HOME", "PEX_ROOT", "XDG_CACHE_HOME")}
        proc = run(env)
        self.assertEqual((proc.stdout, proc.returncode), ("hellotool 1.0.0\n", 0), proc.stderr)
        # The home comes from the password database; it cannot be created, so a private root is used.
        self.assertRegex(
            proc.stderr,
            r"^pex: warning: cannot write PEX_ROOT \([^)]*\), %s: using %s instead; [^\n]*\n$"
            % (re.escape(os.path.join(home, ".cache", "pex")), re.escape(os.path.join(writable, "pexnx-%d" % uid))),
        )

    def test_nothing_in_pex_root_is_group_or_world_writable_under_umask_000(self):
        pex, info = archive(script="hello")
        for cmd in ([pex, "--version"], ["python3", pex, "--version"]):
            proc = self.start(cmd, umask=0)
            self.assertEqual(proc.communicate(timeout=120)[0], "hellotool 1.0.0\n")
        loose = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            for name in dirnames + filenames:
                st = os.lstat(os.path.join(dirpath, name))
                if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o022:
                    loose.append((os.path.join(dirpath, name), oct(st.st_mode)))
        self.assertEqual(loose, [])
        self.assertFalse(os.stat(self.root).st_mode & 0o022)
        # The tool itself still runs with the caller's umask.
        proc = self.start(["python3", archive()[0], "-c", "import os; print(oct(os.umask(0)))"], umask=0)
        self.assertEqual(proc.communicate(timeout=120)[0], "0o0\n")


DAMAGED = "pex-archive-truncated-or-damaged.rebuild-it-or-download-it-again"


class CorruptArchiveTest(ReliabilityCase):
    def test_truncated_archives_fail_cleanly(self):
        pex, _ = archive(script="hello")
        with open(pex, "rb") as f:
            data = f.read()
        preamble = data.index(b"PK\x03\x04")
        lengths = [preamble // 2, preamble, preamble + 1000, len(data) // 2, len(data) - 100, len(data) - 1]
        for length in lengths:
            cut = os.path.join(self.tmp, "cut-%d.pex" % length)
            with open(cut, "wb") as f:
                f.write(data[:length])
            os.chmod(cut, 0o755)
            for run in ([cut, "--version"], ["python3", cut, "--version"]):
                with self.subTest(length=length, run=run[0]):
                    out, err, code = self.run_cmd(run, code=None)
                    self.assertNotEqual(code, 0, err)
                    self.assertEqual(out, "")
                    lines = err.strip().splitlines()
                    if run[0] == cut and length < preamble:
                        # sh itself stops on the cut-off script, with one line naming it.
                        self.assertEqual(len(lines), 1, err)
                        self.assertIn(cut, lines[0])
                    else:
                        # Python runs a file that is no readable zip as source and stops at
                        # the preamble's coding line (CPython 3.8 adds a `File ...` line). A cut
                        # near the end can leave a stored wheel's own end record last: Python
                        # then opens that zip and finds no __main__ in it.
                        missing_main = r"\S+: can't find '__main__' module in '%s'" % re.escape(cut)
                        if lines[-1] != "SyntaxError: encoding problem: " + DAMAGED:
                            self.assertRegex(lines[-1], "^%s$" % missing_main)
                        self.assertLessEqual(len(lines), 2, err)
        self.assertFalse(os.path.exists(self.root) and os.listdir(os.path.join(self.root, "nx1")))

    def test_corrupt_user_source_is_one_clear_error(self):
        pex = os.path.join(self.tmp, "src.pex")
        rng = random.Random(7)  # incompressible: its deflated bytes are long enough to hit
        text = "".join("X%d = %r\n" % (i, rng.random()) for i in range(200)).encode()
        info = build_archive(pex, [wheel("greetlib-1.2.0")], sources={"mine.py": text})
        with open(pex, "r+b") as f:
            data = f.read()
            at = data.index(b"mine.py") + len("mine.py") + 500
            f.seek(at)
            f.write(bytes(b ^ 0xFF for b in data[at : at + 8]))
        err = self.run_cmd([pex, "-c", "pass"], code=1)[1]
        self.assertOneLineError(err, "corrupt", pex, "rebuild")
        self.assertEqual([n for n in self.entries(self.venvs(info)) if not n.endswith(".lock")], [])


class HostileTest(ReliabilityCase):
    def test_absolute_path_entry_is_refused(self):
        evil = make_wheel({"name": "abs", "version": "1.0"}, {"abs/__init__.py": b""})
        with zipfile.ZipFile(evil, "a") as zf:
            zf.writestr(zipfile.ZipInfo("/tmp/pexnx-evil.txt", (1980, 1, 1, 0, 0, 0)), b"pwned")
        pex, info = tampered(archive(wheels=[wheel("greetlib-1.2.0")]), add_wheels=[evil])
        err = self.run_cmd([pex, "-c", "pass"], code=1)[1]
        self.assertOneLineError(err, "abs-1.0-py3-none-any.whl", "'/tmp/pexnx-evil.txt'")
        self.assertFalse(os.path.exists("/tmp/pexnx-evil.txt"))
        self.assertEqual([n for n in self.entries(self.venvs(info)) if not n.endswith(".lock")], [])

    def test_pex_info_hash_cannot_point_outside_pex_root(self):
        pex = os.path.join(self.tmp, "evil.pex")
        build_archive(pex, [wheel("greetlib-1.2.0")])
        rewrite(pex, lambda info: dict(info, pex_hash="../../../../../tmp/x"))
        self.assertOneLineError(self.run_cmd(["python3", pex, "-c", "pass"], code=1)[1], "PEX-INFO", "pex_hash")
        self.assertFalse(os.path.exists(os.path.join(self.root, "nx1")))

    def someone_elses_dir(self):
        """A dir outside the venv holding one file that must survive."""
        outside = os.path.join(self.tmp, "outside")
        os.mkdir(outside)
        with open(os.path.join(outside, "keep.txt"), "w") as f:
            f.write("mine")
        return outside

    def test_tools_venv_never_writes_through_a_symlink_in_dir(self):
        pex, _ = archive(script="hello")
        outside = self.someone_elses_dir()
        dest = os.path.join(self.tmp, "venv")
        os.mkdir(dest)
        os.symlink(outside, os.path.join(dest, "lib"))
        err = self.run_cmd([pex, "venv", dest], env=TOOLS, code=1)[1]
        self.assertOneLineError(err, dest, "--force")
        self.run_cmd([pex, "venv", "--force", dest], env=TOOLS)
        self.assertEqual(os.listdir(outside), ["keep.txt"])
        self.assertFalse(os.path.islink(os.path.join(dest, "lib")))
        self.assertEqual(self.run_cmd([os.path.join(dest, "bin", "hello"), "--version"])[0], "hellotool 1.0.0\n")

    def test_tools_venv_dir_that_is_a_symlink_is_replaced_not_followed(self):
        pex, _ = archive(script="hello")
        outside = self.someone_elses_dir()
        dest = os.path.join(self.tmp, "venv")
        os.symlink(outside, dest)
        self.run_cmd([pex, "venv", "--force", dest], env=TOOLS)
        self.assertEqual(os.listdir(outside), ["keep.txt"])
        self.assertFalse(os.path.islink(dest))
        self.assertTrue(os.access(os.path.join(dest, "pex"), os.X_OK))


class BadInputTest(ReliabilityCase):
    def test_bad_pex_variables_are_one_line_each(self):
        pex, _ = archive(script="hello")
        cases = (
            ({"PEX_VENV_BIN_PATH": "bogus"}, "PEX_VENV_BIN_PATH"),
            ({"PEX_PYTHON": "/nonexistent/python"}, "/nonexistent/python"),
            ({"PEX_MODULE": "1bad"}, "'1bad'"),
            ({"PEX_SCRIPT": "nope"}, "'nope'"),
            ({"PEX_PYTHON_PATH": "/nonexistent"}, "PEX_PYTHON_PATH"),
        )
        for env, needle in cases:
            for run in ([pex, "--version"], ["python3", pex, "--version"]):
                with self.subTest(env=env, run=run[0]):
                    out, err, code = self.run_cmd(run, env=env, code=None)
                    self.assertNotEqual(code, 0)
                    self.assertEqual(out, "")
                    self.assertOneLineError(err, needle)

    def test_no_python_on_path(self):
        pex, _ = archive(script="hello")
        empty = os.path.join(self.tmp, "empty-bin")
        os.mkdir(empty)
        err = self.run_cmd([pex, "--version"], env={"PATH": empty}, code=127)[1]
        self.assertOneLineError(err, "python3", "PATH", pex)
        self.assertFalse(os.path.exists(self.root))


def _mutations(rng, text):
    """A malformed variant of a PEX-INFO text: byte damage, or valid JSON with odd values."""
    kind = rng.randrange(4)
    if kind == 0:
        at = rng.randrange(len(text))
        return text[:at] + bytes([rng.randrange(256)]) + text[at + 1 :]
    if kind == 1:
        return text[: rng.randrange(len(text))]
    info = json.loads(text)
    odd = [None, 0, -1, 1.5, True, "", "x" * 300, "../..", [], [1], {}, {"a": 1}, "\udcff", "a/b"]
    for _ in range(rng.randrange(1, 4)):
        target = info
        key = rng.choice(sorted(info))
        if isinstance(info.get(key), dict) and info[key] and rng.random() < 0.5:
            target, key = info[key], rng.choice(sorted(info[key]))
        if rng.random() < 0.2:
            target.pop(key)
        else:
            target[key] = rng.choice(odd)
    if kind == 3:
        info = rng.choice([info, [info], "PEX-INFO", 42, None])
    return json.dumps(info, ensure_ascii=False).encode("utf-8", "surrogatepass")


class FuzzPexInfoTest(ReliabilityCase):
    def test_malformed_pex_info_is_always_a_pex_error(self):
        rng = random.Random(20240611)
        with open(archive(script="hello")[0], "rb") as f:
            base = json.loads(zipfile.ZipFile(f).read("PEX-INFO"))
        text = json.dumps(base, sort_keys=True, separators=(",", ":")).encode()
        path = os.path.join(self.tmp, "fuzz.zip")
        samples = []
        for case in range(400):
            mutated = _mutations(rng, text)
            with zipfile.ZipFile(path, "w") as zf:
                zf.writestr("PEX-INFO", mutated)
            try:
                info = Archive(path).info
            except PexError as e:
                self.assertIn("PEX-INFO", str(e))
                self.assertNotIn("\n", str(e))
                continue
            except Exception as e:  # noqa: BLE001 - the point: nothing but PexError escapes
                self.fail("case %d: %r raised %r" % (case, mutated[:200], e))
            if len(samples) < 12:
                samples.append(mutated)
            # What the cold path then relies on without checking again.
            self.assertRegex(info["pex_hash"], r"^[0-9a-f]{40}$")
            self.assertTrue(all(isinstance(v, str) for v in info["distributions"].values()))
            for name in ("entry_point", "script", "venv_bin_path"):
                self.assertIsInstance(info.get(name), (str, type(None)), name)
            self.assertIsInstance(info.get("strip_pex_env", True), bool)
            self.assertTrue(all(isinstance(c, str) for c in info.get("interpreter_constraints") or []))
        # Accepted variants run end to end with output or one `pex:` line, never a traceback.
        self.assertTrue(samples)
        for i, mutated in enumerate(samples):
            pex = os.path.join(self.tmp, "fuzz-%d.pex" % i)
            shutil.copy(archive(script="hello")[0], pex)
            rewrite(pex, lambda _info, m=mutated: json.loads(m))
            out, err, code = self.run_cmd(["python3", pex, "--version"], code=None)
            if code:
                self.assertOneLineError(err)
            else:
                self.assertEqual(err, "")
