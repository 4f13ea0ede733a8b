"""Archives that carry several locked environments (platform x CPython minor): each
interpreter picks its environment and, per package, the first wheel of that environment's
ranked list that it runs; outside every environment, one line says so."""

import json
import os
import sys
import unittest

from support import BIN, PYTHON, VERSION, Case, build_archive, environment, make_wheel, other_pythons
from pexnx import archive as archive_mod
from pexnx import interpreter, tags

MINOR = sys.version_info[1]
HERE = tags.machine_platform()
REPORT = [
    "-c",
    "import importlib.util as u, native, pure, sys;"
    "print('%d.%d' % sys.version_info[:2], pure.VERSION, native.WHO,"
    " *[m for m in ('cp310only', 'backport') if u.find_spec(m)])",
]


def module_wheel(name, version, tag, text):
    """A wheel with one module `name` whose VERSION (or WHO) is `text`."""
    return make_wheel({"name": name, "version": version, "tag": tag}, {name + ".py": text.encode()})


class Fixtures:
    """The wheels of a lock for linux_x86_64 × 3.8–3.13, linux_aarch64 × 3.11 and
    macos_arm64 × 3.10–3.12 (built once)."""

    _made = None

    @classmethod
    def get(cls):
        if cls._made is None:
            w = {
                "pure1": module_wheel("pure", "1.0", "py3-none-any", "VERSION = '1.0'\n"),
                "pure2": module_wheel("pure", "2.0", "py3-none-any", "VERSION = '2.0'\n"),
                # Best-ranked for linux x86_64, but no machine has glibc 2.999: the next one is taken.
                "x86_future": module_wheel(
                    "native", "1.0", "cp38-abi3-manylinux_2_999_x86_64", "WHO = 'from the future'\n"
                ),
                "x86": module_wheel("native", "1.0", "cp38-abi3-manylinux_2_17_x86_64", "WHO = 'linux-x86_64'\n"),
                "arm": module_wheel("native", "1.0", "cp38-abi3-manylinux_2_17_aarch64", "WHO = 'linux-aarch64'\n"),
                "mac": module_wheel("native", "1.0", "cp38-abi3-macosx_11_0_arm64", "WHO = 'macos-arm64'\n"),
                "cp310": module_wheel("cp310only", "1.0", "cp310-cp310-linux_x86_64", "WHO = 'cp310'\n"),
                "backport": module_wheel("backport", "1.0", "py3-none-any", "WHO = 'old pythons'\n"),
            }
            cls._made = w
        return cls._made


def lock_environments(w):
    """Per environment, as a lock of `pure` (1.0 below 3.10, 2.0 from it), `native` (a wheel
    per platform), `cp310only; python_version == "3.10"` and `backport; python_version < "3.11"`."""
    envs = []
    for platform, minors, native in (
        ("linux_x86_64", range(8, 14), [w["x86_future"], w["x86"]]),
        ("linux_aarch64", [11], [w["arm"]]),
        ("macos_arm64", range(10, 13), [w["mac"]]),
    ):
        for minor in minors:
            packages = [[w["pure1"] if minor < 10 else w["pure2"]], native]
            if minor == 10 and platform == "linux_x86_64":
                packages.append([w["cp310"]])
            if minor < 11:
                packages.append([w["backport"]])
            envs.append(environment(platform, minor, packages))
    return envs


def expected(minor):
    """What REPORT prints on linux_x86_64 for CPython 3.<minor>."""
    extras = (["cp310only"] if minor == 10 else []) + (["backport"] if minor < 11 else [])
    return " ".join(["3.%d" % minor, "1.0" if minor < 10 else "2.0", "linux-x86_64"] + extras) + "\n"


