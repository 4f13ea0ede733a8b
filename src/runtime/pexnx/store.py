"""The store: every wheel installed once per PEX_ROOT, as a read-only tree keyed by the sha256
that PEX-INFO lists for it, and copied (reflinked where the filesystem can) into each venv.

Creating files is most of a venv build's time, and it is kernel time: the store splits it over
threads, and a second venv of the same wheels only copies, without unzipping or hashing."""

import base64
import hashlib
import json
import os
import posixpath
import shutil
import sys
import threading

from . import PexError, wheel

FORMAT = 1
MANIFEST = "MANIFEST.json"
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
    count = min(4, os.cpu_count() or 1, len(items))
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


_FICLONE = 0x40049409  # Linux _IOW(0x94, 9, int): share the source's extents (btrfs, xfs…)
_can = {"clone": sys.platform.startswith("linux"), "copy_file_range": hasattr(os, "copy_file_range")}


def copy_file(src, dst, mode, size):
    """A new, independent file `dst` with `src`'s bytes: a reflink where the filesystem has
    them, else an in-kernel copy, else read/write. Never a hard or symbolic link: no venv may
    share a writable inode with the store or another venv."""
    out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        if not size:
            return
        fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if _can["clone"]:
                import fcntl

                try:
                    fcntl.ioctl(out, _FICLONE, fd)
                    return
                except OSError:
                    _can["clone"] = False  # this filesystem cannot (ext4, tmpfs, across mounts)
            if _can["copy_file_range"]:
                try:
                    while size > 0:
                        copied = os.copy_file_range(fd, out, size)
                        if not copied:
                            break  # the source shrank: what it holds now is copied
                        size -= copied
                    return
                except OSError:
                    _can["copy_file_range"] = False  # old kernel, or across filesystems
                    os.lseek(fd, 0, os.SEEK_SET)
                    os.lseek(out, 0, os.SEEK_SET)
                    os.ftruncate(out, 0)
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view) :]
        finally:
            os.close(fd)
    finally:
        os.close(out)


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


def load(path):
    """The manifest of a complete entry, else None. An entry only appears by rename once its
    manifest is written and its tree made read-only, so a readable manifest means complete."""
    try:
        with open(os.path.join(path, MANIFEST), encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    keys = ("wheel", "dist_info", "dist_name", "dirs", "files", "entry_points")
    if isinstance(manifest, dict) and manifest.get("format") == FORMAT and all(k in manifest for k in keys):
        return manifest
    return None


class _Entry:
    """One wheel being installed into a temp dir of the store."""

    def __init__(self, name, zf, where, scratch):
        self.name, self.zf, self.where, self.work = name, zf, where, None
        self.scratch = scratch  # files are moved out, not copied: venv modes, writable dirs
        self.files = {}  # entry-relative path -> [mode, sha256 (urlsafe b64), size]
        self.dirs = set()
        self.tasks = []  # (member, entry-relative path, mode)
        self.entry_points = {}
        self.dist_info, self.dist_name = self._layout()

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
            if rel in self.files:
                raise PexError("%s installs %s twice" % (name, rel.partition("/")[2]), self.where, "rebuild the wheel")
            self.files[rel] = None
            self.tasks.append((member, rel, wheel.mode_of(member)))
            parent = posixpath.dirname(rel)
            while parent and parent not in self.dirs:
                self.dirs.add(parent)
                parent = posixpath.dirname(parent)
        if dist_info + "/entry_points.txt" in zf.namelist():
            self.entry_points = wheel.entry_points(zf.read(dist_info + "/entry_points.txt").decode("utf-8"))
        return dist_info, dist_info.split("-")[0]

    def extract(self, task):
        member, rel, mode = task
        with self.zf.open(member) as src:
            data = src.read()
        # Hashed once here, for every venv's RECORD: the store's copies are byte-identical.
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
        mode = mode if self.scratch else mode & 0o555
        fd = os.open(os.path.join(self.work, rel), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        self.files[rel] = [task[2], digest, len(data)]

    def finish(self):
        """Writes the manifest, makes the tree read-only; the caller renames it into place."""
        manifest = {
            "format": FORMAT,
            "wheel": self.name,
            "dist_info": self.dist_info,
            "dist_name": self.dist_name,
            "dirs": sorted(self.dirs),
            "files": sorted([rel] + info for rel, info in self.files.items()),
            "entry_points": self.entry_points,
        }
        path = os.path.join(self.work, MANIFEST)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444), "w") as f:
            json.dump(manifest, f, sort_keys=True, separators=(",", ":"))
        if self.scratch:
            return manifest
        for rel in sorted(self.dirs, reverse=True):
            os.chmod(os.path.join(self.work, rel), 0o555)
        os.chmod(self.work, 0o555)
        return manifest


