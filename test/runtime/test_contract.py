"""The archive contract (src/runtime/pexnx/contract.json) is one source: what the builder
renders into an archive and what the runtime checks agree, tested through archives the
builder wrote. A copy of the contract on either side makes one of these fail."""

import os
import re
import stat
import zipfile

from support import BuildError, Case, archive, build_archive, default_environments, make_wheel, tampered, wheel

from pexnx import contract, interpreter  # noqa: E402  (support puts src/runtime on sys.path)
from pexnx.archive import Archive  # noqa: E402


def preamble_of(pex):
    with open(pex, "rb") as f:
        return f.read().split(b"PK\x03\x04", 1)[0].decode("utf-8")


def main_of(pex):
    with zipfile.ZipFile(pex) as zf:
        return zf.read("__main__.py").decode("utf-8")


def python_names(constraints):
    """@PYTHONS@ as the runtime's own constraint code reads the contract's minor range: the
    minors the archive's environments cover that the constraints allow, newest first."""
    parsed = interpreter.parse_constraints(constraints, "test")
    covered = {int(env["python"].split(".")[1]) for env in default_environments([], constraints)}
    minors = [
        m
        for m in contract.CPYTHON_MINORS
        if m in covered
        and any(
            interpreter.matches(interpreter.Interpreter("cpython", (3, m, micro), ""), parsed) for micro in range(100)
        )
    ]
    return ["python3"] + ["python3.%d" % m for m in minors] + ["python"]


COLD = b"import sys\n\n\ndef main(path, key):\n    print('cold')\n    sys.exit(3)\n"


def wheel_with(entry, link=False):
    path = make_wheel(
        {"name": "odd", "version": "1.0"}, {"odd/__init__.py": b""} if link else {"odd/__init__.py": b"", entry: b"x"}
    )
    if link:
        with zipfile.ZipFile(path, "a") as zf:
            member = zipfile.ZipInfo(entry, (1980, 1, 1, 0, 0, 0))
            member.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(member, "/etc/passwd")
    return path


class RenderedContractTest(Case):
    def test_the_runtime_maps_machines_onto_the_contracts_platforms(self):
        from pexnx import tags

        self.assertEqual(sorted(set(tags._PLATFORMS.values())), sorted(contract.PLATFORMS))

    def test_no_token_is_left_in_the_templates(self):
        pex, _ = archive(script="hello")
        for text in (preamble_of(pex), main_of(pex)):
            self.assertIsNone(re.search(r"@[A-Z][A-Z0-9_]*@", text))

    def test_the_preamble_checks_the_contracts_override_variables_and_venvs_dir(self):
        pex, info = archive(script="hello")
        preamble = preamble_of(pex)
        self.assertIn('case "%s" in' % "".join("${%s-}" % name for name in contract.OVERRIDES), preamble)
        self.assertIn("/%s/sh\n" % contract.venvs_subdir(info["pex_hash"]), preamble)

    def test_the_fast_path_checks_the_contracts_override_variables_and_venvs_dir(self):
        pex, info = archive(script="hello")
        main = main_of(pex)
        self.assertEqual(
            re.search(r'^OVERRIDES = "(.*)"\.split\(\)$', main, re.M).group(1).split(), list(contract.OVERRIDES)
        )
        self.assertEqual(re.search(r'^VENVS = "(.*)"$', main, re.M).group(1), contract.venvs_subdir(info["pex_hash"]))

    def test_every_override_variable_takes_the_cold_path_and_nothing_else_does(self):
        built = archive(script="hello")
        self.run_cmd([built[0], "--version"])  # builds the venv: later runs are warm
        # Tampering: the copy's cold path only says that it ran.
        pex, _ = tampered(built, replace={".bootstrap/pexnx/boot.py": COLD})
        for command in ([pex, "--version"], ["python3", pex, "--version"]):
            self.assertEqual(self.run_cmd(command)[0], "hellotool 1.0.0\n", command)
            for name in contract.OVERRIDES:
                self.assertEqual(self.run_cmd(command, env={name: "1"}, code=3)[0], "cold\n", (command, name))

    def test_pythons_are_the_contracts_minors_the_constraints_allow(self):
        for constraints in ([], [">=3.8"], [">=3.9,<3.14"], ["==3.11.*", "CPython~=3.12"], [">=3.99"], ["!=3.10.*"]):
            pex, _ = archive(wheels=[], constraints=constraints)
            names = re.search(r"^  for _pexnx_python in (.*); do$", preamble_of(pex), re.M).group(1)
            self.assertEqual(names.split(), python_names(constraints), constraints)


class ReservedEntriesTest(Case):
    def test_the_builder_refuses_sources_with_reserved_names(self):
        names = list(contract.RESERVED_FILES) + [d + "mine.py" for d in contract.RESERVED_DIRS]
        for name in names:
            with self.assertRaisesRegex(BuildError, "would replace the archive's own %s" % re.escape(name)):
                build_archive(os.path.join(self.tmp, "x.pex"), [], sources={name: b""})
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.pex")))

    def test_the_runtime_takes_every_other_entry_as_a_source(self):
        near = {"PEX-INFO.txt": b"", "tool/__main__.py": b"", ".bootstrapped/x.py": b"", "deps/y.py": b""}
        pex, _ = archive(wheels=[wheel("greetlib-1.2.0")], sources=near)
        self.assertEqual(sorted(m.filename for m in Archive(pex).sources()), sorted(near))


class UnsafeEntriesTest(Case):
    UNSAFE = (("../up.txt", False), ("/abs.txt", False), ("odd\\back.txt", False), ("odd/link", True))

    def test_both_sides_refuse_the_same_entries(self):
        for entry, link in self.UNSAFE:
            odd = wheel_with(entry, link)
            with self.assertRaisesRegex(
                BuildError, "unsafe entry '%s' \\(%s\\)" % (re.escape(entry), re.escape(contract.UNSAFE_SAYS))
            ):
                build_archive(os.path.join(self.tmp, "x.pex"), [odd])
            pex, _ = tampered(archive(wheels=[]), add_wheels=[odd])
            err = self.run_cmd([pex, "-c", "pass"], code=1)[1]
            self.assertOneLineError(err, "unsafe entry %r (%s)" % (entry, contract.UNSAFE_SAYS))

    def test_both_sides_accept_names_that_only_look_odd(self):
        odd = wheel_with("odd/..dots.../x.txt")
        pex, _ = archive(wheels=[odd])
        self.assertEqual(self.run_cmd([pex, "-c", "import odd; print('ok')"])[0], "ok\n")
