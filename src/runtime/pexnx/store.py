"""The store: every wheel installed once per PEX_ROOT, keyed by the sha256 that PEX-INFO lists
for it, and copied into each venv; likewise each bytecode zip (a wheel's pycs for one interpreter).

An entry is two files: DATA, the bytes of every file the wheel installs, end to end, and
MANIFEST.json, where each file sits in DATA with its mode and sha256. Creating inodes is most of
a venv build's cost (0.1 to 1 ms each on a busy ext4), so a wheel the store lacks is extracted
once, into the venv, its bytes going to DATA on the way (two inodes per wheel, not one per file);
a later venv of that wheel copies ranges of DATA, without unzipping or hashing."""

import base64
import hashlib
import json
import os
import shutil
import sys
import threading

from . import PexError, wheel
from .archive import REBUILD

FORMAT = 2
MANIFEST = "MANIFEST.json"
DATA = "DATA"
_SKIP = ("RECORD", "RECORD.jws", "RECORD.p7s", "INSTALLER")  # written per venv
_END = object()


def test_kill(stage):
    """Test hook (cold path only): dies like `kill -9` at a named stage, so the tests can prove
    that a crash at any point leaves nothing a later run mistakes for finished."""
    if os.environ.get("__PEXNX_TEST_KILL_AT") == stage:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def parallel(func, items):
    """func(item) for each item, on up to 4 threads (no more than the CPUs): file creation and
    zlib run outside the GIL. Threads take runs of neighbouring items (files of one dir), as
    creations in one dir serialize on its lock. The first error is raised once all stopped."""
    items = list(items)
    if not items:
        return
    # CPython 3.8's zipfile corrupts reads of one ZipFile from several threads (bpo-42369).
    count = 1 if sys.version_info < (3, 9) else min(4, os.cpu_count() or 1, len(items))
    step = max(1, len(items) // (count * 8))
    runs = iter([items[i : i + step] for i in range(0, len(items), step)])
    lock, errors = threading.Lock(), []

    def work():
        while not errors:
            with lock:
                run = next(runs, _END)
            if run is _END:
                return
            try:
                for item in run:
                    func(item)
            except BaseException as e:  # also KeyboardInterrupt: stop the others, then re-raise
                errors.append(e)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(count - 1)]
    for t in threads:
        t.start()
    work()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _mkdir(path):
    try:
        os.mkdir(path, 0o755)
    except FileExistsError:
        if not os.path.isdir(path) or os.path.islink(path):
            raise


def make_dirs(paths):
    """Creates dirs (existing ones are fine) whose parents exist or are in `paths`, one depth
    level at a time."""
    levels = {}
    for path in paths:
        levels.setdefault(path.count("/"), []).append(path)
    for depth in sorted(levels):
        parallel(_mkdir, levels[depth])


def remove(path):
    """rmtree for a tree that may be read-only (an entry, or a temp dir killed after its chmod)."""
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            child = os.path.join(dirpath, name)
            if not os.path.islink(child):
                try:
                    os.chmod(child, 0o700)
                except OSError:
                    pass
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)


def _is_sha256(value):
    return isinstance(value, str) and len(value) == 64 and not value.strip("0123456789abcdef")


def _write_all(fd, data, offset=None):
    view = memoryview(data)
    while view:
        done = os.write(fd, view) if offset is None else os.pwrite(fd, view, offset)
        view = view[done:]
        offset = None if offset is None else offset + done


def _create(path, mode):
    # O_EXCL: never write through something already there (a link planted by a wheel).
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)


_can_copy_range = hasattr(os, "copy_file_range")


