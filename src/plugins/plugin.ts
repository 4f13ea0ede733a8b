import {
  CreateDependencies,
  CreateNodesContextV2,
  CreateNodesResult,
  CreateNodesV2,
  DependencyType,
  getPackageManagerCommand,
  ProjectConfiguration,
  RawProjectGraphDependency,
  readJsonFile,
  TargetConfiguration,
  writeJsonFile,
} from '@nx/devkit';
import { calculateHashesForCreateNodes, hashObject, workspaceDataDirectory } from '@nx/devkit/internal';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { defaultArchivePath, LOCK_FILE, LOCK_FILES, normalizeOptions, PexPluginOptions, REQUIREMENTS_FILE } from './options';

export type { PexPluginOptions } from './options';

type Input = NonNullable<TargetConfiguration['inputs']>[number];

/** A venv's bin/python links to the local interpreter, so the interpreter is one of its inputs. */
const interpreterInput: Input = {
  runtime: 'python3 -c "import os,sys;print(os.path.realpath(sys.executable),sys.version)"',
};

/**
 * The targets of one tool project. Every input that changes a result is here and nothing else: the
 * archive depends only on the lock, the requirements, the tool's own sources and this plugin's
 * version (wheels are pinned by sha256). The plugin's options reach the targets' options (paths) and
 * dependsOn (names), which Nx hashes as part of the project's configuration. Outputs are
 * `{options.outputPath}`, so a path set in project.json moves the cached output with it.
 */
function toolTargets(projectName: string, lockFile: string, options: PexPluginOptions | undefined): Record<string, TargetConfiguration> {
  const o = normalizeOptions(options);
  const lock = `{projectRoot}/${lockFile}`;
  const archive = defaultArchivePath(o.distDir);
  const toolInputs: Input[] = [`{projectRoot}/${REQUIREMENTS_FILE}`, lock, '{projectRoot}/src/**/*', { externalDependencies: ['pex'] }];
  const toolHelp = `${getPackageManagerCommand().exec} nx run ${projectName}:${o.runTargetName} -- --help`;
  const metadata = (description: string, help: { command: string; example: Record<string, unknown> }) => ({
    description,
    technologies: ['python'],
    help,
  });
  return {
    [o.lockTargetName]: {
      executor: 'pex:lock',
      cache: false,
      inputs: [`{projectRoot}/${REQUIREMENTS_FILE}`],
      outputs: ['{options.lockFile}'],
      dependsOn: [],
      options: { lockFile: lock, ...(options?.platforms !== undefined ? { platforms: options.platforms } : {}) },
      metadata: metadata(
        `Lock ${REQUIREMENTS_FILE} with pip into ${LOCK_FILE} (PEP 751)${lockFile === LOCK_FILE ? '' : `, converting ${lockFile}`}.`,
        {
          command: 'python3 -m pip install --help',
          example: { options: { interpreterConstraints: ['>=3.9,<3.14'] } },
        },
      ),
    },
    [o.pexTargetName]: {
      executor: 'pex:pex',
      cache: true,
      inputs: toolInputs,
      outputs: ['{options.outputPath}'],
      dependsOn: [],
      options: { lockFile: lock, outputPath: archive, ...(options?.compile !== undefined ? { compile: options.compile } : {}) },
      metadata: metadata('Build the tool as a PEX --venv archive from the lock.', {
        command: toolHelp,
        example: { options: { script: 'black', outputPath: `${o.distDir}/bin/{projectName}.pex` } },
      }),
    },
    [o.venvTargetName]: {
      executor: 'pex:venv',
      cache: true,
      inputs: [...toolInputs, interpreterInput],
      outputs: ['{options.outputPath}'],
      dependsOn: [o.pexTargetName],
      options: { outputPath: `${o.distDir}/{projectRoot}/venv` },
      metadata: metadata("Materialize the archive's virtualenv (relocatable) into a directory.", {
        command: toolHelp,
        example: { options: { compile: true } },
      }),
    },
    [o.runTargetName]: {
      executor: 'pex:run',
      cache: false,
      inputs: toolInputs,
      outputs: [],
      dependsOn: [o.pexTargetName],
      options: {},
      metadata: metadata('Run the tool; arguments after -- go to it.', {
        command: toolHelp,
        example: { args: ['--help'] },
      }),
    },
  };
}

