"""Reads a pex-nx archive: PEX-INFO, the STORED wheels under .deps/, the user sources."""

import hashlib
import json
import os
import struct
import sys
import zipfile
import zlib

from . import PexError, contract, tags

REBUILD = "rebuild the archive (it is corrupt or was modified)"


_IN_MEMORY = 64 << 20


class Slice:
    """A read-only file object over bytes [start, start+size) of an open fd.

    zipfile reads a STORED wheel through it in place, so no wheel is ever extracted.
    """

    def __init__(self, fd, start, size):
        self._fd, self._start, self._size, self._pos = fd, start, size, 0
        self._data = None

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=os.SEEK_SET):
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n=-1):
        left = max(0, self._size - self._pos)
        n = left if n is None or n < 0 else min(n, left)
        data = os.pread(self._fd, n, self._start + self._pos) if n else b""
        self._pos += len(data)
        return data

    def close(self):
        pass  # the fd belongs to the Archive

    def member(self, info):
        """The bytes of zip member `info` of the zip this slice holds, or None when zipfile
        must read it (encrypted, neither STORED nor DEFLATED, or a zip too big to hold in memory).
        One pread for the whole zip, then one C call per member: zipfile's per-member Python
        costs as much as the inflating."""
        if (
            info.flag_bits & 0x1
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            or self._size > _IN_MEMORY
        ):
            return None
        if self._data is None:
            self._data = os.pread(self._fd, self._size, self._start)
        at = info.header_offset
        header = self._data[at : at + 30]
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile("bad local header for %s" % info.filename)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = at + 30 + name_len + extra_len
        raw = self._data[start : start + info.compress_size]
        data = zlib.decompress(raw, -15) if info.compress_type == zipfile.ZIP_DEFLATED else raw
        # No CRC check: the whole zip's sha256 matched PEX-INFO before this slice was made.
        if len(data) != info.file_size:
            raise zipfile.BadZipFile("bad size for %s" % info.filename)
        return data


_OPTIONAL_STR = (str, type(None))
# PEX-INFO's key for our own data: {"environments": [{"id", "platform", "python", "wheels"}],
# "bytecode": {cache tag: {wheel file name: sha256 of its bytecode zip}}}, where wheels holds, per
# package, its wheel file names best-ranked first.
KEY = "pex_nx"


def _environments_ok(own, hashes):
    envs = own.get("environments") if isinstance(own, dict) else None
    return (
        isinstance(envs, list)
        and bool(envs)
        and all(
            isinstance(env, dict)
            and all(isinstance(env.get(k), str) for k in ("id", "platform", "python"))
            and isinstance(env.get("wheels"), list)
            and all(
                isinstance(choices, list)
                and choices
                and all(isinstance(name, str) and isinstance(hashes, dict) and name in hashes for name in choices)
                for choices in env["wheels"]
            )
            for env in envs
        )
    )


def _bytecode_ok(own, hashes):
    tags = own.get("bytecode", {}) if isinstance(own, dict) else None
    return isinstance(tags, dict) and all(
        isinstance(by_wheel, dict)
        and all(isinstance(sha, str) and isinstance(hashes, dict) and name in hashes for name, sha in by_wheel.items())
        for by_wheel in tags.values()
    )


def environments(info):
    return info[KEY]["environments"]


def environment_id(platform, impl, version):
    return "%s-%s%d%d" % (platform, {"cpython": "cp"}.get(impl, impl), version[0], version[1])


def _ranges(minors):
    """[10, 11, 12, 14] -> "3.10–3.12, 3.14"."""
    runs = []
    for minor in sorted(minors):
        if runs and runs[-1][1] == minor - 1:
            runs[-1][1] = minor
        else:
            runs.append([minor, minor])
    return ", ".join("3.%d" % a if a == b else "3.%d\u20133.%d" % (a, b) for a, b in runs)


def covers(info):
    """What the archive covers, compactly: `linux_x86_64, macos_arm64 × 3.10–3.12`; platforms
    with different minors are separate groups (`; `)."""
    minors = {}
    for env in environments(info):
        minors.setdefault(env["platform"], set()).add(int(env["python"].split(".")[1]))
    groups = []
    for platform, have in minors.items():
        group = next((g for g in groups if g[1] == have), None)
        if group:
            group[0].append(platform)
        else:
            groups.append(([platform], have))
    return "; ".join("%s \u00d7 %s" % (", ".join(names), _ranges(have)) for names, have in groups)


OUTSIDE = "outside the archive's environments"


def outside(name, interp, info):
    """`<name> on <platform> is outside the archive's environments (<what it covers>)`."""
    return "%s on %s is %s (%s)" % (
        name,
        tags.machine_platform(interp.platform) or interp.platform,
        OUTSIDE,
        covers(info),
    )


def select_wheels(info, interp):
    """(wheel names, None) for the interpreter `interp` (an interpreter.Interpreter, whose
    platform and glibc are its machine's): its environment's first runnable wheel per package.
    Otherwise (None, why): "" when no environment covers it, else "no wheel for it: <name>"."""
    platform = tags.machine_platform(interp.platform)
    wanted = platform and environment_id(platform, interp.impl, interp.version)
    env = next((e for e in environments(info) if e["id"] == wanted), None)
    if env is None:
        return None, ""
    names, missing = tags.choose(
        env["wheels"], interp.impl, interp.version, interp.abiflags, interp.platform, interp.glibc
    )
    if names is None:
        return None, "no wheel for it: " + missing[0]
    return sorted(set(names)), None


