"""The store of installed wheels in PEX_ROOT (docs/archive-format.md, "Where venvs live"):
one read-only entry per wheel sha256, shared by archives, copied (never linked) into venvs,
safe under concurrent first runs and crashes."""

import json
import os
import stat
import subprocess

import test_reliability
from support import PYTHON, VERSION, Case, archive, ikey_of, tampered, wheel

STORE_STAGES = ("store-after-lock", "store-mid-entry", "store-before-rename", "store-after-rename")


class StoreCase(Case):
    def store(self, root=None):
        return os.path.join(root or self.root, "nx1", "store")

    def entries(self, root=None):
        store = self.store(root)
        return sorted(n for n in os.listdir(store) if not n.startswith(".")) if os.path.isdir(store) else []

    def assertStoreClean(self, shas, root=None):
        """Exactly one complete, read-only entry per sha, no temp dirs."""
        store = self.store(root)
        self.assertEqual(self.entries(root), sorted(shas))
        self.assertEqual([n for n in os.listdir(store) if ".tmp-" in n], [])
        for sha in shas:
            entry = os.path.join(store, sha)
            self.assertEqual(sorted(os.listdir(entry)), ["DATA", "MANIFEST.json"])
            with open(os.path.join(entry, "MANIFEST.json")) as f:
                self.assertEqual(json.load(f)["format"], 2)
            writable = []
            for dirpath, dirnames, filenames in os.walk(entry):
                for name in [""] + dirnames + filenames:
                    mode = os.lstat(os.path.join(dirpath, name)).st_mode
                    if stat.S_ISLNK(mode) or mode & 0o222:
                        writable.append((os.path.join(dirpath, name), oct(mode)))
            self.assertEqual(writable, [], "store entries are read-only, without links")

    def site(self, venv):
        return os.path.join(venv, "lib", "python" + VERSION, "site-packages")

    def stored(self, sha, path, root=None):
        """The bytes the entry `sha` holds for `path` (entry-relative, e.g. site/x/__init__.py)."""
        entry = os.path.join(self.store(root), sha)
        with open(os.path.join(entry, "MANIFEST.json")) as f:
            rows = {row[0]: row for row in json.load(f)["files"]}
        _, _, _, size, offset = rows[path]
        with open(os.path.join(entry, "DATA"), "rb") as f:
            f.seek(offset)
            return f.read(size)