/** A tool project at `root`: a recognised lock beside requirements.txt, in a project.json or package.json project. */
function toolProjectAt(root: string, workspaceRoot: string): { root: string; name: string; lock: string } | undefined {
  const dir = path.join(workspaceRoot, root);
  const lock = LOCK_FILES.find((f) => existsSync(path.join(dir, f)));
  const config = ['project.json', 'package.json'].map((f) => path.join(dir, f)).find((f) => existsSync(f));
  if (!lock || !config || !existsSync(path.join(dir, REQUIREMENTS_FILE))) return undefined;
  const name = (readJsonFile(config) as { name?: string }).name ?? path.posix.basename(root);
  return { root, name, lock };
}

type TargetsCache = Record<string, Record<string, TargetConfiguration>>;

function readTargetsCache(cachePath: string): TargetsCache {
  return existsSync(cachePath) ? readJsonFile(cachePath) : {};
}

const lockGlob = `**/{${LOCK_FILES.join(',')}}`;

/**
 * Infers lock/pex/venv/run for every project with a tool lock beside requirements.txt, as
 * @nx/jest infers from jest configs: results are cached under Nx's workspace data directory, keyed
 * by a hash of the project's files and the options. Targets in project.json override these.
 */
export const createNodesV2: CreateNodesV2<PexPluginOptions> = [
  lockGlob,
  async (lockFiles, options, context: CreateNodesContextV2) => {
    const cachePath = path.join(workspaceDataDirectory, `pex-${hashObject(options ?? {})}.hash`);
    const cache = readTargetsCache(cachePath);
    const roots = [...new Set(lockFiles.map((f) => path.posix.dirname(f)))];
    const found = roots.flatMap((root) => toolProjectAt(root, context.workspaceRoot) ?? []);
    const hashes = await calculateHashesForCreateNodes(
      found.map((t) => t.root),
      options ?? {},
      context,
    );
    // The cache keeps only this run's entries, and is rewritten only when one is new or gone.
    const used: TargetsCache = {};
    const results: Array<readonly [string, CreateNodesResult]> = [];
    found.forEach(({ root, name, lock }, i) => {
      const targets = (used[hashes[i]] = cache[hashes[i]] ?? toolTargets(name, lock, options));
      const project: Omit<ProjectConfiguration, 'name'> = { root, targets };
      results.push([path.posix.join(root, lock), { projects: { [root]: project } }]);
    });
    const keys = Object.keys(used);
    if (keys.length !== Object.keys(cache).length || keys.some((k) => !cache[k])) writeJsonFile(cachePath, used);
    return results;
  },
];

/** Nx 24 reads `createNodes`; Nx 20–23 read `createNodesV2`. Both have the same (v2) signature. */
export const createNodes = createNodesV2;

/**
 * A project whose target runs another project's tool (`pex:run` with `tool`) depends on that tool
 * project, so `nx affected` reaches every consumer when the tool's lock changes.
 */
export const createDependencies: CreateDependencies = (_options, context) => {
  const dependencies: RawProjectGraphDependency[] = [];
  for (const [source, project] of Object.entries(context.projects)) {
    const tools = new Set<string>();
    for (const target of Object.values(project.targets ?? {})) {
      const tool = target.executor === 'pex:run' ? target.options?.tool : undefined;
      if (typeof tool === 'string' && tool !== source && context.projects[tool]) tools.add(tool);
    }
    for (const tool of tools) dependencies.push({ source, target: tool, type: DependencyType.implicit });
  }
  return dependencies;
};