class EnvironmentTest(Case):
    def setUp(self):
        super().setUp()
        self.w = Fixtures.get()
        self.pex = os.path.join(self.tmp, "several.pex")
        self.info = build_archive(self.pex, sorted(set(self.w.values())), environments=lock_environments(self.w))

    def test_this_interpreter_picks_its_environment_and_its_wheels(self):
        if HERE != "linux_x86_64" or not 8 <= MINOR <= 13:
            self.skipTest("the fixture lock covers linux_x86_64 × 3.8–3.13")
        self.assertEqual(self.run_cmd([self.pex] + REPORT)[0], expected(MINOR))
        self.assertEqual(self.run_cmd([PYTHON, self.pex] + REPORT)[0], expected(MINOR))
        # The venv holds that environment's wheels only.
        venvs = self.venvs(self.info)
        key = [n for n in os.listdir(venvs) if n.startswith("cp")][0]
        site = os.path.join(venvs, key, "lib", "python" + VERSION, "site-packages")
        dist_infos = sorted(n for n in os.listdir(site) if n.endswith(".dist-info"))
        want = ["native-1.0.dist-info", "pure-%s.dist-info" % ("1.0" if MINOR < 10 else "2.0")]
        want += (["backport-1.0.dist-info"] if MINOR < 11 else []) + (
            ["cp310only-1.0.dist-info"] if MINOR == 10 else []
        )
        self.assertEqual(dist_infos, sorted(want))

    def test_pex_info_carries_every_wheel_once_and_the_environments(self):
        self.assertEqual(sorted(self.info["distributions"]), sorted(os.path.basename(p) for p in set(self.w.values())))
        self.assertEqual(self.info["pex_nx"]["environments"], lock_environments(self.w))
        # The covered minors, in pex's normal form.
        self.assertEqual(self.info["interpreter_constraints"], ["CPython<3.14,>=3.8"])
        out = self.run_cmd([self.pex, "info"], env={"PEX_TOOLS": "1"})[0]
        self.assertEqual(json.loads(out), self.info)
        ids = [env["id"] for env in json.loads(out)["pex_nx"]["environments"]]
        self.assertIn("linux_aarch64-cp311", ids)
        self.assertIn("macos_arm64-cp312", ids)

    def test_venv_tool_picks_the_same_wheels(self):
        if HERE != "linux_x86_64" or not 8 <= MINOR <= 13:
            self.skipTest("the fixture lock covers linux_x86_64 × 3.8–3.13")
        dest = os.path.join(self.tmp, "venv")
        self.run_cmd([self.pex, "venv", dest], env={"PEX_TOOLS": "1"})
        self.assertEqual(self.run_cmd([os.path.join(dest, "pex")] + REPORT)[0], expected(MINOR))

    def test_same_inputs_same_bytes(self):
        again = os.path.join(self.tmp, "elsewhere", "again.pex")
        os.makedirs(os.path.dirname(again))
        build_archive(again, sorted(set(self.w.values())), environments=lock_environments(self.w))
        with open(self.pex, "rb") as a, open(again, "rb") as b:
            self.assertEqual(a.read(), b.read())
        # Another choice of wheels is another archive, with venvs of its own.
        fewer = [env for env in lock_environments(self.w) if env["platform"] == "linux_x86_64"]
        wheels = [w for k, w in self.w.items() if k not in ("arm", "mac")]
        other = build_archive(os.path.join(self.tmp, "fewer.pex"), wheels, environments=fewer)
        self.assertNotEqual(other["pex_hash"], self.info["pex_hash"])


class RefusalTest(Case):
    def setUp(self):
        super().setUp()
        self.w = Fixtures.get()
        if HERE != "linux_x86_64":
            self.skipTest("the fixture wheels' platforms are chosen for a linux_x86_64 machine")

    def build(self, envs, wheels):
        pex = os.path.join(self.tmp, "x.pex")
        return pex, build_archive(pex, wheels, environments=envs)

    def test_an_uncovered_minor_is_refused_in_one_line(self):
        other = 11 if MINOR != 11 else 12
        pex, info = self.build([environment("linux_x86_64", other, [[self.w["pure2"]]])], [self.w["pure2"]])
        for cmd in ([pex], [PYTHON, pex]):
            # Only this interpreter on PATH (/usr/bin may hold a covered one, which would be used).
            err = self.run_cmd(cmd + REPORT, env={"PATH": BIN}, code=1)[1]
            self.assertOneLineError(
                err,
                "no interpreter satisfies",
                "the archive's environments (linux_x86_64 \u00d7 3.%d)" % other,
                "(this one: CPython %s" % VERSION,
                " on linux_x86_64; tried on PATH: ",
                "relock with --python/--platforms to add CPython 3.%d on linux_x86_64, then rebuild the archive"
                % MINOR,
            )
        self.assertFalse(os.path.exists(self.venvs(info)) and os.listdir(self.venvs(info)))

    def test_an_uncovered_platform_is_refused_in_one_line(self):
        envs = [environment("macos_arm64", m, [[self.w["mac"]]]) for m in (10, 11, 12)]
        envs += [environment("linux_aarch64", 11, [[self.w["arm"]]])]
        pex, info = self.build(envs, [self.w["mac"], self.w["arm"]])
        err = self.run_cmd([pex] + REPORT, code=1)[1]
        self.assertOneLineError(
            err,
            "CPython 3.%d on linux_x86_64 is outside the archive's environments "
            "(macos_arm64 \u00d7 3.10\u20133.12; linux_aarch64 \u00d7 3.11), %s: " % (MINOR, pex),
            "relock with --platforms linux_aarch64,macos_arm64,linux_x86_64 to add it, then rebuild the archive",
        )
        self.assertFalse(os.path.exists(self.root))

    def test_a_covered_interpreter_on_path_is_reexecuted(self):
        others = {v: p for v, p in other_pythons().items() if 8 <= int(v.split(".")[1]) <= 13}
        if not others:
            self.skipTest("needs a second CPython 3.8–3.13")
        version, python = sorted(others.items())[-1]
        minor = int(version.split(".")[1])
        envs = [env for env in lock_environments(self.w) if env["id"] == "linux_x86_64-cp3%d" % minor]
        pex, _ = self.build(envs, sorted(self._paths(envs)))
        bin_dir = os.path.join(self.tmp, "bin")
        os.makedirs(bin_dir)
        os.symlink(python, os.path.join(bin_dir, "python" + version))
        os.symlink(PYTHON, os.path.join(bin_dir, "python3"))
        path = bin_dir + os.pathsep + self.env["PATH"]
        self.assertEqual(self.run_cmd([pex] + REPORT, env={"PATH": path})[0], expected(minor))
        # Asked for explicitly, an uncovered interpreter is refused, naming what the archive covers.
        if MINOR != minor:
            err = self.run_cmd([pex] + REPORT, env={"PEX_PYTHON": PYTHON}, code=1)[1]
            self.assertOneLineError(
                err,
                "PEX_PYTHON=%s does not satisfy" % PYTHON,
                "the archive's environments (linux_x86_64 \u00d7 3.%d)" % minor,
            )

    def _paths(self, envs):
        by_name = {os.path.basename(p): p for p in self.w.values()}
        return {by_name[name] for env in envs for choices in env["wheels"] for name in choices}


