"""Wheel tags (PEP 425) against an interpreter, so an archive locked for another Python or
platform is refused before its venv is built instead of failing at import time."""

import os
import re

_IMPL = {"cpython": "cp", "pypy": "pp"}
# The glibc baseline of each legacy manylinux name (PEP 513, 571, 599).
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def _triples(filename):
    """[(python, abi, platform)] named by a wheel file (each part may be a dotted set)."""
    parts = filename[: -len(".whl")].split("-") if filename.endswith(".whl") else []
    if len(parts) < 5:
        return []
    pythons, abis, platforms = (part.split(".") for part in parts[-3:])
    return [(p, a, pl) for p in pythons for a in abis for pl in platforms]


def _python_ok(python, abi, impl, version, abiflags):
    m = re.match(r"([a-z]+)(\d)(\d*)$", python)
    if not m or int(m.group(2)) != version[0]:
        return False
    kind, minor = m.group(1), int(m.group(3)) if m.group(3) else None
    short = _IMPL.get(impl, impl)
    if abi == "none":
        # pyXY: any implementation of that version or newer; cpXY: that exact one.
        return (kind == "py" and (minor is None or minor <= version[1])) or (
            kind == short and minor in (None, version[1])
        )
    if abi == "abi3":  # CPython's stable ABI: built for 3.Y, loads on 3.Y and newer
        return impl == "cpython" and kind == "cp" and (minor is None or minor <= version[1])
    if impl == "pypy":  # e.g. pp39-pypy39_pp73: be lenient about the PyPy ABI suffix
        return kind == "pp" and minor == version[1] and abi.startswith("pypy%d%d" % version[:2])
    return kind == short and minor == version[1] and abi == "%s%d%d%s" % (short, version[0], version[1], abiflags)


def _glibc():
    try:
        found = re.match(r"glibc (\d+)\.(\d+)", os.confstr("CS_GNU_LIBC_VERSION") or "")
    except (ValueError, OSError, AttributeError):
        found = None
    return (int(found.group(1)), int(found.group(2))) if found else None


_HERE = object()
# The platforms a lock can cover, by sysconfig's OS and machine names.
_PLATFORMS = {
    ("linux", "x86_64"): "linux_x86_64",
    ("linux", "aarch64"): "linux_aarch64",
    ("linux", "arm64"): "linux_aarch64",
    ("macosx", "arm64"): "macos_arm64",
    ("macosx", "x86_64"): "macos_x86_64",
}


def system_platform():
    import sysconfig  # only when a wheel is platform-specific or an environment is chosen: ~1 ms

    return sysconfig.get_platform()


def machine_platform(system=None):
    """The lock platform (linux_x86_64, linux_aarch64, macos_arm64, macos_x86_64) of sysconfig's
    platform `system` (default: this interpreter's), else None."""
    parts = (system or system_platform()).split("-")
    arch = parts[-1]
    if parts[0] == "macosx" and arch.startswith("universal"):
        arch = os.uname().machine  # a universal build runs natively on either
    return _PLATFORMS.get((parts[0], arch))


def platform_ok(platform, system=None, glibc=_HERE):
    """Whether a machine runs `platform`: this one, or one whose sysconfig platform is `system`
    and whose glibc is `glibc` (a (major, minor) or None)."""
    if platform == "any":
        return True
    if system is None:
        system = system_platform()
    system = system.replace("-", "_").replace(".", "_")
    if system == platform:
        return True
    if system.startswith("linux_"):
        arch = system[len("linux_") :]
        m = re.match(r"(manylinux|musllinux)_(\d+)_(\d+)_%s$" % re.escape(arch), platform)
        legacy = _LEGACY_MANYLINUX.get(platform[: -len("_" + arch)]) if platform.endswith("_" + arch) else None
        if glibc is _HERE:
            glibc = _glibc()
        if legacy:
            return glibc is None or glibc >= legacy
        if m and m.group(1) == "manylinux":
            return glibc is None or glibc >= (int(m.group(2)), int(m.group(3)))
        return bool(m) and glibc is None  # musllinux: only where there is no glibc
    if system.startswith("macosx_"):
        arch = system.split("_")[-1]
        return bool(re.match(r"macosx_\d+_\d+_(%s|universal2?)$" % re.escape(arch), platform))
    return False


def wheel_runs(name, impl, version, abiflags="", system=None, glibc=_HERE):
    """Whether an interpreter (on the machine of sysconfig platform `system`, default this one)
    installs the wheel file `name`. Names that are not wheel file names are left to the
    installer to judge."""
    triples = _triples(name)
    return not triples or any(
        _python_ok(p, a, impl, version, abiflags) and platform_ok(pl, system, glibc) for p, a, pl in triples
    )


def choose(ranked, impl, version, abiflags="", system=None, glibc=_HERE):
    """Per package of `ranked` (lists of wheel names, best first), the first one the interpreter
    runs. Returns (names, None), or (None, the first package's choices) when one has none."""
    chosen = []
    for choices in ranked:
        name = next((n for n in choices if wheel_runs(n, impl, version, abiflags, system, glibc)), None)
        if name is None:
            return None, choices
        chosen.append(name)
    return chosen, None
