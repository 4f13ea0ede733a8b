"""Installs wheels (PEP 427/491) and loose files into a venv being built, refusing unsafe
paths and checking collisions between everything written."""

import base64
import csv
import hashlib
import io
import os
import posixpath

from . import PexError, contract

_SKIP = ("RECORD", "RECORD.jws", "RECORD.p7s", "INSTALLER")  # rewritten by us


def _b64(digest):
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _chunks(stream):
    return iter(lambda: stream.read(1 << 20), b"")


def _mode(member):
    return 0o755 if (member.external_attr >> 16) & 0o111 else 0o644


def entry_points(text):
    """{script name: `module:attr`} of the console_scripts and gui_scripts groups."""
    scripts, group = {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
        elif line and line[0] not in "#;" and group in ("console_scripts", "gui_scripts"):
            name, _, value = line.partition("=")
            scripts[name.strip()] = value.split("[")[0].strip()  # extras do not matter here
    return scripts


class Installer:
    """Writes files under `root` (the venv being built). `shebang(args)` gives the first
    line(s) of a Python script in bin/. Every path remembers who wrote it."""

    def __init__(self, root, site, headers, shebang, where, collisions_ok):
        self.root, self.site, self.headers, self.shebang = root, site, headers, shebang
        self.where, self.collisions_ok = where, collisions_ok
        self.owners = {}  # venv-relative path -> (owner, sha256 digest or None)
        self.scripts = {}  # bin/ name -> ("call", "mod:attr") | ("python", name) | ("exec", name)
        self._dirs = set()

    def claim(self, rel, owner):
        """Marks a path the venv writes itself (links, activation scripts) as taken."""
        self.owners[rel] = (owner, None)

    def write(self, rel, data, mode, owner):
        """Writes bytes or an iterable of chunks to `rel`; returns (sha256 digest, size)."""
        digest = hashlib.sha256()
        prior = self.owners.get(rel)
        if prior:
            data = data if isinstance(data, bytes) else b"".join(data)
            digest.update(data)
            if prior[1] != digest.digest() and not self.collisions_ok:
                raise PexError(
                    "%s and %s both install %s with different contents" % (prior[0], owner, rel),
                    self.where,
                    "drop one of them from the requirements, or build the venv with --collisions-ok",
                )
            return digest.digest(), len(data)  # identical (or allowed): the first one stays
        path = os.path.join(self.root, rel)
        if os.path.dirname(path) not in self._dirs:  # saves syscalls on wheels with many files
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self._dirs.add(os.path.dirname(path))
        size = 0
        # O_EXCL: never write through something already there (a link planted by a wheel).
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), "wb") as f:
            for chunk in [data] if isinstance(data, bytes) else data:
                digest.update(chunk)
                f.write(chunk)
                size += len(chunk)
        self.owners[rel] = (owner, digest.digest())
        return digest.digest(), size

    def _check(self, member, owner):
        if contract.is_unsafe_entry(member.filename, member.external_attr >> 16):
            raise PexError(
                "%s contains the unsafe entry %r (%s)" % (owner, member.filename, contract.UNSAFE_SAYS),
                self.where,
                "rebuild it without such entries; nothing was installed",
            )

    def install_sources(self, zf, members, owner):
        for member in members:
            self._check(member, owner)
            with zf.open(member) as src:
                self.write(posixpath.join(self.site, member.filename), _chunks(src), _mode(member), owner)

    def install_wheel(self, name, zf):
        infos = sorted(
            n[: -len("/WHEEL")] for n in zf.namelist() if n.endswith(".dist-info/WHEEL") and n.count("/") == 1
        )
        if len(infos) > 1:  # pick the one named like the file
            infos = [i for i in infos if name.lower().startswith(i[: -len(".dist-info")].lower() + "-")] or infos
        if not infos:
            raise PexError("%s has no .dist-info/WHEEL" % name, self.where, "rebuild the wheel")
        dist_info = infos[0]
        meta = dict(
            line.split(":", 1) for line in zf.read(dist_info + "/WHEEL").decode("utf-8").splitlines() if ":" in line
        )
        if meta.get("Wheel-Version", "1.0").strip().split(".")[0] != "1":
            raise PexError(
                "%s has Wheel-Version %s" % (name, meta["Wheel-Version"].strip()),
                self.where,
                "use a wheel in format 1.x",
            )
        data_dir = dist_info[: -len(".dist-info")] + ".data/"
        dist_name = dist_info.split("-")[0]
        skip = {"%s/%s" % (dist_info, s) for s in _SKIP}
        for member in zf.infolist():  # refuse a bad wheel before writing any of it
            self._check(member, name)
        record = []
        for member in zf.infolist():
            path = member.filename
            if member.is_dir() or path in skip:
                continue
            mode = _mode(member)
            if path.startswith(data_dir):
                scheme, _, rest = path[len(data_dir) :].partition("/")
                if not rest:
                    raise PexError("%s has a stray file %s" % (name, path), self.where, "rebuild the wheel")
                if scheme in ("purelib", "platlib"):
                    rel = posixpath.join(self.site, rest)
                elif scheme == "data":
                    rel = rest
                elif scheme == "headers":
                    rel = posixpath.join(self.headers, dist_name, rest)
                elif scheme == "scripts":
                    rel, data, mode = self._script(rest, zf.read(member))
                    record.append((rel, *self.write(rel, data, mode, name)))
                    continue
                else:
                    raise PexError(
                        "%s has an unknown .data scheme %r" % (name, scheme), self.where, "rebuild the wheel"
                    )
            else:
                rel = posixpath.join(self.site, path)
            with zf.open(member) as src:
                record.append((rel, *self.write(rel, _chunks(src), mode, name)))
        if dist_info + "/entry_points.txt" in zf.namelist():
            for script, target in sorted(
                entry_points(zf.read(dist_info + "/entry_points.txt").decode("utf-8")).items()
            ):
                rel = self._entry_point(name, script, target)
                record.append((rel, *self.write(rel, self._wrapper(target), 0o755, name)))
        meta_dir = posixpath.join(self.site, dist_info)
        record.append((meta_dir + "/INSTALLER", *self.write(meta_dir + "/INSTALLER", b"pex-nx\n", 0o644, name)))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for rel, digest, size in record:
            writer.writerow((posixpath.relpath(rel, self.site), "sha256=" + _b64(digest), size))
        writer.writerow((dist_info + "/RECORD", "", ""))
        self.write(meta_dir + "/RECORD", out.getvalue().encode("utf-8"), 0o644, name)

    def _script(self, rest, data):
        """A `.data/scripts` file: `#!python` / `#!pythonw` become this venv's interpreter."""
        bin_name = posixpath.basename(rest)
        first, nl, body = data.partition(b"\n")
        if first.startswith(b"#!python"):
            args = first[len(b"#!python") :].rstrip(b"\r")
            args = args[1:] if args.startswith(b"w") else args
            self.scripts[bin_name] = ("python", bin_name)
            data = self.shebang(args.strip().decode("utf-8")).encode("utf-8") + body
        else:
            self.scripts[bin_name] = ("exec", bin_name)
        return "bin/" + bin_name, data, 0o755

    def _entry_point(self, wheel, script, target):
        module, _, attr = target.partition(":")
        if (
            "/" in script
            or script.startswith(".")
            or not all(p.isidentifier() for p in (module.split(".") + attr.split(".")))
        ):
            raise PexError(
                "%s has an invalid entry point %r = %r" % (wheel, script, target), self.where, "rebuild the wheel"
            )
        self.scripts[script] = ("call", target)
        return "bin/" + script

    def _wrapper(self, target):
        # No `re` (unlike pip's wrappers): it only served Windows' .exe launchers.
        module, _, attr = target.partition(":")
        return (
            "%s# -*- coding: utf-8 -*-\nimport sys\nfrom %s import %s\n"
            'if __name__ == "__main__":\n    sys.exit(%s())\n' % (self.shebang("-I"), module, attr.split(".")[0], attr)
        ).encode("utf-8")
