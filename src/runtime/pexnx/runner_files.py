"""The files that make a venv run its tool: runner.py as it is (behind the venv's shebang)
as `pex` and `__main__.py`, and its parameters beside them."""

from . import runner


def files(shebang, entry, scripts, bin_path, strip_pex_env):
    """[(venv-relative name, bytes, mode)]; `entry` and `scripts` as runner.dump_params takes them."""
    # Through the loader: runner.py is read from the archive's zip as from a source tree. The
    # module may come from the runner.pyc the build compiled beside it: the source is runner.py.
    source = runner.__file__[:-1] if runner.__file__.endswith(".pyc") else runner.__file__
    code = shebang.encode("utf-8") + runner.__loader__.get_data(source)
    params = runner.dump_params(entry, scripts, bin_path, strip_pex_env).encode("utf-8")
    return [("__main__.py", code, 0o755), ("pex", code, 0o755), (runner.PARAMS, params, 0o644)]
