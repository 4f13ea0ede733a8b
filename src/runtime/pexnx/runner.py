"""The venv's runner: written into every venv as `pex` and `__main__.py`, these very bytes
behind a shebang, with its parameters in `pex-runner.cfg` beside it (see runner_files).
It imports only os and sys before the tool starts, so a warm run costs one interpreter
start. It runs without the rest of pexnx: nothing here imports it."""

import os
import sys

PARAMS = "pex-runner.cfg"
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"))


def _escape(field):
    for raw, escaped in _ESCAPES:
        field = field.replace(raw, escaped)
    return field


def _unescape(field):
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 1 < len(field):
            out.append({"\\": "\\", "t": "\t", "n": "\n"}.get(field[i + 1], field[i + 1]))
            i += 2
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def dump_params(entry, scripts, bin_path, strip_pex_env):
    """The text of pex-runner.cfg: one tab-separated record a line. `entry` and each value of
    `scripts` (bin name -> entry) is ("call", "mod:attr") | ("module", "mod") |
    ("python"|"exec", bin name) | None (entry only: behave like the venv's python)."""
    lines = ["bin_path\t" + _escape(bin_path), "strip_pex_env\t%d" % bool(strip_pex_env)]
    if entry:
        lines.append("entry\t%s\t%s" % (_escape(entry[0]), _escape(entry[1])))
    for name, (kind, target) in sorted(scripts.items()):
        lines.append("script\t%s\t%s\t%s" % (_escape(name), _escape(kind), _escape(target)))
    return "\n".join(lines) + "\n"


def load_params(text):
    """(entry, scripts, bin_path, strip_pex_env) from the text dump_params wrote."""
    entry, scripts, bin_path, strip = None, {}, "false", True
    for line in text.split("\n"):
        fields = [_unescape(f) for f in line.split("\t")]
        if fields[0] == "bin_path":
            bin_path = fields[1]
        elif fields[0] == "strip_pex_env":
            strip = fields[1] == "1"
        elif fields[0] == "entry":
            entry = (fields[1], fields[2])
        elif fields[0] == "script":
            scripts[fields[1]] = (fields[2], fields[3])
    return entry, scripts, bin_path, strip


def fail(what, where, fix):
    # The archive the user ran ($PEX), not the venv inside PEX_ROOT that runs it.
    sys.stderr.write("pex: %s, %s: %s\n" % (what, os.environ.get("PEX") or where, fix))
    sys.exit(1)


def script_entry(name, scripts, venv):
    if name not in scripts:
        fail("no script %r in this venv" % name, venv, "use one of: " + ", ".join(sorted(scripts)))
    return scripts[name]


def call(target, venv):
    module, _, attr = target.partition(":")
    try:
        __import__(module)
    except ImportError as e:
        if e.name and (module + ".").startswith(e.name + "."):
            fail("no module %r" % module, venv, "check the entry point or PEX_MODULE")
        raise
    func = sys.modules[module]
    for part in attr.split("."):
        if not hasattr(func, part):
            fail("module %r has no attribute %r" % (module, attr), venv, "check the entry point or PEX_MODULE")
        func = getattr(func, part)
    sys.exit(func())


def run_module(module, venv):
    import importlib.util
    import runpy

    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        found = None
    if found is None:
        fail("no module %r" % module, venv, "check the entry point or PEX_MODULE")
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def interpreter(venv):
    """PEX_INTERPRETER=1 or no entry point: behave like this venv's python."""
    import builtins

    namespace = {"__name__": "__main__", "__builtins__": builtins}
    args = sys.argv[1:]
    if args[:1] == ["-c"] and len(args) > 1:
        sys.argv = ["-c"] + args[2:]
        sys.path.insert(0, "")
        exec(compile(args[1], "<string>", "exec"), namespace)
    elif args[:1] == ["-m"] and len(args) > 1:
        sys.argv = args[1:]
        sys.path.insert(0, os.getcwd())
        run_module(args[1], venv)
    elif args and args[0] != "-":
        if args[0].startswith("-"):
            fail("unsupported option %r" % args[0], venv, "use -c CODE, -m MODULE, a script path or -")
        if not os.path.isfile(args[0]):
            fail("can't open file %r" % args[0], venv, "check the script path")
        import runpy

        sys.argv = args
        sys.path.insert(0, os.path.dirname(os.path.realpath(args[0])))
        runpy.run_path(args[0], run_name="__main__")
    else:
        sys.argv = args or [""]
        sys.path.insert(0, "")
        if sys.stdin.isatty():
            import code

            code.interact(local=namespace)
        else:
            exec(compile(sys.stdin.read(), "<stdin>", "exec"), namespace)


def main():
    venv = os.path.dirname(os.path.abspath(__file__))
    env = os.environ
    real = os.path.realpath(venv)
    if sys.prefix != venv and os.path.realpath(sys.prefix) != real and not env.get("__PEXNX_VENV"):
        # Started by another interpreter (`python ./venv`): switch to the venv's own, once.
        python = os.path.join(venv, "bin", "python")
        env["__PEXNX_VENV"] = "1"
        os.execv(python, [python, "-sE", sys.argv[0]] + sys.argv[1:])
    if sys.path and os.path.realpath(sys.path[0] or ".") == real:
        del sys.path[0]  # the venv root is not an import location (it has lib/, bin/)
    with open(os.path.join(venv, PARAMS), encoding="utf-8") as f:
        entry, scripts, default_bin_path, strip_pex_env = load_params(f.read())
    argv0 = env.get("PEX") or sys.argv[0]
    if env.get("PEX_INTERPRETER", "0").lower() not in ("", "0", "false"):
        entry = None
    elif env.get("PEX_SCRIPT"):
        entry = script_entry(env["PEX_SCRIPT"], scripts, venv)
    elif env.get("PEX_MODULE"):
        module = env["PEX_MODULE"]
        entry = ("call", module) if ":" in module else ("module", module)
    for extra in (env.get("PEX_EXTRA_SYS_PATH") or "").split(os.pathsep):
        if extra:
            sys.path.append(extra)
    bin_path = env.get("PEX_VENV_BIN_PATH") or default_bin_path
    if bin_path in ("prepend", "append"):
        parts = [p for p in env.get("PATH", "").split(os.pathsep) if p]
        bin_dir = os.path.join(venv, "bin")
        env["PATH"] = os.pathsep.join([bin_dir] + parts if bin_path == "prepend" else parts + [bin_dir])
    elif bin_path != "false":
        fail("PEX_VENV_BIN_PATH=%s is not prepend, append or false" % bin_path, venv, "set it to one of those")
    for name in list(env):
        if name.startswith("__PEXNX_") or (strip_pex_env and name.startswith("PEX_")):
            del env[name]
    sys.argv[0] = argv0
    kind, target = entry or (None, None)
    if kind == "call":
        call(target, venv)
    elif kind == "module":
        run_module(target, venv)
    elif kind == "python":
        import runpy

        runpy.run_path(os.path.join(venv, "bin", target), run_name="__main__")
    elif kind == "exec":
        path = os.path.join(venv, "bin", target)
        os.execv(path, [path] + sys.argv[1:])
    else:
        interpreter(venv)


if __name__ == "__main__":
    main()