def copy_range(src, offset, size, dst, mode):
    """A new, independent file `dst` with bytes [offset, offset+size) of the open fd `src`:
    an in-kernel copy where the kernel has one, else pread/write. Never a hard or symbolic
    link: no venv may share a writable inode with the store or another venv. Returns how many
    bytes `src` lacked (0 unless it is shorter than the range)."""
    global _can_copy_range
    out = _create(dst, mode)
    try:
        while size > 0 and _can_copy_range:
            try:
                copied = os.copy_file_range(src, out, size, offset)
            except OSError:
                _can_copy_range = False  # an old kernel, or a file system that refuses it
                break
            if not copied:
                return size
            size, offset = size - copied, offset + copied
        while size > 0:
            chunk = os.pread(src, min(size, 1 << 20), offset)
            if not chunk:
                return size
            _write_all(out, chunk)
            size, offset = size - len(chunk), offset + len(chunk)
        return 0
    finally:
        os.close(out)


def load(path):
    """The manifest of a complete entry, else None. An entry only appears by rename once its
    DATA and manifest are written and made read-only, so a readable manifest whose DATA has
    the size it lists means complete."""
    try:
        with open(os.path.join(path, MANIFEST), encoding="utf-8") as f:
            manifest = json.load(f)
        size = os.stat(os.path.join(path, DATA)).st_size
    except (OSError, ValueError):
        return None
    keys = ("wheel", "dist_info", "dist_name", "files", "entry_points", "size")
    if isinstance(manifest, dict) and manifest.get("format") == FORMAT and all(k in manifest for k in keys):
        return manifest if manifest["size"] == size else None
    return None


