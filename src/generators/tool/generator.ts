import {
  addProjectConfiguration,
  formatFiles,
  GeneratorCallback,
  getProjects,
  joinPathFragments,
  readJsonFile,
  readNxJson,
  TargetConfiguration,
  Tree,
  writeJsonFile,
} from '@nx/devkit';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { normalizeConstraint, parseConstraint, parsePlatforms } from '../../core/python';
import { createReporter, PexError } from '../../core/common';
import { lockSummary, writeLockfile } from '../../core/lock';
import { parseRequirement, parseRequirements } from '../../core/requirements';
import { assertScriptExists, fetchLockedWheels, resolveRequirements } from '../../core/workflows';
import { availableScripts } from '../../core/wheel';
import { indexOptionsOf, LOCK_FILE, normalizeOptions, pluginOptionsOf, REQUIREMENTS_FILE } from '../../plugins/options';
import { initGenerator } from '../init/generator';
import { withErrorPrefix } from '../errors';
import type { ToolGeneratorSchema } from './schema';

interface NormalizedOptions {
  name: string;
  directory: string;
  requirements: string[];
  script?: string;
  entryPoint?: string;
  constraints: string[];
  /** The platforms given with --platforms, checked. */
  platforms?: string[];
  tags: string[];
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9._-]*$/i;
const ENTRY_POINT = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*)?$/;

/** The project directory, relative to the workspace; a directory outside it is refused. */
function projectDirectory(tree: Tree, name: string, given: string | undefined): string {
  const directory = path
    .relative(tree.root, path.resolve(tree.root, given ?? `tools/${name}`))
    .split(path.sep)
    .join('/');
  if (directory === '' || directory === '..' || directory.startsWith('../') || path.isAbsolute(directory)) {
    throw new PexError(`'${given}' is outside the workspace`, '--directory', `give a folder inside it, e.g. tools/${name}`);
  }
  return directory;
}

/** Validates everything before anything is resolved or written, so bad input changes nothing. */
/**
 * Nx's command line reads a bare `--python 3.11` as the number 3.11, and `3.10` as 3.1; no
 * CPython below 3.8 is ever meant, so a one-digit minor below 8 lost its trailing zero.
 */
function pythonOption(value: string | number | undefined): string | undefined {
  if (typeof value !== 'number') return value;
  const [major, minor = ''] = String(value).split('.');
  return minor.length === 1 && Number(minor) < 8 ? `${major}.${minor}0` : String(value);
}

