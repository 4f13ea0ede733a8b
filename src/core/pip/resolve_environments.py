"""Runs pip once per environment of a lock in one interpreter: pip is imported once, then each
environment's `pip install` runs in a child forked from that warm process.

    python resolve_environments.py REQUEST.json

REQUEST: {"environments": [{"id", "argv", "markers", "log"}]}. `argv` is pip's command
line after `pip`; `markers` the PEP 508 values pip evaluates markers with (null: this
interpreter's own); `log` the file that gets the child's stdout and stderr. One JSON line
{"index", "id", "code"} (pip's exit status) goes to stdout as each environment finishes.

A fresh fork per environment keeps pip's global state (logging, caches, patched markers) from
leaking between environments, while the imports and the machine's own facts, most of a pip
start, are paid once. At most one child per usable CPU runs at a time.
Stdlib and this interpreter's pip only; CPython 3.8+.
"""

import gc
import json
import mimetypes
import os
import signal
import sys
import traceback

# pip imports these on first use; importing them before forking saves every child the work.
PRELOAD = (
    "pip._internal.commands.install",
    "pip._internal.resolution.resolvelib.resolver",
    "pip._internal.resolution.resolvelib.factory",
    "pip._internal.operations.prepare",
    "pip._internal.index.package_finder",
    "pip._internal.index.collector",
    "pip._internal.network.session",
    "pip._internal.models.installation_report",
    "pip._internal.metadata",
    "pip._internal.utils.logging",
    "pip._vendor.rich.console",
    "pip._vendor.requests",
)


def preload():
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # The file-type table (read from /etc/mime.types) that pip's downloads and links use.
    mimetypes.init()
    # The metadata backend is chosen (and imported) lazily too.
    try:
        from pip._internal.metadata import select_backend

        select_backend()
    except ImportError:
        pass


def share_host_work():
    """Work every pip run repeats with the same result on this machine, done once before forking:
    the User-Agent (it scans the installed distributions and runs `rustc --version`) and the
    interpreter's own wheel tags (the wheel cache asks for them per candidate)."""
    try:
        from pip._internal.network import session
    except ImportError:
        return
    if callable(getattr(session, "user_agent", None)):
        agent = session.user_agent()
        session.user_agent = lambda: agent
    try:
        from pip._internal.utils import compatibility_tags
    except ImportError:
        return
    original = getattr(compatibility_tags, "get_supported", None)
    if not callable(original):
        return
    known = {}

    def get_supported(version=None, platforms=None, impl=None, abis=None):
        key = (version, tuple(platforms or ()), impl, tuple(abis or ()), platforms is None, abis is None)
        if key not in known:
            known[key] = original(version, platforms, impl, abis)
        return list(known[key])

    get_supported()
    # Some of pip's modules import it by name.
    for name, module in list(sys.modules.items()):
        if name.startswith("pip.") and getattr(module, "get_supported", None) is original:
            module.get_supported = get_supported


class ParsedRequirements:
    """Parses each requirement string once (pyparsing is the largest part of a run's own work in
    pip < 24.1, and a run parses each Requires-Dist line several times). A child hands the strings
    it parsed back through a file, and the parent parses them before forking the children that
    follow. A string's parse depends on nothing else, and pip's own get_requirement cache shares
    Requirement objects the same way; the extras set is copied all the same."""

    def __init__(self):
        self.parsed = {}
        self.inherited = set()
        try:
            from pip._vendor.packaging.requirements import Requirement
        except ImportError:
            self.requirement = None
            return
        self.requirement = Requirement
        parse = Requirement.__init__
        parsed = self.parsed

        def __init__(self, requirement_string):
            known = parsed.get(requirement_string)
            if known is None:
                parse(self, requirement_string)
                parsed[requirement_string] = dict(vars(self))
            else:
                vars(self).update(known)
                self.extras = set(known["extras"])

        Requirement.__init__ = __init__

    def forked(self):
        self.inherited = set(self.parsed)

    def hand_back(self, path):
        try:
            with open(path, "w") as f:
                json.dump([text for text in self.parsed if text not in self.inherited], f)
        except OSError:
            pass

    def take(self, path):
        if self.requirement is None or not os.path.exists(path):
            return
        with open(path) as f:
            texts = json.load(f)
        for text in texts:
            try:
                self.requirement(text)
            except Exception:
                pass


def use_markers(values):
    """pip evaluates every marker (requirements, Requires-Dist, the report) through packaging's
    default_environment, which returns this interpreter's values even with --platform and
    --python-version: give it the environment's instead."""
    from pip._vendor.packaging import markers

    def default_environment():
        return dict(values)

    markers.default_environment = default_environment
    try:
        from pip._internal.models import installation_report
    except ImportError:
        return
    # Imported by name there, for the report's "environment".
    if hasattr(installation_report, "default_environment"):
        installation_report.default_environment = default_environment


def run_child(env, main, requirements):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A child lives for one resolve: collecting less often saves time.
    gc.set_threshold(50000, 50, 50)
    requirements.forked()
    fd = os.open(env["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    code = 1
    try:
        if env["markers"] is not None:
            use_markers(env["markers"])
        # As `python -m pip` has it, for the command names pip prints in its hints.
        import pip

        sys.argv = [os.path.join(os.path.dirname(pip.__file__), "__main__.py")] + env["argv"]
        code = main(env["argv"])
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            sys.stderr.write("%s\n" % (exc.code,))
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            requirements.hand_back(env["log"] + ".parsed")
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) else 1)


def usable_cpus():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def main():
    # Like `python -m pip`: this file's directory is not a place to import from.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)
    with open(sys.argv[1]) as f:
        request = json.load(f)
    from pip._internal.cli.main import main as pip_main

    preload()
    share_host_work()
    requirements = ParsedRequirements()
    environments = request["environments"]
    jobs = usable_cpus()
    running = {}

    def stop(signum, frame):
        for pid in running:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    pending = list(enumerate(environments))
    while pending or running:
        while pending and len(running) < jobs:
            index, env = pending.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            # The child's collections then leave the parent's objects, and so its memory pages, alone.
            gc.freeze()
            pid = os.fork()
            if pid == 0:
                run_child(env, pip_main, requirements)
            running[pid] = (index, env["id"])
        pid, status = os.wait()
        if pid not in running:
            continue
        index, env_id = running.pop(pid)
        requirements.take(environments[index]["log"] + ".parsed")
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
        else:
            code = 128 + os.WTERMSIG(status)
        sys.stdout.write(json.dumps({"index": index, "id": env_id, "code": code}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
