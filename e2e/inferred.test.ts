import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cacheStatus,
  E2eContext,
  errorLines,
  findLinksEnv,
  git,
  hasStackTrace,
  infoLines,
  prepare,
  readLock,
  runNx,
  workspaceCopy,
  lockedFiles,
} from './setup';

/** Issue 12: inferred targets, pex:init, generators that only write the tree, pex:remove, sync:check; issue 13 item 5. */
describe('inferred targets', () => {
  let ctx: E2eContext;
  let env: NodeJS.ProcessEnv;
  /** A workspace with the tool `hello` and the project `app` whose `format` target runs it. */
  let base: string;
  let copies = 0;

  const nx = (dir: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = runNx(dir, args, { ...env, ...extra });
    if (r.code !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${r.output}`);
    return r.output;
  };
  const json = (dir: string, file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const write = (dir: string, file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  const commit = (dir: string) => {
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'step']);
  };
  const copy = (from = base, skip: string[] = []) => workspaceCopy(ctx, `ws-${++copies}`, from, skip);
  const showProject = (dir: string, name: string) =>
    JSON.parse(
      nx(dir, ['show', 'project', name, '--json'])
        .split('\n')
        .find((l) => l.startsWith('{'))!,
    );
  const status = (dir: string) => git(dir, ['status', '--porcelain', '--untracked-files=all']);
  /** A digest of every file under dir (names, modes and bytes), or 'absent'. */
  const treeHash = (dir: string, skip: string[] = []): string => {
    if (!fs.existsSync(dir)) return 'absent';
    const h = createHash('sha256');
    const entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[];
    const files = entries
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
      .filter((rel) => !skip.some((s) => rel === s || rel.startsWith(`${s}/`)))
      .sort();
    for (const rel of files) {
      const full = path.join(dir, rel);
      const st = fs.lstatSync(full);
      h.update(`${rel}\0${st.mode}\0`);
      if (st.isFile()) h.update(fs.readFileSync(full));
      if (st.isSymbolicLink()) h.update(fs.readlinkSync(full));
    }
    return h.digest('hex');
  };

  beforeAll(() => {
    ctx = prepare('inferred');
    env = findLinksEnv(ctx);
    base = workspaceCopy(ctx, 'base');
    nx(base, ['g', 'pex:tool', 'hello', '--requirements', 'hellotool==1.0.0']);
    write(base, 'apps/app/project.json', JSON.stringify({ name: 'app', root: 'apps/app', targets: {} }));
    write(base, 'apps/app/main.py', 'print("hi")\n');
    nx(base, ['g', 'pex:tool-target', '--project', 'app', '--tool', 'hello', '--target', 'format', '--args=--check {projectRoot}']);
    commit(base);
  });

  test('pex:init in a workspace with an nx.json registers the plugin once, with the sync generator', () => {
    const ws = copy(ctx.template);
    nx(ws, ['g', 'pex:init']);
    nx(ws, ['g', 'pex:init']);
    const nxJson = json(ws, 'nx.json');
    expect(nxJson.plugins).toEqual([
      { plugin: 'pex', options: { lockTargetName: 'lock', pexTargetName: 'pex', venvTargetName: 'venv', runTargetName: 'run' } },
    ]);
    expect(nxJson.sync).toEqual({ globalGenerators: ['pex:sync'] });
    expect(nxJson.cacheDirectory).toBe('.nx/cache');
    expect(status(ws).split('\n').filter(Boolean).sort()).toEqual([' M nx.json']);
  });

  test('pex:init and pex:tool in a workspace without an nx.json create one; the tool gets its targets and caching', () => {
    const ws = copy(ctx.template);
    fs.rmSync(path.join(ws, 'nx.json'));
    fs.writeFileSync(path.join(ws, '.gitignore'), 'node_modules\n.nx\n');
    nx(ws, ['g', 'pex:init']);
    expect(json(ws, 'nx.json').plugins).toEqual([expect.objectContaining({ plugin: 'pex' })]);
    expect(fs.readFileSync(path.join(ws, '.gitignore'), 'utf8')).toBe('node_modules\n.nx\ndist\n');

    const fresh = copy(ctx.template);
    fs.rmSync(path.join(fresh, 'nx.json'));
    nx(fresh, ['g', 'pex:tool', 'hello', '--requirements', 'hellotool==1.0.0']);
    expect(json(fresh, 'nx.json').plugins).toEqual([expect.objectContaining({ plugin: 'pex' })]);
    expect(Object.keys(showProject(fresh, 'hello').targets).sort()).toEqual(['lock', 'pex', 'run', 'venv']);
    expect(cacheStatus(nx(fresh, ['run', 'hello:pex']), 'hello:pex')).toBe('miss');
    expect(cacheStatus(nx(fresh, ['run', 'hello:pex']), 'hello:pex')).not.toBe('miss');
  });

  test('nx show project: the inferred targets, and a target in project.json overrides one', () => {
    const ws = copy();
    const project = showProject(ws, 'hello');
    expect(project.targets.pex).toMatchObject({
      executor: 'pex:pex',
      cache: true,
      outputs: ['{options.outputPath}'],
      options: { script: 'hello' },
    });
    expect(project.targets.run).toMatchObject({ executor: 'pex:run', dependsOn: ['pex'] });
    const config = json(ws, 'tools/hello/project.json');
    config.targets.venv = { cache: false, options: { compile: true } };
    write(ws, 'tools/hello/project.json', JSON.stringify(config));
    expect(showProject(ws, 'hello').targets.venv).toMatchObject({
      executor: 'pex:venv',
      cache: false,
      dependsOn: ['pex'],
      options: { compile: true, outputPath: 'dist/tools/hello/venv' },
    });
  });

  test('--dry-run changes nothing: not the workspace, not the wheel cache, not PEX_ROOT', () => {
    const ws = copy();
    const wheelCache = path.join(ctx.tmp, 'dry-wheel-cache');
    const pexRoot = path.join(ctx.tmp, 'dry-pex-root');
    fs.mkdirSync(wheelCache);
    fs.mkdirSync(pexRoot);
    const extra = { PEX_NX_WHEEL_CACHE: wheelCache, PEX_ROOT: pexRoot };
    const before = [treeHash(ws, ['.nx', '.git']), treeHash(wheelCache), treeHash(pexRoot)];
    for (const args of [
      ['g', 'pex:tool', 'dry', '--requirements', 'hellotool==1.0.0', '--dry-run'],
      ['g', 'pex:tool', 'dry2', '--requirements', 'doesnotexist', '--dry-run'],
      ['g', 'pex:tool-target', '--project', 'app', '--tool', 'hello', '--target', 'lint', '--dry-run'],
      ['g', 'pex:remove', 'hello', '--forceRemove', '--dry-run'],
      ['g', 'pex:init', '--dry-run'],
    ]) {
      const output = nx(ws, args, extra);
      expect(output).toMatch(/NOTE: The "dryRun" flag means no changes were made/);
    }
    const output = nx(ws, ['g', 'pex:tool', 'dry', '--requirements', 'hellotool==1.0.0', '--dry-run'], extra);
    expect(output).toMatch(/CREATE tools\/dry\/project.json/);
    expect(output).not.toMatch(/Locking/);
    expect([treeHash(ws, ['.nx', '.git']), treeHash(wheelCache), treeHash(pexRoot)]).toEqual(before);
  });

  test('a custom outputPath is what the cache restores and what run, venv and a consumer target use', () => {
    const ws = copy();
    const config = json(ws, 'tools/hello/project.json');
    config.targets.pex.options.outputPath = 'dist/bin/hello.pex';
    write(ws, 'tools/hello/project.json', JSON.stringify(config, null, 2));
    const built = nx(ws, ['run', 'hello:pex']);
    expect(built).toMatch(/\[pex\] wrote dist\/bin\/hello.pex/);
    expect(fs.existsSync(path.join(ws, 'dist/bin/hello.pex'))).toBe(true);
    fs.rmSync(path.join(ws, 'dist'), { recursive: true });
    const restored = nx(ws, ['run', 'hello:pex']);
    expect(cacheStatus(restored, 'hello:pex')).toBe('local');
    expect(fs.readdirSync(path.join(ws, 'dist'), { recursive: true }).sort()).toEqual(['bin', 'bin/hello.pex']);
    expect(nx(ws, ['run', 'hello:run', '--', '--version'])).toMatch(/hellotool 1\.0\.0/);
    expect(nx(ws, ['run', 'app:format'])).toMatch(/\bok\b/);
    expect(fs.existsSync(path.join(ws, 'dist/tools'))).toBe(false);
    // The venv target materializes the same moved archive: its path is set once.
    expect(nx(ws, ['run', 'hello:venv'])).toMatch(/\[pex\] wrote venv dist\/tools\/hello\/venv/);
    expect(fs.existsSync(path.join(ws, 'dist/tools/hello/venv/bin/hello'))).toBe(true);
  });

  test('a consumer target builds exactly the tool it runs, not every tool its project depends on', () => {
    const ws = copy();
    nx(ws, ['g', 'pex:tool', 'other', '--requirements', 'hellotool==1.1.0', '--script', 'hello']);
    const app = json(ws, 'apps/app/project.json');
    app.implicitDependencies = ['other'];
    write(ws, 'apps/app/project.json', JSON.stringify(app));
    const output = nx(ws, ['run', 'app:format']);
    expect(output).toMatch(/nx run hello:pex/);
    expect(output).not.toMatch(/nx run other:pex/);
  });

  test("migrating a workspace made by today's plugin: pex:init and nx migrate keep what the user set", () => {
    const old = copy(base);
    const nxJson = json(old, 'nx.json');
    nxJson.plugins = ['pex'];
    nxJson.targetDefaults = {
      'pex:lock': { cache: false },
      'pex:pex': {
        cache: true,
        inputs: [
          '{projectRoot}/requirements.txt',
          '{projectRoot}/pex.lock.json',
          '{projectRoot}/src/**/*',
          { externalDependencies: ['pex'] },
        ],
        outputs: ['{workspaceRoot}/dist/{projectRoot}/{projectName}.pex'],
      },
      'pex:venv': {
        cache: true,
        dependsOn: ['pex'],
        inputs: [
          '{projectRoot}/requirements.txt',
          '{projectRoot}/pex.lock.json',
          '{projectRoot}/src/**/*',
          { externalDependencies: ['pex'] },
          { runtime: 'python3 -c "import os,sys;print(os.path.realpath(sys.executable),sys.version)"' },
        ],
        outputs: ['{workspaceRoot}/dist/{projectRoot}/venv', '{workspaceRoot}/dist/{projectRoot}/venv.txt'],
      },
      'pex:run': { dependsOn: ['pex', '^pex'] },
    };
    delete nxJson.sync;
    write(old, 'nx.json', JSON.stringify(nxJson, null, 2));
    write(
      old,
      'tools/hello/project.json',
      JSON.stringify(
        {
          name: 'hello',
          root: 'tools/hello',
          projectType: 'application',
          targets: {
            lock: { executor: 'pex:lock', options: {} },
            pex: { executor: 'pex:pex', options: { script: 'hello' } },
            venv: { executor: 'pex:venv' },
            run: { executor: 'pex:run' },
          },
        },
        null,
        2,
      ),
    );
    const app = json(old, 'apps/app/project.json');
    delete app.targets.format.dependsOn;
    write(old, 'apps/app/project.json', JSON.stringify(app, null, 2));
    commit(old);
    const migrated = copy(old);

    nx(old, ['g', 'pex:init']);
    const after = json(old, 'nx.json');
    expect(after.plugins).toEqual([
      { plugin: 'pex', options: { lockTargetName: 'lock', pexTargetName: 'pex', venvTargetName: 'venv', runTargetName: 'run' } },
    ]);
    expect(after.targetDefaults).toEqual({
      'pex:venv': { outputs: ['{workspaceRoot}/dist/{projectRoot}/venv', '{workspaceRoot}/dist/{projectRoot}/venv.txt'] },
    });
    expect(after.sync).toEqual({ globalGenerators: ['pex:sync'] });
    expect(json(old, 'tools/hello/project.json').targets).toEqual({ pex: { options: { script: 'hello' } } });
    expect(json(old, 'apps/app/project.json').targets.format.dependsOn).toEqual([{ projects: ['hello'], target: 'pex' }]);
    expect(nx(old, ['run', 'app:format'])).toMatch(/\bok\b/);
    expect(spawnSync(path.join(old, 'dist/tools/hello/hello.pex'), ['--version'], { env, encoding: 'utf8' }).stdout.trim()).toBe(
      'hellotool 1.0.0',
    );

    write(migrated, 'migrations.json', JSON.stringify({ migrations: [{ package: 'pex', name: 'infer-targets', version: '0.2.0' }] }));
    // The installed nx runs the migration (nx migrate would otherwise fetch nx@latest first).
    nx(migrated, ['migrate', '--run-migrations=migrations.json'], { NX_MIGRATE_USE_LOCAL: 'true' });
    expect(json(migrated, 'nx.json').targetDefaults).toEqual(after.targetDefaults);
    expect(json(migrated, 'tools/hello/project.json').targets).toEqual({ pex: { options: { script: 'hello' } } });
    expect(json(migrated, 'apps/app/project.json').targets.format.dependsOn).toEqual([{ projects: ['hello'], target: 'pex' }]);
  });

  test('a pex.lock.json of an earlier version still builds; the next lock, or nx migrate (pylock-toml), converts it and says so', () => {
    const old = copy();
    const lock = readLock(path.join(old, 'tools/hello/pylock.toml'));
    // What earlier versions of the plugin wrote for the same lock.
    const legacy = {
      lockVersion: 2,
      requirements: lock.requirements,
      pipOptions: lock.pipOptions,
      requirementsHash: lock.requirementsHash,
      interpreter: { implementation: 'cpython', version: lock.environments[0].python, tag: 'cp3', platform: lock.environments[0].platform },
      interpreterConstraints: lock.interpreterConstraints,
      artifacts: lockedFiles(lock).map(({ size: _, ...a }: { size?: number }) => a),
    };
    fs.rmSync(path.join(old, 'tools/hello/pylock.toml'));
    write(old, 'tools/hello/pex.lock.json', JSON.stringify(legacy, null, 2));
    commit(old);
    const migrated = copy(old);

    nx(old, ['run', 'hello:pex']);
    expect(spawnSync(path.join(old, 'dist/tools/hello/hello.pex'), ['--version'], { env, encoding: 'utf8' }).stdout.trim()).toBe(
      'hellotool 1.0.0',
    );
    const relocked = runNx(old, ['run', 'hello:lock'], env);
    expect(relocked.code).toBe(0);
    expect(infoLines(relocked.output)).toContainEqual(
      'converted tools/hello/pex.lock.json to tools/hello/pylock.toml (PEP 751) and removed it; commit both changes',
    );
    expect(fs.existsSync(path.join(old, 'tools/hello/pex.lock.json'))).toBe(false);
    expect(readLock(path.join(old, 'tools/hello/pylock.toml'))).toEqual(lock);

    write(migrated, 'migrations.json', JSON.stringify({ migrations: [{ package: 'pex', name: 'pylock-toml', version: '0.3.0' }] }));
    nx(migrated, ['migrate', '--run-migrations=migrations.json'], { NX_MIGRATE_USE_LOCAL: 'true' });
    expect(fs.existsSync(path.join(migrated, 'tools/hello/pex.lock.json'))).toBe(false);
    // The migration keeps the JSON lock's one environment and its pins; the next lock adds the others.
    const converted = readLock(path.join(migrated, 'tools/hello/pylock.toml'));
    expect(converted.environments).toEqual([{ ...lock.environments[0], covered: true }]);
    expect(lockedFiles(converted)).toEqual(lockedFiles(lock));
  });

  test('nx sync:check fails on a lock stale against its requirements or interpreters, naming the fix; nx sync fixes it', () => {
    const ws = copy();
    expect(runNx(ws, ['sync:check'], env).code).toBe(0);
    const lock = fs.readFileSync(path.join(ws, 'tools/hello/pylock.toml'), 'utf8');
    write(ws, 'tools/hello/requirements.txt', 'hellotool==1.1.0\n');
    const stale = runNx(ws, ['sync:check'], env);
    expect(stale.code).not.toBe(0);
    expect(errorLines(stale.output)).toEqual([
      'pex: the lock is stale against its requirements.txt, tools/hello/pylock.toml: run nx run hello:lock (or nx sync)',
    ]);
    expect(hasStackTrace(stale.output)).toBe(false);
    expect(fs.readFileSync(path.join(ws, 'tools/hello/pylock.toml'), 'utf8')).toBe(lock);
    nx(ws, ['sync']);
    expect(
      lockedFiles(readLock(path.join(ws, 'tools/hello/pylock.toml'))).find((a: { name: string }) => a.name === 'hellotool').version,
    ).toBe('1.1.0');
    expect(runNx(ws, ['sync:check'], env).code).toBe(0);

    const config = json(ws, 'tools/hello/project.json');
    config.targets.lock = { options: { interpreterConstraints: ['>=3.9,<3.14'] } };
    write(ws, 'tools/hello/project.json', JSON.stringify(config));
    const interpreters = runNx(ws, ['sync:check'], env);
    expect(interpreters.code).not.toBe(0);
    expect(interpreters.output).toMatch(
      new RegExp(
        /pex: the lock was made for interpreters \[\] instead of the lock target's interpreterConstraints /.source +
          /\[">=3.9,<3.14"\], tools\/hello\/pylock.toml: run nx run hello:lock/.source,
      ),
    );
  });

  test('pex:remove refuses in one line while a consumer runs the tool; --forceRemove removes both; a tool no one runs just goes', () => {
    const ws = copy();
    const refused = runNx(ws, ['g', 'pex:remove', 'hello'], env);
    expect(refused.code).not.toBe(0);
    expect(errorLines(refused.output)).toEqual([
      "pex: 'hello' is still run by another project's target, app:format: remove that target, or pass --forceRemove to remove it too",
    ]);
    expect(hasStackTrace(refused.output)).toBe(false);
    expect(status(ws)).toBe('');

    nx(ws, ['g', 'pex:remove', 'hello', '--forceRemove']);
    expect(fs.existsSync(path.join(ws, 'tools/hello'))).toBe(false);
    expect(json(ws, 'apps/app/project.json').targets).toEqual({});
    expect(nx(ws, ['show', 'projects'])).not.toMatch(/\bhello\b/);

    nx(ws, ['g', 'pex:tool', 'solo', '--requirements', 'hellotool==1.0.0']);
    nx(ws, ['g', 'pex:remove', 'solo']);
    expect(fs.existsSync(path.join(ws, 'tools/solo'))).toBe(false);
  });

  test(
    'a tool named after no script of its wheels: one line says it will be an interpreter and lists the scripts; ' +
      '--script picks one per target',
    () => {
      const ws = copy();
      const r = runNx(ws, ['g', 'pex:tool', 'linters', '--requirements', 'hellotool==1.0.0', '--requirements', 'greetlib==1.2.0'], env);
      expect(r.code).toBe(0);
      const notes = r.output.split('\n').filter((l) => /interpreter/.test(l));
      expect(notes).toEqual([
        expect.stringContaining(
          `[pex] 'linters' is not a console script of its wheels, so its archive will start a Python interpreter; ` +
            `scripts it could run: greet-py, greet-sh, hello`,
        ),
      ]);
      expect(errorLines(r.output)).toEqual([]);
      nx(ws, [
        'g',
        'pex:tool-target',
        '--project',
        'app',
        '--tool',
        'linters',
        '--target',
        'version',
        '--script',
        'hello',
        '--args=--version',
      ]);
      nx(ws, ['g', 'pex:tool-target', '--project', 'app', '--tool', 'linters', '--target', 'greet', '--script', 'greet-py']);
      expect(nx(ws, ['run', 'app:version'])).toMatch(/hellotool 1\.0\.0/);
      expect(nx(ws, ['run', 'app:greet'])).toMatch(/greet-py ok/);
      const archive = path.join(ws, 'dist/tools/linters/linters.pex');
      expect(spawnSync(archive, ['-c', 'import greetlib; print("interpreter ok")'], { env, encoding: 'utf8' }).stdout.trim()).toBe(
        'interpreter ok',
      );
    },
  );
});