class Stored:
    """A complete entry: its files are copied out of DATA."""

    new = False

    def __init__(self, path, manifest):
        self.path = path
        self.name, self.dist_info = manifest["wheel"], manifest["dist_info"]
        self.dist_name, self.entry_points = manifest["dist_name"], manifest["entry_points"]
        self.files = [(rel, mode, size) for rel, mode, _, size, _ in manifest["files"]]
        self._rows = {row[0]: row for row in manifest["files"]}
        self._fd = os.open(os.path.join(path, DATA), os.O_RDONLY | os.O_CLOEXEC)

    def digest(self, rel):
        return self._rows[rel][2]

    def tasks(self, placed):
        return sorted(placed.items())

    def place(self, rel, dst):
        _, mode, _, size, offset = self._rows[rel]
        if copy_range(self._fd, offset, size, dst, mode):
            self._cut_short()

    def read(self, rel):
        _, _, _, size, offset = self._rows[rel]
        data = os.pread(self._fd, size, offset)
        if len(data) != size:
            self._cut_short()
        return data

    def _cut_short(self):
        # It had its size when opened: something changed the read-only entry since.
        raise PexError(
            "the store entry %s is shorter than its manifest says" % self.path,
            self.name,
            "remove that entry (chmod u+w it first); the next run rebuilds it",
        )

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Entry:
    """A wheel (or bytecode zip: `kind`) the store lacks, extracted from its zip once: each file
    into the venv and, when `work` (a temp dir of the store) is given, into the entry's DATA at an
    offset fixed up front, so threads write it in any order."""

    new = True

    def __init__(self, name, zf, where, work, kind):
        self.name, self.zf, self.where, self.work = name, zf, where, work
        self.files = []  # (entry-relative path, mode, size), in DATA's order
        self.entry_points = {}
        self._members = {}  # entry-relative path -> (member, offset in DATA)
        self._digests, self._kept = {}, {}
        self.size = 0
        self._fix = "rebuild the wheel" if kind == "wheel" else REBUILD
        self.dist_info, self.dist_name = self._layout() if kind == "wheel" else self._bytecode_layout()
        self._data = None
        if work:
            os.mkdir(work, 0o755)
            self._data = _create(os.path.join(work, DATA), 0o444)  # no write bits, ever

    def _layout(self):
        """Checks the wheel and lists what goes where, before anything is written."""
        name, zf = self.name, self.zf
        for member in zf.infolist():  # refuse a bad wheel before writing any of it
            wheel.check_member(member, name, self.where)
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
        skip = {"%s/%s" % (dist_info, s) for s in _SKIP}
        for member in zf.infolist():
            path = member.filename
            if member.is_dir() or path in skip:
                continue
            if path.startswith(data_dir):
                scheme, _, rest = path[len(data_dir) :].partition("/")
                if not rest:
                    raise PexError("%s has a stray file %s" % (name, path), self.where, "rebuild the wheel")
                if scheme in ("purelib", "platlib"):
                    scheme = "site"
                elif scheme not in ("data", "headers", "scripts"):
                    raise PexError(
                        "%s has an unknown .data scheme %r" % (name, scheme), self.where, "rebuild the wheel"
                    )
                rel = scheme + "/" + rest
            else:
                rel = "site/" + path
            self._add(rel, member)
        if dist_info + "/entry_points.txt" in zf.namelist():
            self.entry_points = wheel.entry_points(zf.read(dist_info + "/entry_points.txt").decode("utf-8"))
        return dist_info, dist_info.split("-")[0]

    def _bytecode_layout(self):
        """A bytecode zip holds only site-packages pycs (`<dir>/__pycache__/<module>.<tag>.pyc`)."""
        for member in self.zf.infolist():
            wheel.check_member(member, self.name, self.where)
            path = member.filename
            if member.is_dir():
                continue
            parts = path.split("/")
            if len(parts) < 2 or parts[-2] != "__pycache__" or not parts[-1].endswith(".pyc"):
                raise PexError("%s holds %s, which is not bytecode" % (self.name, path), self.where, REBUILD)
            self._add("site/" + path, member)
        return None, None

    def _add(self, rel, member):
        if rel in self._members:
            raise PexError("%s installs %s twice" % (self.name, rel.partition("/")[2]), self.where, self._fix)
        self._members[rel] = (member, self.size)
        self.files.append((rel, wheel.mode_of(member), member.file_size))
        self.size += member.file_size

    def digest(self, rel):
        return self._digests[rel]

    def tasks(self, placed):
        # Every file, also those the venv does not take (scripts, a path another wheel wrote):
        # the entry holds the whole wheel, and each file's hash is taken here.
        return [(rel, placed.get(rel)) for rel, _, _ in self.files]

    def place(self, rel, dst):
        member, offset = self._members[rel]
        fast = getattr(self.zf.fp, "member", None)  # an archive.Slice: a zip inside the archive
        data = fast and fast(member)
        if data is None:
            with self.zf.open(member) as src:
                data = src.read()  # zipfile stops at the member's size and checks its CRC
        # Hashed once here, for every venv's RECORD: later copies out of DATA are byte-identical.
        self._digests[rel] = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
        if self._data is not None:
            _write_all(self._data, data, offset)
        if dst:
            out = _create(dst, wheel.mode_of(member))
            try:
                _write_all(out, data)
            finally:
                os.close(out)
        if rel.startswith("scripts/"):
            self._kept[rel] = data

    def read(self, rel):
        return self._kept[rel]

    def finish(self):
        """Writes the manifest and makes the entry read-only; the caller renames it into place."""
        manifest = {
            "format": FORMAT,
            "wheel": self.name,
            "dist_info": self.dist_info,
            "dist_name": self.dist_name,
            "files": [[rel, mode, self._digests[rel], size, self._members[rel][1]] for rel, mode, size in self.files],
            "entry_points": self.entry_points,
            "size": self.size,
        }
        self.close()
        path = os.path.join(self.work, MANIFEST)
        with os.fdopen(_create(path, 0o444), "w", encoding="utf-8") as f:
            # dumps, not dump: only a one-shot encoding takes json's C encoder.
            f.write(json.dumps(manifest, sort_keys=True, separators=(",", ":")))
        os.chmod(self.work, 0o555)

    def close(self):
        if self._data is not None:
            os.close(self._data)
            self._data = None


