import type { CreateDependenciesContext, CreateNodesContextV2 } from '@nx/devkit';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDependencies, createNodesV2, PexPluginOptions } from './plugin';

// The inferred results' cache goes to a temp dir of the test, not the repository's .nx.
const mockDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-plugin-data-'));
jest.mock('@nx/devkit/internal', () => ({
  ...jest.requireActual('@nx/devkit/internal'),
  get workspaceDataDirectory() {
    return mockDataDir;
  },
}));

describe('createNodesV2', () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const infer = async (files: string[], options?: PexPluginOptions) => {
    const context: CreateNodesContextV2 = { nxJsonConfiguration: {}, workspaceRoot: root };
    return createNodesV2[1](files, options, context);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-plugin-'));
    write('nx.json', '{}');
    write('tools/black/project.json', JSON.stringify({ name: 'black' }));
    write('tools/black/requirements.txt', 'black==23.1.0\n');
    write('tools/black/pex.lock.json', '{}\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('matches both lock file names', () => {
    expect(createNodesV2[0]).toBe('**/{pylock.toml,pex.lock.json}');
  });

  test('infers lock, pex, venv and run for a tool lock beside requirements.txt (here a pex.lock.json its lock converts)', async () => {
    const results = await infer(['tools/black/pex.lock.json']);
    expect(results).toMatchInlineSnapshot(`
      [
        [
          "tools/black/pex.lock.json",
          {
            "projects": {
              "tools/black": {
                "root": "tools/black",
                "targets": {
                  "lock": {
                    "cache": false,
                    "dependsOn": [],
                    "executor": "pex:lock",
                    "inputs": [
                      "{projectRoot}/requirements.txt",
                    ],
                    "metadata": {
                      "description": "Lock requirements.txt with pip into pylock.toml (PEP 751), converting pex.lock.json.",
                      "help": {
                        "command": "python3 -m pip install --help",
                        "example": {
                          "options": {
                            "interpreterConstraints": [
                              ">=3.9,<3.14",
                            ],
                          },
                        },
                      },
                      "technologies": [
                        "python",
                      ],
                    },
                    "options": {
                      "lockFile": "{projectRoot}/pex.lock.json",
                    },
                    "outputs": [
                      "{options.lockFile}",
                    ],
                  },
                  "pex": {
                    "cache": true,
                    "dependsOn": [],
                    "executor": "pex:pex",
                    "inputs": [
                      "{projectRoot}/requirements.txt",
                      "{projectRoot}/pex.lock.json",
                      "{projectRoot}/src/**/*",
                      {
                        "externalDependencies": [
                          "pex",
                        ],
                      },
                    ],
                    "metadata": {
                      "description": "Build the tool as a PEX --venv archive from the lock.",
                      "help": {
                        "command": "npx nx run black:run -- --help",
                        "example": {
                          "options": {
                            "outputPath": "dist/bin/{projectName}.pex",
                            "script": "black",
                          },
                        },
                      },
                      "technologies": [
                        "python",
                      ],
                    },
                    "options": {
                      "lockFile": "{projectRoot}/pex.lock.json",
                      "outputPath": "dist/{projectRoot}/{projectName}.pex",
                    },
                    "outputs": [
                      "{options.outputPath}",
                    ],
                  },
                  "run": {
                    "cache": false,
                    "dependsOn": [
                      "pex",
                    ],
                    "executor": "pex:run",
                    "inputs": [
                      "{projectRoot}/requirements.txt",
                      "{projectRoot}/pex.lock.json",
                      "{projectRoot}/src/**/*",
                      {
                        "externalDependencies": [
                          "pex",
                        ],
                      },
                    ],
                    "metadata": {
                      "description": "Run the tool; arguments after -- go to it.",
                      "help": {
                        "command": "npx nx run black:run -- --help",
                        "example": {
                          "args": [
                            "--help",
                          ],
                        },
                      },
                      "technologies": [
                        "python",
                      ],
                    },
                    "options": {},
                    "outputs": [],
                  },
                  "venv": {
                    "cache": true,
                    "dependsOn": [
                      "pex",
                    ],
                    "executor": "pex:venv",
                    "inputs": [
                      "{projectRoot}/requirements.txt",
                      "{projectRoot}/pex.lock.json",
                      "{projectRoot}/src/**/*",
                      {
                        "externalDependencies": [
                          "pex",
                        ],
                      },
                      {
                        "runtime": "python3 -c "import os,sys;print(os.path.realpath(sys.executable),sys.version)"",
                      },
                    ],
                    "metadata": {
                      "description": "Materialize the archive's virtualenv (relocatable) into a directory.",
                      "help": {
                        "command": "npx nx run black:run -- --help",
                        "example": {
                          "options": {
                            "compile": true,
                          },
                        },
                      },
                      "technologies": [
                        "python",
                      ],
                    },
                    "options": {
                      "outputPath": "dist/{projectRoot}/venv",
                    },
                    "outputs": [
                      "{options.outputPath}",
                    ],
                  },
                },
              },
            },
          },
        ],
      ]
    `);
  });

  test('plugin options name the targets and the dist folder; a pylock.toml is the lock the targets use', async () => {
    write('tools/ruff/project.json', JSON.stringify({ name: 'ruff' }));
    write('tools/ruff/requirements.txt', 'ruff\n');
    write('tools/ruff/pylock.toml', '');
    const options = { lockTargetName: 'py-lock', pexTargetName: 'archive', venvTargetName: 'env', runTargetName: 'exec', distDir: 'out/' };
    const [[source, result]] = await infer(['tools/ruff/pylock.toml'], options);
    expect(source).toBe('tools/ruff/pylock.toml');
    const targets = result.projects!['tools/ruff'].targets!;
    expect(Object.keys(targets)).toEqual(['py-lock', 'archive', 'env', 'exec']);
    expect(targets['py-lock'].options).toEqual({ lockFile: '{projectRoot}/pylock.toml' });
    expect(targets.archive).toMatchObject({
      inputs: expect.arrayContaining(['{projectRoot}/pylock.toml']),
      options: { outputPath: 'out/{projectRoot}/{projectName}.pex' },
    });
    expect(targets.env).toMatchObject({
      dependsOn: ['archive'],
      options: { outputPath: 'out/{projectRoot}/venv' },
    });
    expect(targets.exec.dependsOn).toEqual(['archive']);
  });

  test("nx.json's platforms reach the inferred lock target's options (so its hash changes with them)", async () => {
    write('tools/ruff/project.json', JSON.stringify({ name: 'ruff' }));
    write('tools/ruff/requirements.txt', 'ruff\n');
    write('tools/ruff/pylock.toml', '');
    const [[, result]] = await infer(['tools/ruff/pylock.toml'], { platforms: 'linux_x86_64,macos_arm64' });
    expect(result.projects!['tools/ruff'].targets!.lock.options).toEqual({
      lockFile: '{projectRoot}/pylock.toml',
      platforms: 'linux_x86_64,macos_arm64',
    });
  });

  test("nx.json's compile reaches the inferred pex target's options (so its hash changes with it)", async () => {
    write('tools/ruff/project.json', JSON.stringify({ name: 'ruff' }));
    write('tools/ruff/requirements.txt', 'ruff\n');
    write('tools/ruff/pylock.toml', '');
    const [[, result]] = await infer(['tools/ruff/pylock.toml'], { compile: false });
    expect(result.projects!['tools/ruff'].targets!.pex.options).toEqual({
      lockFile: '{projectRoot}/pylock.toml',
      outputPath: 'dist/{projectRoot}/{projectName}.pex',
      compile: false,
    });
    const [[, unset]] = await infer(['tools/ruff/pylock.toml']);
    expect(unset.projects!['tools/ruff'].targets!.pex.options).not.toHaveProperty('compile');
  });

  test('infers nothing for a lock without requirements.txt or outside a project', async () => {
    write('stray/pex.lock.json', '{}\n');
    write('stray/requirements.txt', 'x\n');
    write('libs/nolist/project.json', '{"name":"nolist"}');
    write('libs/nolist/pex.lock.json', '{}\n');
    expect(await infer(['stray/pex.lock.json', 'libs/nolist/pex.lock.json'])).toEqual([]);
  });

  test('caches the inferred targets by a hash of the project files and the options, keeping only the current entries', async () => {
    const cacheKeys = () => {
      const files = fs.readdirSync(mockDataDir).filter((f) => f.startsWith('pex-'));
      return files.flatMap((f) => Object.keys(JSON.parse(fs.readFileSync(path.join(mockDataDir, f), 'utf8')))).sort();
    };
    fs.readdirSync(mockDataDir).forEach((f) => fs.rmSync(path.join(mockDataDir, f)));
    await infer(['tools/black/pex.lock.json']);
    const first = cacheKeys();
    expect(first).toHaveLength(1);
    await infer(['tools/black/pex.lock.json']);
    expect(cacheKeys()).toEqual(first);
    await infer(['tools/black/pex.lock.json'], { distDir: 'out' });
    expect(cacheKeys()).toHaveLength(2);
    // Nx's workspace context reads a root's files once per process: a changed file is shown here by a new root.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-plugin-'));
    write('tools/black/project.json', JSON.stringify({ name: 'black' }));
    write('tools/black/requirements.txt', 'black==24.1.0\n');
    write('tools/black/pex.lock.json', '{}\n');
    await infer(['tools/black/pex.lock.json']);
    const now = cacheKeys();
    expect(now).toHaveLength(2);
    expect(now.filter((k) => first.includes(k))).toEqual([]);
  });
});

const context = (projects: CreateDependenciesContext['projects']) =>
  ({
    projects,
    externalNodes: {},
    nxJsonConfiguration: {},
    fileMap: { projectFileMap: {}, nonProjectFiles: [] },
    filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
    workspaceRoot: '/ws',
  }) as CreateDependenciesContext;

describe('createDependencies', () => {
  test('a project whose pex:run target names a tool depends on that tool, once', async () => {
    const deps = await createDependencies(
      undefined,
      context({
        black: { root: 'tools/black', targets: { run: { executor: 'pex:run' } } },
        app: {
          root: 'apps/app',
          targets: {
            format: { executor: 'pex:run', options: { tool: 'black', args: ['--check', '{projectRoot}'] } },
            'format-fix': { executor: 'pex:run', options: { tool: 'black' } },
            lint: { executor: 'pex:run', options: { tool: 'missing' } },
            build: { executor: 'nx:run-commands', options: { tool: 'black' } },
          },
        },
      }),
    );
    expect(deps).toEqual([{ source: 'app', target: 'black', type: 'implicit' }]);
  });
});
