"""Wheel installation per the wheel spec: schemes, modes, .pth, entry points, RECORD."""

import base64
import csv
import hashlib
import os
import shutil

from support import VERSION, Case, archive, make_wheel, wheel

PREFIX = "kit-2.0.data/"


class WheelTest(Case):
    def setUp(self):
        super().setUp()
        kit = make_wheel(
            {
                "name": "kit",
                "version": "2.0",
                "entry_points": {
                    "console_scripts": {"kit-cli": "kit.app:App.run [extra]"},
                    "gui_scripts": {"kit-gui": "kit.app:gui"},
                },
            },
            {
                "kit/__init__.py": b"",
                "kit/app.py": b"class App:\n    @staticmethod\n    def run():\n        print('cli ok')\n\n"
                b"def gui():\n    print('gui ok')\n    return 5\n",
                "kit/run.sh": b"#!/bin/sh\necho run\n",
                "kit.pth": b"extra_dir\n",
                "extra_dir/hidden.py": b"WHERE = 'pth ok'\n",
                PREFIX + "purelib/pure_mod.py": b"X = 'purelib ok'\n",
                PREFIX + "platlib/plat_mod.py": b"X = 'platlib ok'\n",
                PREFIX + "data/share/kit/thing.txt": b"data ok\n",
                PREFIX + "headers/kit.h": b"/* header */\n",
                PREFIX + "scripts/kit-py": b"#!pythonw -u\nimport sys\nprint(sys.stdout.write_through)\n",
            },
            executable={"kit/run.sh", PREFIX + "scripts/kit-py"},
        )
        self.pex, _ = archive(wheels=[kit])
        self.dir = os.path.join(self.tmp, "venv")
        self.run_cmd([self.pex, "venv", self.dir], env={"PEX_TOOLS": "1"})
        self.site = os.path.join(self.dir, "lib", "python" + VERSION, "site-packages")

    def test_schemes_and_modes(self):
        python = os.path.join(self.dir, "bin", "python")
        code = "import hidden, pure_mod, plat_mod; print(hidden.WHERE, pure_mod.X, plat_mod.X)"
        self.assertEqual(self.run_cmd([python, "-c", code])[0], "pth ok purelib ok platlib ok\n")
        with open(os.path.join(self.dir, "share", "kit", "thing.txt")) as f:
            self.assertEqual(f.read(), "data ok\n")
        self.assertTrue(os.path.isfile(os.path.join(self.dir, "include", "site", "python" + VERSION, "kit", "kit.h")))
        self.assertTrue(os.access(os.path.join(self.site, "kit", "run.sh"), os.X_OK))
        self.assertFalse(os.access(os.path.join(self.site, "kit", "app.py"), os.X_OK))
        self.assertEqual(self.run_cmd([os.path.join(self.site, "kit", "run.sh")])[0], "run\n")

    def test_scripts(self):
        bin_dir = os.path.join(self.dir, "bin")
        self.assertEqual(self.run_cmd([os.path.join(bin_dir, "kit-cli")])[0], "cli ok\n")
        self.assertEqual(self.run_cmd([os.path.join(bin_dir, "kit-gui")], code=5)[0], "gui ok\n")
        with open(os.path.join(bin_dir, "kit-py")) as f:
            self.assertEqual(f.readline(), "#!%s -u\n" % os.path.join(self.dir, "bin", "python"))
        self.assertEqual(self.run_cmd([os.path.join(bin_dir, "kit-py")])[0], "True\n")
        with open(os.path.join(bin_dir, "kit-cli")) as f:
            self.assertNotIn("import re", f.read())

    def test_record_matches_the_files(self):
        dist_info = os.path.join(self.site, "kit-2.0.dist-info")
        with open(os.path.join(dist_info, "INSTALLER")) as f:
            self.assertEqual(f.read(), "pex-nx\n")
        with open(os.path.join(dist_info, "RECORD"), newline="") as f:
            rows = list(csv.reader(f))
        listed = set()
        for path, digest, size in rows:
            listed.add(os.path.normpath(os.path.join(self.site, path)))
            if path.endswith("RECORD"):
                self.assertEqual((digest, size), ("", ""))
                continue
            with open(os.path.join(self.site, path), "rb") as f:
                data = f.read()
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            self.assertEqual((digest, int(size)), ("sha256=" + expected, len(data)), path)
        for name in ("bin/kit-cli", "bin/kit-gui", "bin/kit-py", "share/kit/thing.txt"):
            self.assertIn(os.path.join(self.dir, name), listed)


class FixtureWheelTest(Case):
    """Wheels as they come from real projects (test/fixtures/projects)."""

    def test_entry_point_plugins_are_discovered(self):
        # flake8/pytest style: a host lists the hello.plugins group through importlib.metadata;
        # Foo-Bar's dist-info is Foo_Bar-1.0.dist-info inside foo_bar-1.0-py3-none-any.whl.
        wheels = [wheel("plughost-1.0"), wheel("hello_shout-0.3"), wheel("foo_bar-1.0")]
        pex, info = archive(wheels=wheels, script="plughost")
        self.assertEqual(self.run_cmd([pex])[0], "reverse: ih\nshout: HI!\n")
        site = os.path.join(self.venvs(info), "sh", "lib", "python" + VERSION, "site-packages")
        self.assertIn("Foo_Bar-1.0.dist-info", os.listdir(site))

    def test_versions_and_names_as_published(self):
        pex, _ = archive(wheels=[wheel("localver-1.0+local"), wheel("foo_bar-1.0")])
        code = (
            "from importlib import metadata as m; import localver, foo_bar;"
            "print(m.version('localver'), m.version('Foo-Bar'), m.version('foo_bar'), localver.WHO)"
        )
        self.assertEqual(self.run_cmd([pex, "-c", code])[0], "1.0+local 1.0 1.0 localver\n")

    def test_platlib_wheel_with_a_c_extension(self):
        if not shutil.which("cc"):
            self.skipTest("needs a C compiler")
        # Root-Is-Purelib: false, tagged for this interpreter, a real .so, plus .data/purelib.
        pex, _ = archive(wheels=[wheel("fastmath-1.0")])
        code = "import fastmath, fastmath_pure; print(fastmath.add(2, 3), fastmath_pure.WHERE)"
        self.assertEqual(self.run_cmd([pex, "-c", code])[0], "5 purelib\n")
