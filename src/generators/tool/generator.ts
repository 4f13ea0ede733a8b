import { addProjectConfiguration, getProjects, joinPathFragments, readNxJson, Tree } from '@nx/devkit';
import { parseConstraint } from '../../core/python';
import { createReporter, PexError } from '../../core/common';
import { formatLockfile } from '../../core/lock';
import { parseRequirement, parseRequirements } from '../../core/requirements';
import type { IndexOptions } from '../../core/resolve';
import { assertScriptExists, fetchLockedWheels, resolveRequirements } from '../../core/workflows';
import { availableScripts } from '../../core/wheel';
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
  tags: string[];
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9._-]*$/i;
const ENTRY_POINT = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*)?$/;

/** Validates everything before anything is resolved or written, so bad input changes nothing. */
function normalize(tree: Tree, options: ToolGeneratorSchema): NormalizedOptions {
  const name = options.name?.trim() ?? '';
  if (!PROJECT_NAME.test(name)) {
    throw new PexError(`invalid tool name '${name}': use letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  const directory = (options.directory ?? `tools/${name}`).replace(/\/+$/, '');
  if (getProjects(tree).has(name)) {
    throw new PexError(`project '${name}' already exists: choose another name, or edit its requirements.txt and run nx run ${name}:lock`);
  }
  if (tree.exists(joinPathFragments(directory, 'project.json'))) {
    throw new PexError(`${directory}/project.json already exists: choose another --directory`);
  }
  const given = options.requirements === undefined ? [name] : ([] as string[]).concat(options.requirements);
  const requirements = given.map((r) => r.trim()).filter(Boolean);
  if (requirements.length === 0) {
    throw new PexError('--requirements is empty: give at least one requirement, e.g. --requirements "black==23.1.0"');
  }
  for (const r of requirements) {
    try {
      parseRequirement(r);
    } catch (e) {
      throw new PexError(`--requirements ${(e as Error).message}`);
    }
  }
  if (options.script && options.entryPoint) {
    throw new PexError('--script and --entryPoint are both set: give one of them');
  }
  if (options.entryPoint && !ENTRY_POINT.test(options.entryPoint)) {
    throw new PexError(`--entryPoint '${options.entryPoint}' is not module or module:function, e.g. black:patched_main`);
  }
  const constraints = options.python ? [options.python.trim()] : [];
  constraints.forEach((c) => parseConstraint(c));
  const tags = (options.tags ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return { name, directory, requirements, script: options.script, entryPoint: options.entryPoint, constraints, tags };
}

function pluginIndexOptions(tree: Tree): IndexOptions {
  const entry = readNxJson(tree)?.plugins?.find((p) => typeof p !== 'string' && p.plugin === 'pex');
  return (entry && typeof entry !== 'string' ? (entry.options as IndexOptions) : undefined) ?? {};
}

export async function toolGenerator(tree: Tree, options: ToolGeneratorSchema): Promise<void> {
  const o = normalize(tree, options);
  const requirementsFile = joinPathFragments(o.directory, 'requirements.txt');
  const requirementsText = o.requirements.join('\n') + '\n';
  const requirements = parseRequirements(requirementsText, requirementsFile);
  const lockDir = joinPathFragments(tree.root, o.directory);
  const report = createReporter();
  const lock = await resolveRequirements(requirements, {
    workspaceRoot: tree.root,
    cwd: tree.root,
    lockDir,
    interpreterConstraints: o.constraints,
    index: pluginIndexOptions(tree),
    report,
  });
  const wheels = await fetchLockedWheels(lock, { workspaceRoot: tree.root, lockDir, pipOptions: requirements.pipOptions, index: pluginIndexOptions(tree), report });
  let script = o.script;
  if (script) {
    assertScriptExists(script, wheels, `--script ${script}`);
  } else if (!o.entryPoint && availableScripts(wheels.map((w) => w.path)).includes(o.name)) {
    script = o.name;
  }

  addProjectConfiguration(tree, o.name, {
    root: o.directory,
    projectType: 'application',
    tags: o.tags,
    targets: {
      lock: { executor: 'pex:lock', options: o.constraints.length ? { interpreterConstraints: o.constraints } : {} },
      pex: { executor: 'pex:pex', options: script ? { script } : o.entryPoint ? { entryPoint: o.entryPoint } : {} },
      venv: { executor: 'pex:venv' },
      run: { executor: 'pex:run' },
    },
  });
  tree.write(requirementsFile, requirementsText);
  tree.write(joinPathFragments(o.directory, 'pex.lock.json'), formatLockfile(lock));
  initGenerator(tree);
}

export default withErrorPrefix(toolGenerator);