class StoreTest(StoreCase):
    def test_first_run_fills_the_store_and_the_venv_gets_copies(self):
        pex, info = archive(script="hello")
        self.assertEqual(self.run_cmd([pex, "--version"])[0], "hellotool 1.0.0\n")
        self.assertStoreClean(info["distributions"].values())
        venv = os.path.join(self.venvs(info), ikey_of(PYTHON))
        module = os.path.join(self.site(venv), "greetlib", "__init__.py")
        sha = info["distributions"]["greetlib-1.2.0-py3-none-any.whl"]
        st = os.stat(module)
        self.assertEqual((st.st_nlink, stat.S_IMODE(st.st_mode)), (1, 0o644))
        with open(module, "rb") as f:
            self.assertEqual(f.read(), self.stored(sha, "site/greetlib/__init__.py"))
        # A second venv of the same wheels copies them out of the entries: the same files.
        again = os.path.join(self.tmp, "again")
        self.run_cmd([pex, "venv", again], env={"PEX_TOOLS": "1"})
        compared = 0
        for dirpath, _, filenames in os.walk(self.site(venv)):
            for name in filenames:
                path = os.path.join(dirpath, name)
                if "__pycache__" in path or name == "RECORD":
                    continue  # the tool's own bytecode; hashes of scripts, whose shebangs name the venv
                with open(path, "rb") as f, open(
                    os.path.join(self.site(again), os.path.relpath(path, self.site(venv))), "rb"
                ) as g:
                    self.assertEqual(f.read(), g.read(), path)
                compared += 1
        self.assertGreater(compared, 5)

    def test_editing_one_venv_changes_no_other_venv_and_not_the_store(self):
        one, info_one = archive(script="hello")
        two, info_two = archive()
        self.run_cmd([one, "--version"])
        self.run_cmd([two, "-c", "pass"])
        materialized = os.path.join(self.tmp, "venv")
        self.run_cmd([one, "venv", materialized], env={"PEX_TOOLS": "1"})
        venvs = [os.path.join(self.venvs(i), ikey_of(PYTHON)) for i in (info_one, info_two)] + [materialized]
        for edited in venvs:
            with open(os.path.join(self.site(edited), "greetlib", "__init__.py"), "a") as f:
                f.write("EDITED = %r\n" % edited)
        code = "import greetlib; print(greetlib.EDITED)"
        for venv in venvs:
            self.assertEqual(self.run_cmd([os.path.join(venv, "bin", "python"), "-c", code])[0], venv + "\n")
        self.assertStoreClean(info_one["distributions"].values())
        sha = info_one["distributions"]["greetlib-1.2.0-py3-none-any.whl"]
        self.assertNotIn(b"EDITED", self.stored(sha, "site/greetlib/__init__.py"))

    def test_a_second_archive_reuses_the_entries_it_shares(self):
        one, info_one = archive(script="hello")
        self.run_cmd([one, "--version"])
        before = {sha: os.stat(os.path.join(self.store(), sha)).st_ino for sha in self.entries()}
        extra = wheel("localver-1.0+local")
        two, info_two = archive(wheels=[wheel("greetlib-1.2.0"), extra])
        self.assertEqual(self.run_cmd([two, "-c", "import greetlib, localver; print(localver.WHO)"])[0], "localver\n")
        after = {sha: os.stat(os.path.join(self.store(), sha)).st_ino for sha in self.entries()}
        self.assertEqual({sha: after[sha] for sha in before}, before)  # the same entries, not rebuilt
        self.assertEqual(set(after) - set(before), {info_two["distributions"]["localver-1.0+local-py3-none-any.whl"]})

    def test_materialize_uses_the_store_when_pex_root_exists(self):
        pex, info = archive(script="hello")
        self.run_cmd([pex, "--version"])
        inodes = {sha: os.stat(os.path.join(self.store(), sha)).st_ino for sha in self.entries()}
        dest = os.path.join(self.tmp, "venv")
        self.run_cmd([pex, "venv", dest], env={"PEX_TOOLS": "1"})
        self.assertEqual({sha: os.stat(os.path.join(self.store(), sha)).st_ino for sha in self.entries()}, inodes)
        self.assertEqual(self.run_cmd([os.path.join(dest, "bin", "hello"), "--version"])[0], "hellotool 1.0.0\n")
        for dirpath, _, filenames in os.walk(self.site(dest)):
            for name in filenames:
                st = os.lstat(os.path.join(dirpath, name))
                self.assertEqual(st.st_nlink, 1, name)
                self.assertTrue(st.st_mode & stat.S_IWUSR, name)

    def test_an_entry_without_its_manifest_is_never_used(self):
        pex, info = archive(script="hello")
        sha = info["distributions"]["greetlib-1.2.0-py3-none-any.whl"]
        planted = os.path.join(self.store(), sha)
        os.makedirs(planted)
        with open(os.path.join(planted, "DATA"), "w") as f:
            f.write("raise SystemExit('the incomplete entry was used')\n")
        self.assertEqual(self.run_cmd([pex, "--version"])[:2], ("hellotool 1.0.0\n", ""))
        self.assertStoreClean(info["distributions"].values())

    def test_an_entry_whose_data_is_cut_short_is_never_used(self):
        pex, info = archive(script="hello")
        other = os.path.join(self.tmp, "other root")
        self.run_cmd([pex, "--version"], env={"PEX_ROOT": other})
        sha = info["distributions"]["greetlib-1.2.0-py3-none-any.whl"]
        planted = os.path.join(self.store(), sha)
        os.makedirs(planted)
        for name in ("MANIFEST.json", "DATA"):
            with open(os.path.join(self.store(other), sha, name), "rb") as f, open(
                os.path.join(planted, name), "wb"
            ) as g:
                g.write(f.read()[:-1] if name == "DATA" else f.read())
        self.assertEqual(self.run_cmd([pex, "--version"])[:2], ("hellotool 1.0.0\n", ""))
        self.assertStoreClean(info["distributions"].values())
        venv = os.path.join(self.venvs(info), ikey_of(PYTHON))
        with open(os.path.join(self.site(venv), "greetlib", "__init__.py"), "rb") as f:
            self.assertEqual(f.read(), self.stored(sha, "site/greetlib/__init__.py"))

    def test_a_hash_mismatch_leaves_no_entry(self):
        pex, info = tampered(archive(script="hello"), distributions={"greetlib-1.2.0-py3-none-any.whl": "0" * 64})
        self.assertOneLineError(self.run_cmd([pex, "--version"], code=1)[1], "sha256 mismatch")
        self.assertEqual(self.entries(), [])
        self.assertEqual([n for n in os.listdir(self.store()) if ".tmp-" in n], [])


