"""Run-time errors name the archive the user ran, never the venv inside PEX_ROOT."""

from support import PYTHON, Case, archive


class ArchiveNamedTest(Case):
    def test_runner_errors_name_the_archive(self):
        pex, _ = archive(script="hello")
        for cmd in ([pex], [PYTHON, pex]):
            err = self.run_cmd(cmd, env={"PEX_SCRIPT": "nosuch"}, code=1)[1]
            self.assertOneLineError(err, "no script 'nosuch'", pex, "use one of: greet-py")
            self.assertNotIn(self.root, err)