def _check_info(info):
    """The fields the runtime reads, with the types it expects: a hand-edited or corrupt
    PEX-INFO is one clear error here instead of a TypeError deep in the cold path."""
    if not isinstance(info, dict):
        raise ValueError("not a JSON object")
    pex_hash, hashes = info.get("pex_hash"), info.get("distributions")
    checks = (
        # It names a dir under PEX_ROOT, so nothing but 40 hex digits (no `..`, no `/`).
        ("pex_hash", isinstance(pex_hash, str) and len(pex_hash) == 40 and not pex_hash.strip("0123456789abcdef")),
        ("distributions", isinstance(hashes, dict) and all(isinstance(v, str) for v in hashes.values())),
        ("entry_point", isinstance(info.get("entry_point"), _OPTIONAL_STR)),
        ("script", isinstance(info.get("script"), _OPTIONAL_STR)),
        ("venv_bin_path", isinstance(info.get("venv_bin_path"), _OPTIONAL_STR)),
        ("strip_pex_env", isinstance(info.get("strip_pex_env", True), bool)),
        (
            "interpreter_constraints",
            isinstance(info.get("interpreter_constraints") or [], list)
            and all(isinstance(c, str) for c in info.get("interpreter_constraints") or []),
        ),
    )
    bad = [name for name, ok in checks if not ok]
    if not _environments_ok(info.get(KEY), hashes):
        bad.append(KEY + ".environments")
    if not _bytecode_ok(info.get(KEY), hashes):
        bad.append(KEY + ".bytecode")
    if bad:
        raise ValueError("bad or missing %s" % ", ".join(bad))


class Archive:
    def __init__(self, path):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
            self.pex_info_bytes = self.zip.read("PEX-INFO")
            self.info = json.loads(self.pex_info_bytes.decode("utf-8"))
            _check_info(self.info)
        except (zipfile.BadZipFile, KeyError, ValueError, AttributeError, EOFError, OSError) as e:
            raise PexError("cannot read PEX-INFO (%s)" % e, path, REBUILD) from e
        self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    def selected_wheels(self):
        """The wheels this interpreter installs (interpreter.select has chosen it)."""
        from . import interpreter

        here = interpreter.current()
        names, why = select_wheels(self.info, here)
        if names is None:
            raise PexError(
                outside(str(here), here, self.info) + (why and "; " + why),
                self.path,
                "run it with an interpreter the archive covers, or relock to add this one and rebuild the archive",
            )
        return names

    def wheel(self, name):
        """The wheel .deps/<name> as a zipfile, after checking its sha256 against PEX-INFO."""
        return self._stored_zip(".deps/" + name, self.info["distributions"][name], "wheel")

    def bytecode(self, names):
        """[(label, sha256, open)] of the bytecode zips this interpreter's cache tag has for the
        wheels `names`; open() gives the zipfile after checking its sha256."""
        tag = sys.implementation.cache_tag
        by_wheel = self.info[KEY].get("bytecode", {}).get(tag, {}) if tag else {}
        return [
            (
                "%s (%s bytecode)" % (name, tag),
                by_wheel[name],
                lambda name=name: self._stored_zip(
                    "%s%s/%s" % (contract.BYTECODE_DIR, tag, name), by_wheel[name], "bytecode zip"
                ),
            )
            for name in names
            if name in by_wheel
        ]

    def _stored_zip(self, entry, sha256, what):
        """The STORED zip entry `entry` read in place as a zipfile, once its sha256 is checked."""
        try:
            member = self.zip.getinfo(entry)
        except KeyError:
            raise PexError("%s is listed in PEX-INFO but missing" % entry, self.path, REBUILD) from None
        header = os.pread(self._fd, 30, member.header_offset)
        if member.compress_type != zipfile.ZIP_STORED or header[:4] != b"PK\x03\x04":
            raise PexError("%s is not a STORED zip entry" % entry, self.path, REBUILD)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = member.header_offset + 30 + name_len + extra_len
        digest = hashlib.sha256()
        for at in range(start, start + member.file_size, 1 << 20):
            digest.update(os.pread(self._fd, min(1 << 20, start + member.file_size - at), at))
        if digest.hexdigest() != sha256:
            raise PexError(
                "sha256 mismatch for %s (PEX-INFO says %s, the archive holds %s)" % (entry, sha256, digest.hexdigest()),
                self.path,
                REBUILD,
            )
        try:
            return zipfile.ZipFile(Slice(self._fd, start, member.file_size))
        except zipfile.BadZipFile as e:
            raise PexError("%s is not a valid %s (%s)" % (entry, what, e), self.path, REBUILD) from e

    def sources(self):
        """Zip entries of the tool's own sources: everything but the runtime and the wheels."""
        return [
            member
            for member in self.zip.infolist()
            if not contract.is_reserved(member.filename) and not member.is_dir()
        ]
