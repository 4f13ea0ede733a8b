import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { testPython } from './wheels';

/**
 * Test support: an sdist whose build needs nothing from an index. Its pyproject names an
 * in-tree PEP 517 backend (`backend-path = ["."]`, no build requirements) that writes a
 * pure-Python wheel with fixed timestamps, so pip can build it offline and reproducibly.
 */
export interface TestSdist {
  name: string;
  version: string;
  requires?: string[];
  consoleScripts?: Record<string, string>;
  /** Written to this file on each build, so a test can count builds. */
  buildLog?: string;
}

const BACKEND = `import base64, hashlib, os, zipfile

def _record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if BUILD_LOG:
        with open(BUILD_LOG, "a") as f:
            f.write("built\\n")
    dist = NAME.replace("-", "_")
    info = "%s-%s.dist-info" % (dist, VERSION)
    files = {}
    for root, _, names in os.walk(dist):
        for n in sorted(names):
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files[p.replace(os.sep, "/")] = f.read()
    meta = ["Metadata-Version: 2.1", "Name: " + NAME, "Version: " + VERSION] + ["Requires-Dist: " + r for r in REQUIRES]
    files[info + "/METADATA"] = ("\\n".join(meta) + "\\n").encode()
    files[info + "/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: pexnx-test-backend\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    if SCRIPTS:
        files[info + "/entry_points.txt"] = ("[console_scripts]\\n" + "".join("%s = %s\\n" % kv for kv in sorted(SCRIPTS.items()))).encode()
    record = "".join("%s,%s,%d\\n" % (p, _record_hash(d), len(d)) for p, d in sorted(files.items()))
    files[info + "/RECORD"] = (record + info + "/RECORD,,\\n").encode()
    name = "%s-%s-py3-none-any.whl" % (dist, VERSION)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(files):
            zf.writestr(zipfile.ZipInfo(p, (1980, 1, 1, 0, 0, 0)), files[p])
    return name
`;

/** Writes `<name>-<version>.tar.gz` into dir and returns its path. */
export function buildTestSdist(dir: string, sdist: TestSdist): string {
  const dist = sdist.name.replace(/[-.]+/g, '_');
  const base = `${sdist.name}-${sdist.version}`;
  const work = mkdtempSync(path.join(dir, '.sdist-'));
  try {
    const top = path.join(work, base);
    mkdirSync(path.join(top, dist), { recursive: true });
    writeFileSync(path.join(top, dist, '__init__.py'), `def main():\n    print("${sdist.name} ${sdist.version} (built from source)")\n`);
    writeFileSync(path.join(top, 'pyproject.toml'), '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n');
    const constants = [
      `NAME = ${JSON.stringify(sdist.name)}`,
      `VERSION = ${JSON.stringify(sdist.version)}`,
      `REQUIRES = ${JSON.stringify(sdist.requires ?? [])}`,
      `SCRIPTS = ${JSON.stringify(sdist.consoleScripts ?? {})}`,
      `BUILD_LOG = ${JSON.stringify(sdist.buildLog ?? '')}`,
    ].join('\n');
    writeFileSync(path.join(top, 'backend.py'), `${constants}\n${BACKEND}`);
    writeFileSync(path.join(top, 'PKG-INFO'), `Metadata-Version: 2.1\nName: ${sdist.name}\nVersion: ${sdist.version}\n`);
    const out = path.join(dir, `${base}.tar.gz`);
    const pack = 'import sys, tarfile\nwith tarfile.open(sys.argv[1], "w:gz") as t:\n    t.add(sys.argv[2], arcname=sys.argv[3])\n';
    execFileSync(testPython, ['-c', pack, out, top, base]);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
