import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PexError, Reporter, sha256File, silentReporter } from '../common';
import { LockedArtifact } from '../lock';
import { pipProblemLine, requirePip, runPip } from '../pip';
import { Interpreter } from '../python';
import { canonicalName, parseWheelName, WheelFile } from '../wheel';

/** `<cache>/built/<sdist sha256>/<interpreter tag>/`: one build per sdist and interpreter, shared by all workspaces. */
export function builtDir(cacheDir: string, sdist: LockedArtifact, python: string): string {
  return path.join(cacheDir, 'built', sdist.sha256, `cp${python.replace('.', '')}`);
}

function wheelIn(dir: string): string | undefined {
  return existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.whl')) : undefined;
}

/**
 * The wheel for a verified sdist in the cache, built once with `pip wheel` by an interpreter of
 * the lock's Python version. The build happens in a temp dir that is renamed into place, so a
 * killed or concurrent build never leaves a partial wheel where the next fetch looks.
 */
export async function wheelFromSdist(
  sdistPath: string,
  artifact: LockedArtifact,
  /** The Python ('major.minor') of the environment the sdist was locked for. */
  python: string,
  opts: {
    cacheDir: string;
    cwd: string;
    interpreter: () => Promise<Interpreter>;
    pipOptions: string[];
    env?: NodeJS.ProcessEnv;
    report?: Reporter;
  },
): Promise<WheelFile> {
  const dir = builtDir(opts.cacheDir, artifact, python);
  const reused = await verified(dir);
  if (reused) return reused;
  // Only a wheel whose bytes changed is removed: an absent one may be a concurrent build's, landing now.
  if (wheelIn(dir)) rmSync(dir, { recursive: true, force: true });
  await build(sdistPath, artifact, python, dir, opts);
  const built = await verified(dir);
  if (!built) throw new PexError('the built wheel changed while it was being read', dir, 'run the build again');
  return built;
}

/** The built wheel in dir when its bytes still have the sha256 recorded at build time. */
async function verified(dir: string): Promise<WheelFile | null> {
  const wheel = wheelIn(dir);
  if (!wheel || !existsSync(path.join(dir, `${wheel}.sha256`))) return null;
  const file = path.join(dir, wheel);
  const sha256 = await sha256File(file);
  return readFileSync(`${file}.sha256`, 'utf8').trim() === sha256 ? { filename: wheel, path: file, sha256 } : null;
}

async function build(
  sdistPath: string,
  artifact: LockedArtifact,
  python: string,
  dir: string,
  opts: Parameters<typeof wheelFromSdist>[3],
): Promise<void> {
  const interpreter = await opts.interpreter();
  const version = interpreter.version.slice(0, 2).join('.');
  if (version !== python) {
    throw new PexError(
      `${artifact.filename} must be built by Python ${python} (the environment it is locked for), but the interpreter is Python ${version}`,
      interpreter.path,
      `set the python option to a Python ${python}`,
    );
  }
  requirePip(interpreter, `building ${artifact.filename}`);
  const step = (opts.report ?? silentReporter).step(`building ${artifact.name} ${artifact.version} from its sdist…`);
  try {
    await runPip(
      {
        interpreter,
        args: (temp) => ['wheel', '--no-deps', '--no-cache-dir', '-w', path.join(temp, 'out')],
        // The requirements file's own options (indexes, find-links) apply to the build's own requirements.
        requirements: [...opts.pipOptions, sdistPath],
        cwd: opts.cwd,
        env: opts.env,
        tempRoot: path.join(opts.cacheDir, 'tmp'),
      },
      async (result, temp) => {
        const out = path.join(temp, 'out');
        const built = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.whl')) : [];
        if (result.code !== 0 || built.length !== 1) {
          const problem = result.code !== 0 ? pipProblemLine(result.stderr) : `it made ${built.length} wheels`;
          throw new PexError(
            `building ${artifact.filename} into a wheel failed: ${problem}`,
            sdistPath,
            'fix the build (its build requirements must be reachable from the configured indexes), or use a version with wheels',
          );
        }
        const wheel = parseWheelName(built[0]);
        if (wheel.name !== canonicalName(artifact.name) || wheel.version !== artifact.version) {
          throw new PexError(
            `building ${artifact.filename} made ${built[0]}, not ${artifact.name} ${artifact.version}`,
            sdistPath,
            'the sdist is not what was locked; re-run the lock target',
          );
        }
        writeFileSync(path.join(out, `${built[0]}.sha256`), (await sha256File(path.join(out, built[0]))) + '\n');
        mkdirSync(path.dirname(dir), { recursive: true });
        try {
          renameSync(out, dir);
        } catch (e) {
          // Another fetch finished the same build first: keep its wheel.
          if (!wheelIn(dir)) throw e;
        }
      },
    );
  } finally {
    step.done();
  }
}
