"""Interpreter selection: PEX-INFO interpreter_constraints, PEX_PYTHON, PEX_PYTHON_PATH, PATH."""

import os
import re
import sys

from . import PexError, archive, contract, tags

_SPEC = re.compile(r"^(===|~=|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+)*)(\.\*)?$")
_IMPLS = {"cpython": "CPython", "pypy": "PyPy"}
# Prints implementation, version, real executable and ABI flags; Python 2 compatible so a
# `python` that is Python 2 is reported by version instead of failing to start.
_PROBE = (
    "import os,sys,sysconfig;print(getattr(getattr(sys,'implementation',None),'name','cpython'));"
    "print('%d.%d.%d'%tuple(sys.version_info[:3]));print(os.path.realpath(sys.executable));"
    "print(getattr(sys,'abiflags',''));print(sysconfig.get_platform());"
    "print(getattr(os,'confstr_names',{}).get('CS_GNU_LIBC_VERSION') and os.confstr('CS_GNU_LIBC_VERSION') or '')"
)
_FIX = "install a matching Python, or point PEX_PYTHON or PEX_PYTHON_PATH at one"


class Interpreter:
    """An interpreter and its machine: `platform` is its sysconfig platform, `glibc` a (major,
    minor) or None (an emulated one may differ from ours)."""

    def __init__(self, impl, version, executable, abiflags="", platform=None, glibc=None):
        self.impl, self.version, self.executable, self.abiflags = impl, version, executable, abiflags
        self.platform, self.glibc = platform, glibc

    def __str__(self):
        return "%s %s" % (_IMPLS.get(self.impl, self.impl), ".".join(map(str, self.version)))

    def minor(self):
        return "%s %d.%d" % (_IMPLS.get(self.impl, self.impl), self.version[0], self.version[1])


def current():
    return Interpreter(
        sys.implementation.name,
        tuple(sys.version_info[:3]),
        os.path.realpath(sys.executable),
        sys.abiflags,
        tags.system_platform(),
        tags._glibc(),
    )


def parse_constraints(constraints, where):
    """[(impl or None, [(op, release tuple, wildcard)])]: the list is OR, each inner list AND."""
    parsed = []
    for text in constraints:
        match = re.match(r"^\s*([A-Za-z]*)\s*(.*?)\s*$", text)
        impl, rest = match.group(1).lower() or None, match.group(2)
        specs = []
        for spec in [s.strip() for s in rest.split(",")] if rest else []:
            m = _SPEC.match(spec)
            if (
                not m
                or (impl and impl not in _IMPLS)
                or (m.group(3) and m.group(1) not in ("==", "!="))
                or (m.group(1) == "~=" and "." not in m.group(2))
            ):
                raise PexError(
                    "invalid interpreter constraint %r" % text,
                    where,
                    "use PEP 440 specifiers such as 'CPython>=3.9,<3.14'",
                )
            specs.append((m.group(1), tuple(int(p) for p in m.group(2).split(".")), bool(m.group(3))))
        parsed.append((impl, specs))
    return parsed


def _spec_matches(version, op, release, wildcard):
    if wildcard:
        return (version[: len(release)] == release) == (op == "==")
    width = max(len(version), len(release))
    have, want = version + (0,) * (width - len(version)), release + (0,) * (width - len(release))
    if op == "~=":
        return have >= want and version[: len(release) - 1] == release[:-1]
    if op == "===":
        return version == release
    return {
        "==": have == want,
        "!=": have != want,
        "<=": have <= want,
        ">=": have >= want,
        "<": have < want,
        ">": have > want,
    }[op]


def matches(interpreter, parsed):
    return not parsed or any(
        (impl is None or impl == interpreter.impl) and all(_spec_matches(interpreter.version, *spec) for spec in specs)
        for impl, specs in parsed
    )


def _probe(path):
    import subprocess  # only when another interpreter must be asked: it costs ~10 ms to import

    try:
        out = (
            subprocess.run([path, "-sSE", "-c", _PROBE], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60)
            .stdout.decode("utf-8", "replace")
            .split("\n")
        )
        glibc = re.match(r"glibc (\d+)\.(\d+)", out[5])
        return Interpreter(
            out[0],
            tuple(int(p) for p in out[1].split(".")),
            out[2],
            out[3],
            out[4],
            (int(glibc.group(1)), int(glibc.group(2))) if glibc else None,
        )
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def _pyenv_versions(names, entries):
    """`<root>/versions/3.X.*/bin/python3.X`, newest first, for a pyenv whose shims dir is on
    PATH: versions installed but not active, whose shims fail when run."""
    roots = [os.path.dirname(e.rstrip(os.sep)) for e in entries if os.path.basename(e.rstrip(os.sep)) == "shims"]
    roots = [r for r in roots if os.path.isdir(os.path.join(r, "versions"))]
    if not roots:
        return []
    versions = os.listdir(os.path.join(roots[0], "versions"))
    found = []
    for name in names:
        minor = re.match(r"python(3\.\d+)$", name or "")
        if minor:
            matching = [v for v in versions if re.match(re.escape(minor.group(1)) + r"\.\d+$", v)]
            matching.sort(key=lambda v: int(v.rsplit(".", 1)[1]), reverse=True)
            found += [os.path.join(roots[0], "versions", v, "bin", name) for v in matching]
    return found