function normalize(tree: Tree, options: ToolGeneratorSchema): NormalizedOptions {
  const name = options.name?.trim() ?? '';
  if (!PROJECT_NAME.test(name)) {
    throw new PexError(
      `invalid tool name '${name}'`,
      'the name argument',
      "use letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  }
  const directory = projectDirectory(tree, name, options.directory);
  const existing = getProjects(tree).get(name);
  if (existing) {
    throw new PexError(
      `project '${name}' already exists`,
      existing.root,
      `choose another name, or edit its requirements.txt and run nx run ${name}:lock`,
    );
  }
  if (tree.exists(joinPathFragments(directory, 'project.json'))) {
    throw new PexError('the directory already holds a project', `${directory}/project.json`, 'choose another --directory');
  }
  const given = options.requirements === undefined ? [name] : ([] as string[]).concat(options.requirements);
  const requirements = given.map((r) => r.trim()).filter(Boolean);
  if (requirements.length === 0) {
    throw new PexError('no requirement is given', '--requirements', 'give at least one, e.g. --requirements "black==23.1.0"');
  }
  for (const r of requirements) parseRequirement(r, '--requirements');
  if (options.script && options.entryPoint) {
    throw new PexError(
      'a script and an entry point are both given',
      `--script ${options.script} --entryPoint ${options.entryPoint}`,
      'give one of them',
    );
  }
  if (options.entryPoint && !ENTRY_POINT.test(options.entryPoint)) {
    throw new PexError(`'${options.entryPoint}' is not module or module:function`, '--entryPoint', 'write it like black:patched_main');
  }
  const python = pythonOption(options.python);
  const constraints = python ? [normalizeConstraint(python)] : [];
  constraints.forEach((c) => parseConstraint(c));
  const platforms = options.platforms === undefined ? undefined : parsePlatforms(options.platforms, '--platforms');
  const tags = (options.tags ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return { name, directory, requirements, script: options.script, entryPoint: options.entryPoint, constraints, platforms, tags };
}

/**
 * Puts the workspace back as it was before the generator's changes were written: created files
 * (and the folders made for them) go, changed files get their old content. Read before the flush.
 */
function undoOf(tree: Tree): () => void {
  const before = tree.listChanges().map((c) => {
    const file = path.join(tree.root, c.path);
    return { file, content: existsSync(file) ? readFileSync(file) : undefined };
  });
  return () => {
    for (const { file, content } of before) {
      if (content !== undefined) {
        writeFileSync(file, content);
        continue;
      }
      rmSync(file, { force: true });
      for (let dir = path.dirname(file); dir.startsWith(tree.root + path.sep); dir = path.dirname(dir)) {
        if (!existsSync(dir) || readdirSync(dir).length > 0) break;
        rmdirSync(dir);
      }
    }
  };
}

/**
 * Writes requirements.txt and a project.json (its lock/pex/venv/run targets are inferred by the
 * plugin) and registers the plugin; this is all `--dry-run` shows, and nothing else runs then. The
 * returned task, which Nx runs after writing (as its own generators run installs), resolves with pip,
 * fetches the wheels into the shared cache, picks the script and writes the lock. When it fails it
 * puts back what the generator wrote, so bad input still leaves the workspace unchanged.
 */
export async function toolGenerator(tree: Tree, options: ToolGeneratorSchema): Promise<GeneratorCallback> {
  const o = normalize(tree, options);
  const pluginOptions = pluginOptionsOf(readNxJson(tree));
  const names = normalizeOptions(pluginOptions);
  const requirementsFile = joinPathFragments(o.directory, REQUIREMENTS_FILE);
  const requirementsText = o.requirements.join('\n') + '\n';
  const requirements = parseRequirements(requirementsText, requirementsFile);

  const targets: Record<string, TargetConfiguration> = {};
  const lockOptions = {
    ...(o.constraints.length ? { interpreterConstraints: o.constraints } : {}),
    ...(o.platforms ? { platforms: o.platforms } : {}),
  };
  if (Object.keys(lockOptions).length) targets[names.lockTargetName] = { options: lockOptions };
  if (o.script || o.entryPoint) targets[names.pexTargetName] = { options: o.script ? { script: o.script } : { entryPoint: o.entryPoint } };
  addProjectConfiguration(tree, o.name, { root: o.directory, projectType: 'application', tags: o.tags, targets });
  tree.write(requirementsFile, requirementsText);
  await initGenerator(tree, { skipFormat: true });
  if (!options.skipFormat) await formatFiles(tree);
  const undo = undoOf(tree);

  return async () => {
    const lockFile = joinPathFragments(o.directory, LOCK_FILE);
    const lockDir = path.join(tree.root, o.directory);
    const index = indexOptionsOf(pluginOptions);
    const report = createReporter();
    try {
      const lock = await resolveRequirements(requirements, {
        workspaceRoot: tree.root,
        cwd: tree.root,
        lockDir,
        interpreterConstraints: o.constraints,
        platforms: o.platforms ?? pluginOptions.platforms,
        index,
        report,
      });
      const wheels = await fetchLockedWheels(lock, {
        workspaceRoot: tree.root,
        lockDir,
        pipOptions: requirements.pipOptions,
        index,
        report,
      });
      const scripts = availableScripts(wheels.map((w) => w.path));
      if (o.script) {
        assertScriptExists(o.script, wheels, `--script ${o.script}`);
      } else if (!o.entryPoint && scripts.includes(o.name)) {
        recordScript(path.join(tree.root, o.directory, 'project.json'), names.pexTargetName, o.name);
      } else if (!o.entryPoint) {
        report.info(
          `'${o.name}' is not a console script of its wheels, so its archive will start a Python interpreter; ` +
            `scripts it could run: ${scripts.join(', ') || '(none)'} (set one as "script" in the ` +
            `${names.pexTargetName} target's options, or give pex:run or pex:tool-target a script)`,
        );
      }
      writeLockfile(path.join(tree.root, lockFile), lock);
      report.info(`locked ${lockSummary(lock)} into ${lockFile}`);
    } catch (e) {
      undo();
      throw e;
    }
  };
}

/** The script the wheels provide under the tool's name, written into project.json as the generator would have. */
function recordScript(projectJson: string, pexTargetName: string, script: string): void {
  const project = readJsonFile(projectJson);
  const target = project.targets?.[pexTargetName] ?? {};
  project.targets = { ...project.targets, [pexTargetName]: { ...target, options: { ...target.options, script } } };
  writeJsonFile(projectJson, project, { appendNewLine: true });
}

export default withErrorPrefix(toolGenerator);
