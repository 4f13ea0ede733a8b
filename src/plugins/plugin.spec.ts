import type { CreateDependenciesContext } from '@nx/devkit';
import { createDependencies } from './plugin';

const context = (projects: CreateDependenciesContext['projects']) =>
  ({ projects, externalNodes: {}, nxJsonConfiguration: {}, fileMap: { projectFileMap: {}, nonProjectFiles: [] }, filesToProcess: { projectFileMap: {}, nonProjectFiles: [] }, workspaceRoot: '/ws' }) as CreateDependenciesContext;

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