def entry_shas(info):
    """The store keys of an archive's wheels and bytecode zips."""
    bytecode = info["pex_nx"].get("bytecode", {})
    return set(info["distributions"].values()) | {sha for zips in bytecode.values() for sha in zips.values()}


class StoreReliabilityTest(StoreCase):
    # With bytecode: its zips are entries too, built under the same rules.
    def test_concurrent_first_runs_of_two_archives_make_one_entry_per_wheel(self):
        one, info_one = archive(script="hello", compile=True)
        two, info_two = archive(wheels=[wheel("greetlib-1.2.0"), wheel("localver-1.0+local")], compile=True)
        commands = [[one, "--version"] if i % 2 else [two, "-c", "import localver"] for i in range(16)]
        procs = [
            subprocess.Popen(c, env=self.env, cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for c in commands
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            self.assertEqual((proc.returncode, err), (0, b""))
        self.assertStoreClean(entry_shas(info_one) | entry_shas(info_two))

    def test_a_kill_at_any_store_stage_leaves_nothing_taken_as_complete(self):
        pex, info = archive(script="hello", compile=True)
        shas = entry_shas(info)
        for stage in STORE_STAGES:
            with self.subTest(stage=stage):
                root = os.path.join(self.tmp, stage)
                _, _, code = self.run_cmd(
                    [pex, "--version"], env={"PEX_ROOT": root, "__PEXNX_TEST_KILL_AT": stage}, code=None
                )
                self.assertEqual(code, -9, "the kill hook did not fire at %s" % stage)
                # Only renamed entries are complete; before that, nothing but temp dirs and locks.
                self.assertEqual(self.entries(root), sorted(shas) if stage == "store-after-rename" else [])
                self.assertFalse(os.path.lexists(os.path.join(self.venvs(info, root), ikey_of(PYTHON))))
                self.assertEqual(
                    self.run_cmd([pex, "--version"], env={"PEX_ROOT": root})[:2], ("hellotool 1.0.0\n", "")
                )
                self.assertStoreClean(shas, root)

    def test_a_read_only_pex_root_puts_the_store_in_the_private_root_too(self):
        pex, info = archive(script="hello")
        run, writable, uid = test_reliability.PexRootTest.unprivileged(self, pex)
        root = os.path.join(writable, "read-only root")
        os.mkdir(root)
        os.chmod(root, 0o555)
        for _ in ("cold", "again"):
            proc = run(dict(self.env, PEX_ROOT=root))
            self.assertEqual((proc.stdout, proc.returncode), ("hellotool 1.0.0\n", 0), proc.stderr)
            self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)  # the one fallback warning
        self.assertEqual(os.listdir(root), [])
        self.assertStoreClean(info["distributions"].values(), os.path.join(writable, "pexnx-%d" % uid))
