import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cacheStatus,
  E2eContext,
  findLinksEnv,
  git,
  prepare,
  lockedFiles,
  readLock,
  runNx,
  settle,
  startRemoteCache,
  workspaceCopy,
} from './setup';

/** Issue 4: exact caching, relocatable restored venvs, tool targets in other projects, affected, remote cache. */
describe('nx-native', () => {
  let ctx: E2eContext;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const nx = (args: string[], extra: NodeJS.ProcessEnv = {}, dir = ws) => {
    const r = runNx(dir, args, { ...env, ...extra });
    if (r.code !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${r.output}`);
    return r.output;
  };
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(ws, file)), { recursive: true });
    fs.writeFileSync(path.join(ws, file), text);
  };
  const commit = (message: string) => {
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-q', '-m', message]);
  };
  const hello = (venv: string, dir = ws) =>
    spawnSync(path.join(dir, venv, 'bin/hello'), ['--version'], { env, encoding: 'utf8' }).stdout.trim();

  beforeAll(() => {
    ctx = prepare('native');
    ws = workspaceCopy(ctx, 'ws');
    env = findLinksEnv(ctx);
    nx(['g', 'pex:tool', 'hello', '--requirements', 'hellotool==1.0.0']);
    for (const app of ['app', 'other']) {
      write(`apps/${app}/project.json`, JSON.stringify({ name: app, root: `apps/${app}`, targets: {} }));
      write(`apps/${app}/main.py`, 'print("hi")\n');
      nx(['g', 'pex:tool-target', '--project', app, '--tool', 'hello', '--target', 'format', '--args=--check {projectRoot}']);
    }
    commit('tools and apps');
  });

  // Each test starts from the last commit; outputs and the cache stay.
  afterEach(() => {
    git(ws, ['checkout', '--', '.']);
    git(ws, ['clean', '-fdq', '-e', 'dist', '-e', '.nx']);
  });

  test('nx show project lists the inferred targets with inputs, outputs, cache and metadata', () => {
    const project = JSON.parse(
      nx(['show', 'project', 'hello', '--json'])
        .split('\n')
        .find((l) => l.startsWith('{'))!,
    );
    expect(Object.keys(project.targets).sort()).toEqual(['lock', 'pex', 'run', 'venv']);
    expect(project.targets.pex).toMatchObject({
      executor: 'pex:pex',
      cache: true,
      outputs: ['{options.outputPath}'],
      options: { outputPath: 'dist/tools/hello/hello.pex', script: 'hello' },
      metadata: { technologies: ['python'], description: expect.any(String) },
    });
    expect(project.targets.pex.inputs).toEqual(expect.arrayContaining(['{projectRoot}/pylock.toml', '{projectRoot}/requirements.txt']));
    expect(project.targets.venv).toMatchObject({ cache: true, dependsOn: ['pex'] });
    expect(project.targets.venv.inputs).toEqual(expect.arrayContaining([expect.objectContaining({ runtime: expect.any(String) })]));
    expect(project.targets.lock).toMatchObject({ executor: 'pex:lock', cache: false });
    const app = JSON.parse(
      nx(['show', 'project', 'app', '--json'])
        .split('\n')
        .find((l) => l.startsWith('{'))!,
    );
    expect(app.targets.format.dependsOn).toEqual([{ projects: ['hello'], target: 'pex' }]);
  });

  test('caching is exact: hit on a rerun or an unrelated change, miss on each real input', () => {
    expect(cacheStatus(nx(['run', 'hello:pex']), 'hello:pex')).toBe('miss');
    expect(cacheStatus(nx(['run', 'hello:pex']), 'hello:pex')).not.toBe('miss');
    write('notes.txt', 'unrelated\n');
    write('apps/app/main.py', 'print("changed")\n');
    expect(cacheStatus(nx(['run', 'hello:pex']), 'hello:pex')).not.toBe('miss');
    // the tool's own sources
    write('tools/hello/src/hello_extra.py', 'X = 1\n');
    expect(cacheStatus(nx(['run', 'hello:pex']), 'hello:pex')).toBe('miss');
    // requirements + lock
    write('tools/hello/requirements.txt', 'hellotool==1.1.0\n');
    nx(['run', 'hello:lock']);
    expect(cacheStatus(nx(['run', 'hello:pex']), 'hello:pex')).toBe('miss');
    expect(cacheStatus(nx(['run', 'hello:pex']), 'hello:pex')).not.toBe('miss');
    // the plugin's version, as npm's lock file records an upgrade of it
    const lockPath = path.join(ws, 'package-lock.json');
    const original = fs.readFileSync(lockPath, 'utf8');
    const npmLock = JSON.parse(original);
    npmLock.packages['node_modules/pex'].version = '99.0.0';
    npmLock.packages['node_modules/pex'].integrity = 'sha512-upgraded';
    fs.writeFileSync(lockPath, JSON.stringify(npmLock, null, 2) + '\n');
    expect(cacheStatus(nx(['run', 'hello:pex']), 'hello:pex')).toBe('miss');
    fs.writeFileSync(lockPath, original);
    expect(cacheStatus(nx(['run', 'hello:pex']), 'hello:pex')).not.toBe('miss');
  });

  test('the venv target depends on the interpreter python3 resolves to', () => {
    expect(cacheStatus(nx(['run', 'hello:venv']), 'hello:venv')).toBe('miss');
    expect(cacheStatus(nx(['run', 'hello:venv']), 'hello:venv')).not.toBe('miss');
    const other = ['3.12', '3.10', '3.13', '3.9']
      .map((v) =>
        spawnSync('bash', ['-c', `ls -d "$(pyenv root)"/versions/${v}*/bin/python${v} 2>/dev/null | head -1`], {
          encoding: 'utf8',
        }).stdout.trim(),
      )
      .find(Boolean);
    expect(other).toBeTruthy();
    const bin = path.join(ctx.tmp, 'other-python');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(other!, path.join(bin, 'python3'));
    const PATH = `${bin}:${env.PATH}`;
    expect(cacheStatus(nx(['run', 'hello:venv'], { PATH }), 'hello:venv')).toBe('miss');
    expect(hello('dist/tools/hello/venv')).toBe('hellotool 1.0.0');
    expect(cacheStatus(nx(['run', 'hello:venv']), 'hello:venv')).not.toBe('miss');
  });

  test('a venv restored from the cache into a workspace at another path runs', () => {
    nx(['run', 'hello:venv']);
    const moved = workspaceCopy(ctx, 'ws-moved', ws, ['dist']);
    const output = nx(['run', 'hello:venv'], {}, moved);
    expect(cacheStatus(output, 'hello:venv')).toBe('local');
    expect(hello('dist/tools/hello/venv', moved)).toBe('hellotool 1.0.0');
    const viaPython = spawnSync('python3', [path.join(moved, 'dist/tools/hello/venv'), '--version'], { env, encoding: 'utf8' });
    expect(viaPython.stdout.trim()).toBe('hellotool 1.0.0');
  });

  test('parallel nx run-many -t pex builds fill one empty wheel cache without a partial or doubled wheel', () => {
    const tools = ['t1', 't2', 't3', 't4'];
    for (const tool of tools) {
      fs.cpSync(path.join(ws, 'tools/hello'), path.join(ws, 'tools', tool), { recursive: true });
      const project = JSON.parse(fs.readFileSync(path.join(ws, 'tools', tool, 'project.json'), 'utf8'));
      write(`tools/${tool}/project.json`, JSON.stringify({ ...project, name: tool, root: `tools/${tool}` }));
    }
    const cache = path.join(ctx.tmp, 'parallel-wheel-cache');
    nx(['run-many', '-t', 'pex', `--projects=${tools.join(',')}`, '--parallel=4', '--skip-nx-cache'], { PEX_NX_WHEEL_CACHE: cache });
    const archives = tools.map((tool) => fs.readFileSync(path.join(ws, 'dist/tools', tool, `${tool}.pex`)));
    expect(archives.every((a) => a.equals(archives[0]))).toBe(true);
    const run = spawnSync(path.join(ws, 'dist/tools/t1/t1.pex'), ['--version'], { env, encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('hellotool 1.0.0');
    const files = fs
      .readdirSync(cache, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
    const wheels = files.filter((f) => f.endsWith('.whl')).sort();
    const lock = readLock(path.join(ws, 'tools/hello/pylock.toml'));
    expect(wheels).toEqual(
      lockedFiles(lock)
        .map((a: { filename: string }) => a.filename)
        .sort(),
    );
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('tool targets in other projects: the graph edge, and affected reaches exactly the consumers', () => {
    const graphFile = path.join(ctx.tmp, 'graph.json');
    nx(['graph', `--file=${graphFile}`]);
    const graph = JSON.parse(fs.readFileSync(graphFile, 'utf8')).graph;
    for (const app of ['app', 'other']) {
      expect(graph.dependencies[app]).toEqual(expect.arrayContaining([expect.objectContaining({ target: 'hello' })]));
    }
    const formatted = nx(['run', 'app:format']);
    expect(formatted).toMatch(/\bok\b/);

    // A new lock reaches the tool and every consumer.
    write('tools/hello/requirements.txt', 'hellotool==1.1.0\n');
    nx(['run', 'hello:lock']);
    const affected = nx(['show', 'projects', '--affected', '--json']);
    expect(JSON.parse(affected.split('\n').find((l) => l.startsWith('['))!).sort()).toEqual(['app', 'hello', 'other']);
    const ran = nx(['affected', '-t', 'pex,format']);
    expect(ran).toMatch(/nx run hello:pex/);
    expect(ran).toMatch(/nx run app:format/);
    expect(ran).toMatch(/nx run other:format/);
    commit('hello 1.1.0');

    // One app's file reaches only that app.
    write('apps/app/main.py', 'print("BAD")\n');
    const only = runNx(ws, ['affected', '-t', 'pex,format'], env);
    expect(only.output).toMatch(/nx run app:format/);
    expect(only.output).not.toMatch(/nx run other:format/);
    expect(only.output).toMatch(/Running targets pex, format for project app\b/);
    // hello:pex may run as app:format's dependency, but only from the cache
    expect(only.output).not.toMatch(/nx run hello:pex\s*$/m);
    expect(only.code).not.toBe(0);
  });

  test('a second workspace at another path gets remote cache hits and working outputs', async () => {
    const cache = await startRemoteCache(path.join(ctx.tmp, 'remote-cache'), 'secret-token');
    try {
      const remote = { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: 'secret-token' };
      const first = workspaceCopy(ctx, 'ci-1', ws, ['dist', '.nx']);
      nx(['run', 'hello:venv'], remote, first);
      await settle();
      expect(cache.requests.filter((r: string) => r.startsWith('PUT')).length).toBeGreaterThanOrEqual(2);
      const second = workspaceCopy(ctx, 'ci-2', ws, ['dist', '.nx']);
      const output = nx(['run', 'hello:venv'], remote, second);
      expect(cacheStatus(output, 'hello:pex')).toBe('remote');
      expect(cacheStatus(output, 'hello:venv')).toBe('remote');
      expect(hello('dist/tools/hello/venv', second)).toBe('hellotool 1.1.0');
      const archive = spawnSync(path.join(second, 'dist/tools/hello/hello.pex'), ['--version'], { env, encoding: 'utf8' });
      expect(archive.stdout.trim()).toBe('hellotool 1.1.0');
    } finally {
      await cache.close();
    }
  });
});
