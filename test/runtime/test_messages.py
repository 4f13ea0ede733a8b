"""Run-time errors name the archive the user ran, never the venv inside PEX_ROOT, and every error
line has the shape contract.json's errorLine gives, the one the plugin's own lines are tested against."""

import os
import re

from support import PYTHON, Case, archive, tampered

from pexnx import PexError, contract  # noqa: E402  (support puts src/runtime on sys.path)

ERROR_LINE = re.compile(contract.ERROR_LINE)


class ArchiveNamedTest(Case):
    def test_runner_errors_name_the_archive(self):
        pex, _ = archive(script="hello")
        for cmd in ([pex], [PYTHON, pex]):
            err = self.run_cmd(cmd, env={"PEX_SCRIPT": "nosuch"}, code=1)[1]
            self.assertOneLineError(err, "no script 'nosuch'", pex, "use one of: greet-py")
            self.assertNotIn(self.root, err)


class ErrorLineTest(Case):
    def test_a_pex_error_printed_as_the_runtime_prints_it_gives_its_three_parts_back(self):
        error = PexError("no script 'nosuch' in this venv", "/ws/dist/hello.pex", "use one of: greet-py, hello")
        match = ERROR_LINE.match("pex: %s" % error)
        self.assertEqual(
            match.groups(), ("no script 'nosuch' in this venv", "/ws/dist/hello.pex", "use one of: greet-py, hello")
        )

    def test_the_shape_refuses_lines_that_lack_a_part(self):
        for line in (
            "pex: something failed",
            "pex: x: fix it",
            "pex: , where: fix",
            "pex: what, : fix",
            "pex: what, where: ",
        ):
            self.assertIsNone(ERROR_LINE.match(line), line)

    def test_each_printer_of_the_runtime_writes_that_shape(self):
        built = archive(script="hello")
        pex = built[0]
        hash_mismatch = tampered(built, distributions={"greetlib-1.2.0-py3-none-any.whl": "0" * 64})[0]
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        runs = [
            ("the runner", pex, [], {"PEX_SCRIPT": "nosuch"}, 1),
            ("a PexError of the cold path", pex, [], {"PEX_PYTHON": "python9.9"}, 1),
            ("the cold path's check of the wheels", hash_mismatch, ["--version"], {}, 1),
            ("the preamble", pex, [], {"PATH": empty}, 127),
        ]
        for i, (name, path, args, env, code) in enumerate(runs):
            # A PEX_ROOT each: a venv one run built would make the next one warm (and past these checks).
            env = dict(env, PEX_ROOT=os.path.join(self.tmp, "root%d" % i))
            lines = self.run_cmd([path] + args, env=env, code=code)[1].strip().splitlines()
            self.assertEqual(len(lines), 1, (name, lines))
            self.assertRegex(lines[0], ERROR_LINE, name)
            self.assertIn(path, lines[0], name)