class Batch:
    """The entries of one venv build: `entries` maps each wheel's name to a Stored entry, or to
    a new one, which the caller fills by placing every one of its tasks, then commit()s.
    Missing entries are claimed under one flock each, held until close()."""

    def __init__(self, store, wheels, where):
        self._store, self._new, self._locks, self.entries = store, [], [], {}
        found, missing = {}, {}
        try:
            for name, sha, opener, kind in wheels:
                if not _is_sha256(sha):
                    opener()  # cannot match: the check raises the usual mismatch error
                manifest = store.root and load(store.path(sha))
                if manifest:
                    found[sha] = Stored(store.path(sha), manifest)
                else:
                    missing.setdefault(sha, (name, sha, opener, kind))
            if missing:
                self._claim([missing[sha] for sha in sorted(missing)], found, where)
        except BaseException:
            for entry in found.values():
                entry.close()
            self.close()
            raise
        self.entries = {name: found[sha] for name, sha, _, _ in wheels}

    def _claim(self, missing, found, where):
        import fcntl

        store = self._store
        try:
            folder = store.lock_all(missing, self._locks)
        except OSError as e:
            if not store.fallback:
                store.root = None  # no store: the wheels are extracted into the venv only
            else:
                store.root = store.fallback(store.root, e)
                folder = store.lock_all(missing, self._locks)
        if store.root is None:
            for name, sha, opener, kind in missing:
                found[sha] = _Entry(name, opener(), where, None, kind)
            return
        for fd in self._locks:
            fcntl.flock(fd, fcntl.LOCK_EX)
        test_kill("store-after-lock")
        for name, sha, opener, kind in missing:
            path = store.path(sha)
            manifest = load(path)
            if manifest:  # another process built it while we waited
                found[sha] = Stored(path, manifest)
                continue
            for leftover in os.listdir(folder):
                if leftover.startswith(".%s.tmp-" % sha):  # left by a builder that died: we hold the lock
                    remove(os.path.join(folder, leftover))
            if os.path.lexists(path):  # damaged (no readable manifest, DATA cut short): never used, replaced
                aside = os.path.join(folder, ".%s.tmp-%s" % (sha, os.urandom(8).hex()))
                os.rename(path, aside)
                remove(aside)
            zf = opener()  # checked against the sha256 before anything is written
            entry = _Entry(name, zf, where, os.path.join(folder, ".%s.tmp-%s" % (sha, os.urandom(8).hex())), kind)
            self._new.append((entry, sha))
            found[sha] = entry

    def commit(self):
        """Completes the new entries (every task placed) and renames each into place."""
        for entry, sha in self._new:
            entry.finish()
            test_kill("store-before-rename")
            os.rename(entry.work, self._store.path(sha))
            entry.work = None
        if self._new:
            test_kill("store-after-rename")

    def close(self):
        """Releases the locks; new entries not committed are removed."""
        for entry, _ in self._new:
            entry.close()
            if entry.work and os.path.lexists(entry.work):
                remove(entry.work)
        for entry in self.entries.values():
            entry.close()
        for fd in self._locks:
            os.close(fd)
        self._locks = []


class Store:
    """<root>/nx1/store. When it cannot be written, `fallback(root, error)` gives another root;
    without a fallback (or without a root) wheels are extracted into the venv only."""

    def __init__(self, root, fallback=None):
        self.root, self.fallback = root, fallback

    def path(self, sha):
        return os.path.join(self.root, "nx1", "store", sha)

    def open(self, wheels, where):
        """A Batch for `wheels`, [(name, sha256, open, kind)], where open() returns the zip as a
        zipfile after checking it against that sha256, and kind is "wheel" or "bytecode"."""
        return Batch(self, wheels, where)

    def lock_all(self, missing, locks):
        """Opens the lock files of `missing` into `locks`; returns the store's dir."""
        if not self.root:
            raise OSError("no home directory")
        folder = os.path.join(self.root, "nx1", "store")
        os.makedirs(folder, exist_ok=True)
        try:
            for _, sha, _, _ in missing:  # sorted by sha: two builders never wait on each other in a cycle
                locks.append(_lock_file(os.path.join(folder, ".%s.lock" % sha)))
        except OSError:
            for fd in locks:
                os.close(fd)
            del locks[:]
            raise
        return folder


def _lock_file(path):
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