class Store:
    """<root>/nx1/store. When it cannot be written, `fallback(root, error)` gives another root;
    without a fallback the wheels go to a scratch store that the caller moves them out of."""

    def __init__(self, root, fallback=None):
        self.root, self._fallback, self.scratch = root, fallback, False

    def path(self, sha):
        return os.path.join(self.root, "nx1", "store", sha) if self.root else None

    def entries(self, wheels, where, scratch):
        """{name: (entry dir, manifest)} for `wheels`, [(name, sha256, open)], where open()
        returns the wheel as a zipfile after checking it against that sha256. Missing entries
        are built, under one flock each, in a sibling temp dir renamed into place. `scratch`:
        the root of the scratch store, a new dir of the caller's."""
        found, missing = {}, {}
        for name, sha, opener in wheels:
            if not _is_sha256(sha):
                opener()  # cannot match: the check raises the usual mismatch error
            manifest = self.root and load(self.path(sha))
            if manifest:
                found[sha] = (self.path(sha), manifest)
            else:
                missing.setdefault(sha, (name, sha, opener))
        if missing:
            self._build([missing[sha] for sha in sorted(missing)], found, where, scratch)
        return {name: found[sha] for name, sha, _ in wheels}

    def _locks(self, missing):
        if not self.root:
            raise OSError("no home directory")
        store = os.path.join(self.root, "nx1", "store")
        os.makedirs(store, exist_ok=True)
        locks = []
        try:
            for _, sha, _ in missing:  # sorted by sha: two builders never wait on each other in a cycle
                locks.append(
                    os.open(os.path.join(store, ".%s.lock" % sha), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                )
        except OSError:
            for fd in locks:
                os.close(fd)
            raise
        return store, locks

    def _build(self, missing, found, where, scratch):
        import fcntl

        try:
            store, locks = self._locks(missing)
        except OSError as e:
            if self._fallback:
                self.root = self._fallback(self.root, e)
            else:
                self.root, self.scratch = scratch, True
            store, locks = self._locks(missing)
        entries = []
        try:
            for fd in locks:
                fcntl.flock(fd, fcntl.LOCK_EX)
            test_kill("store-after-lock")
            for name, sha, opener in missing:
                path = self.path(sha)
                manifest = load(path)
                if manifest:  # another process built it while we waited
                    found[sha] = (path, manifest)
                    continue
                for leftover in os.listdir(store):
                    if leftover.startswith(".%s.tmp-" % sha):  # left by a builder that died: we hold the lock
                        remove(os.path.join(store, leftover))
                if os.path.lexists(path):  # damaged (no readable manifest): never used, replaced
                    aside = os.path.join(store, ".%s.tmp-%s" % (sha, os.urandom(8).hex()))
                    os.rename(path, aside)
                    remove(aside)
                entry = _Entry(name, opener(), where, self.scratch)  # checked and laid out before anything is written
                entry.work = os.path.join(store, ".%s.tmp-%s" % (sha, os.urandom(8).hex()))
                os.mkdir(entry.work, 0o755)
                entries.append((entry, sha))
            make_dirs(os.path.join(entry.work, d) for entry, _ in entries for d in entry.dirs)
            tasks = [(entry, task) for entry, _ in entries for task in entry.tasks]
            half = len(tasks) // 2
            parallel(lambda t: t[0].extract(t[1]), tasks[:half])
            test_kill("store-mid-entry")
            parallel(lambda t: t[0].extract(t[1]), tasks[half:])
            for entry, sha in entries:
                manifest = entry.finish()
                test_kill("store-before-rename")
                os.rename(entry.work, self.path(sha))
                found[sha] = (self.path(sha), manifest)
            test_kill("store-after-rename")
        except BaseException:
            for entry, _ in entries:
                if os.path.lexists(entry.work):
                    remove(entry.work)
            raise
        finally:
            for fd in locks:
                os.close(fd)