def _candidates(pex_python, pex_python_path):
    """Executable paths to try, in preference order."""
    if pex_python and os.sep in pex_python:
        found = [pex_python]
    else:
        entries = [e for e in (pex_python_path or os.environ.get("PATH", "")).split(os.pathsep) if e]
        # PEX_PYTHON_PATH may list interpreters themselves, not only directories.
        found = [e for e in entries if pex_python_path and (not pex_python or os.path.basename(e) == pex_python)]
        # The contract's order: the user's default python3 first, then the newest python3.X.
        names = (
            [pex_python]
            if pex_python
            else ["python3"] + ["python3.%d" % m for m in contract.CPYTHON_MINORS] + ["python"]
        )
        found += [os.path.join(d, name) for name in names for d in entries]
        if not pex_python_path:
            found += _pyenv_versions(names, entries)
    # As in the preamble: a versioned name that is only a version-manager shim goes last
    # (a pyenv shim of an inactive version fails, slowly; the probe skips it). Stable sort.
    found.sort(
        key=lambda p: bool(re.match(r"python\d\.\d+$", os.path.basename(p))) and os.path.dirname(p).endswith("/shims")
    )
    return [path for path in found if os.path.isfile(path) and os.access(path, os.X_OK)]


def _misfit(interp, parsed, info):
    """Why `interp` cannot run the archive (None: it can): "" for the interpreter constraints,
    "outside the archive's environments", or "no wheel for it: <name>"."""
    if not matches(interp, parsed):
        return ""
    names, why = archive.select_wheels(info, interp)
    return None if names is not None else why or archive.OUTSIDE


def _platform_of(interp):
    return tags.machine_platform(interp.platform) or interp.platform


def _uncovered(here, info, archive_path):
    """The refusal for a machine whose platform no environment covers: no interpreter helps."""
    platform = tags.machine_platform(here.platform)
    covered = sorted({env["platform"] for env in archive.environments(info)})
    fix = (
        "relock with --platforms %s to add it, then rebuild the archive" % ",".join(covered + [platform])
        if platform
        else "run it on one of %s" % ", ".join(covered)
    )
    return PexError(archive.outside(here.minor(), here, info), archive_path, fix)


def select(info, archive_path):
    """Returns when the running interpreter is the one to use; otherwise re-execs the archive
    with the chosen one (or raises PexError when none fits). An interpreter fits when it
    satisfies the interpreter constraints and the archive has an environment for it (its
    platform and minor) with a wheel it runs for every package."""
    constraints = info.get("interpreter_constraints") or []
    parsed = parse_constraints(constraints, archive_path)
    env = os.environ
    here = current()
    wanted = " or ".join(repr(c) for c in constraints) or "none"
    need = ("interpreter constraints %s and " % wanted if constraints else "") + "the archive's environments (%s)" % (
        archive.covers(info)
    )
    if env.pop("__PEXNX_REEXEC", None):
        # We are the interpreter a previous process chose; never re-exec again (no loops).
        why = _misfit(here, parsed, info)
        if why is None:
            return
        raise PexError(
            "re-executed into %s (%s on %s%s) which does not satisfy %s"
            % (here.executable, here, _platform_of(here), ", " + why if why else "", need),
            archive_path,
            _FIX,
        )
    pex_python, pex_python_path = env.get("PEX_PYTHON"), env.get("PEX_PYTHON_PATH")
    tried, seen = [], set()

    def note(path, found, why):
        tried.append("%s (%s%s)" % (path, found or "does not run", ", " + why if why else ""))

    if not pex_python and not pex_python_path:
        platforms = {e["platform"] for e in archive.environments(info)}
        if tags.machine_platform(here.platform) not in platforms:
            raise _uncovered(here, info, archive_path)
        why = _misfit(here, parsed, info)
        if why is None:
            return
        note(sys.executable, here, why)
        seen.add(here.executable)
    for path in _candidates(pex_python, pex_python_path):
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        is_here = real == here.executable
        found = here if is_here else _probe(path)
        why = _misfit(found, parsed, info) if found else ""
        if why is None:
            if is_here:
                return
            env["__PEXNX_REEXEC"] = "1"
            sys.stderr.flush()
            # The probed real path, so a slow shim (pyenv) is never started twice; -S as
            # in the preamble: the bootstrap needs only the stdlib.
            os.execv(found.executable, [found.executable, "-S", archive_path] + sys.argv[1:])
        note(path, found, why)
    where = "PEX_PYTHON_PATH" if pex_python_path else "PATH"
    if pex_python and not tried:
        what = "PEX_PYTHON=%s was not found" % pex_python
    elif pex_python:
        what = "PEX_PYTHON=%s does not satisfy %s" % (pex_python, need)
    else:
        # Say what this is, what the archive covers (in `need`) and how to add this one.
        raise PexError(
            "no interpreter satisfies %s (this one: %s on %s; tried on %s: %s)"
            % (need, here, _platform_of(here), where, ", ".join(tried) or "nothing"),
            archive_path,
            "install one, or point PEX_PYTHON or PEX_PYTHON_PATH at one; or relock with --python/--platforms to add "
            "%s on %s, then rebuild the archive" % (here.minor(), _platform_of(here)),
        )
    raise PexError("%s (tried on %s: %s)" % (what, where, ", ".join(tried) or "nothing"), archive_path, _FIX)
