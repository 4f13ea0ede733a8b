"""Installs wheels (PEP 427/491) and loose files into a venv being built, refusing unsafe
paths and checking collisions between everything written."""

import base64
import csv
import hashlib
import io
import os
import posixpath

from . import PexError, contract


def _b64(digest):
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _chunks(stream):
    return iter(lambda: stream.read(1 << 20), b"")


def mode_of(member):
    return 0o755 if (member.external_attr >> 16) & 0o111 else 0o644


def check_member(member, owner, where):
    if contract.is_unsafe_entry(member.filename, member.external_attr >> 16):
        raise PexError(
            "%s contains the unsafe entry %r (%s)" % (owner, member.filename, contract.UNSAFE_SAYS),
            where,
            "rebuild it without such entries; nothing was installed",
        )


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
        self.owners = {}  # venv-relative path -> (owner, sha256 digest as in RECORD, or None)
        self.scripts = {}  # bin/ name -> ("call", "mod:attr") | ("python", name) | ("exec", name)
        self.py_dirs = set()  # site-packages dirs holding .py files: each gets a __pycache__
        self._dirs = set()

    def claim(self, rel, owner):
        """Marks a path the venv writes itself (links, activation scripts) as taken."""
        self.owners[rel] = (owner, None)

    def _collision(self, prior, owner, rel, digest):
        if prior[1] != digest and not self.collisions_ok:
            raise PexError(
                "%s and %s both install %s with different contents" % (prior[0], owner, rel),
                self.where,
                "drop one of them from the requirements, or build the venv with --collisions-ok",
            )

    def _note_py(self, rel):
        if rel.endswith(".py") and rel.startswith(self.site + "/"):
            self.py_dirs.add(posixpath.dirname(rel))

    def write(self, rel, data, mode, owner):
        """Writes bytes or an iterable of chunks to `rel`; returns (sha256 as in RECORD, size)."""
        digest = hashlib.sha256()
        prior = self.owners.get(rel)
        if prior:
            data = data if isinstance(data, bytes) else b"".join(data)
            digest.update(data)
            self._collision(prior, owner, rel, _b64(digest.digest()))
            return _b64(digest.digest()), len(data)  # identical (or allowed): the first one stays
        self._note_py(rel)
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
        self.owners[rel] = (owner, _b64(digest.digest()))
        return _b64(digest.digest()), size

    def install_sources(self, zf, members, owner):
        for member in members:
            check_member(member, owner, self.where)
            with zf.open(member) as src:
                self.write(posixpath.join(self.site, member.filename), _chunks(src), mode_of(member), owner)

    def plan_entry(self, entry):
        """Claims the venv paths of a store entry's files (see store.py). Returns (dirs, placed,
        rows): the venv dirs it needs, {entry path: venv path} of the files it writes, and what
        finish_entry() needs. Collisions are checked there, once the hashes are known."""
        roots = {"site": self.site, "data": "", "headers": posixpath.join(self.headers, entry.dist_name or "")}
        dirs, placed, rows = set(), {}, []
        for rel, _, size in entry.files:
            scheme, _, rest = rel.partition("/")
            if scheme == "scripts":
                continue  # their shebangs name the venv: finish_entry() writes them
            target = roots[scheme] + "/" + rest if roots[scheme] else rest
            owned = target not in self.owners
            rows.append((target, rel, size, owned))
            if not owned:
                continue  # identical (or allowed), checked in finish_entry(): the first one stays
            self.owners[target] = (entry.name, None)
            self._note_py(target)
            placed[rel] = self.root + "/" + target
            parent = posixpath.dirname(target)
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        return dirs, placed, rows

    def made_dirs(self, dirs):
        self._dirs.update(os.path.join(self.root, d) for d in dirs)

    def finish_entry(self, entry, rows):
        """Once its files are placed: checks collisions and writes what depends on the venv:
        scripts, INSTALLER and RECORD (with the entry's hashes: the copies are identical)."""
        name = entry.name
        if entry.dist_info is None:
            # Bytecode: in no RECORD, like the pycs Python writes itself; a path a wheel (or an
            # earlier zip) wrote keeps that file, and Python checks any pyc against its source.
            for target, rel, _, owned in rows:
                if owned:
                    self.owners[target] = (name, entry.digest(rel))
            return
        record = []
        for target, rel, size, owned in rows:
            digest = entry.digest(rel)
            record.append((target, digest, size))
            if owned:
                self.owners[target] = (name, digest)
            else:
                self._collision(self.owners[target], name, target, digest)
        for rel, _, _ in entry.files:
            if rel.startswith("scripts/"):
                target, data, mode = self._script(rel[len("scripts/") :], entry.read(rel))
                record.append((target, *self.write(target, data, mode, name)))
        for script, target in sorted(entry.entry_points.items()):
            rel = self._entry_point(name, script, target)
            record.append((rel, *self.write(rel, self._wrapper(target), 0o755, name)))
        meta_dir = posixpath.join(self.site, entry.dist_info)
        record.append((meta_dir + "/INSTALLER", *self.write(meta_dir + "/INSTALLER", b"pex-nx\n", 0o644, name)))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        prefix = self.site + "/"
        for rel, digest, size in record:
            rel = rel[len(prefix) :] if rel.startswith(prefix) else posixpath.relpath(rel, self.site)
            writer.writerow((rel, "sha256=" + digest, size))
        writer.writerow((entry.dist_info + "/RECORD", "", ""))
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