class SelectionTest(unittest.TestCase):
    """The choice for a given machine (no processes): platform, minor, ranked wheels, glibc."""

    def setUp(self):
        self.w = {k: os.path.basename(p) for k, p in Fixtures.get().items()}
        self.info = {"pex_nx": {"environments": lock_environments(self.w)}}

    def pick(self, system, minor, glibc=(2, 17)):
        found = interpreter.Interpreter("cpython", (3, minor, 0), "/x", "", system, glibc)
        return archive_mod.select_wheels(self.info, found)

    def test_platforms(self):
        self.assertEqual(self.pick("macosx-11.0-arm64", 12), ([self.w["mac"], self.w["pure2"]], None))
        self.assertEqual(self.pick("macosx-10.9-universal2", 12)[0] is None, os.uname().machine != "arm64")
        self.assertEqual(self.pick("linux-aarch64", 11), ([self.w["arm"], self.w["pure2"]], None))
        self.assertEqual(
            self.pick("linux-x86_64", 10)[0],
            sorted([self.w["x86"], self.w["pure2"], self.w["cp310"], self.w["backport"]]),
        )
        self.assertEqual(self.pick("linux-x86_64", 9)[0], sorted([self.w["x86"], self.w["pure1"], self.w["backport"]]))
        self.assertEqual(
            self.pick("linux-x86_64", 9, glibc=(3, 0))[0],
            sorted([self.w["x86_future"], self.w["pure1"], self.w["backport"]]),
        )

    def test_outside(self):
        self.assertEqual(self.pick("macosx-11.0-arm64", 13), (None, ""))
        self.assertEqual(self.pick("linux-aarch64", 12), (None, ""))
        self.assertEqual(self.pick("freebsd-14.0-amd64", 11), (None, ""))
        self.assertEqual(
            self.pick("linux-x86_64", 11, glibc=(2, 5)), (None, "no wheel for it: " + self.w["x86_future"])
        )

    def test_covers(self):
        self.assertEqual(
            archive_mod.covers(self.info),
            "linux_x86_64 \u00d7 3.8\u20133.13; linux_aarch64 \u00d7 3.11; macos_arm64 \u00d7 3.10\u20133.12",
        )
        envs = [environment(p, m, []) for p in ("linux_x86_64", "macos_arm64") for m in (9, 11, 12)]
        self.assertEqual(
            archive_mod.covers({"pex_nx": {"environments": envs}}),
            "linux_x86_64, macos_arm64 \u00d7 3.9, 3.11\u20133.12",
        )

    def test_machine_platform(self):
        self.assertEqual(tags.machine_platform("linux-x86_64"), "linux_x86_64")
        self.assertEqual(tags.machine_platform("linux-aarch64"), "linux_aarch64")
        self.assertEqual(tags.machine_platform("macosx-11.0-arm64"), "macos_arm64")
        self.assertEqual(tags.machine_platform("macosx-10.9-x86_64"), "macos_x86_64")
        self.assertIsNone(tags.machine_platform("linux-i686"))
        self.assertIsNone(tags.machine_platform("win-amd64"))


if __name__ == "__main__":
    unittest.main()
