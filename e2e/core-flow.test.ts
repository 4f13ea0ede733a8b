import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  E2eContext,
  errorLines,
  findLinksEnv,
  git,
  hasStackTrace,
  isolatedEnv,
  prepare,
  readLock,
  runNx,
  settle,
  startIndex,
  workspaceCopy,
  lockedFiles,
  infoLines,
} from './setup';

/** Issue 2, steps 1-7: nx g pex:tool -> lock -> pex -> run -> venv -> run target, offline. */
describe('core flow', () => {
  let ctx: E2eContext;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const archive = () => path.join(ws, 'dist/tools/hello/hello.pex');
  const exec = (file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    spawnSync(file, args, { cwd: ws, env: { ...env, ...extraEnv }, encoding: 'utf8' });
  const workspaceStatus = () => git(ws, ['status', '--porcelain', '--untracked-files=all']);

  beforeAll(() => {
    ctx = prepare('core');
    ws = workspaceCopy(ctx, 'ws');
    env = findLinksEnv(ctx);
  });

  test('generator: bad input is one clear line and changes nothing', () => {
    const cases: Array<[string[], RegExp]> = [
      [['Bad Name!'], /pex: invalid tool name 'Bad Name!', the name argument: use letters, digits/],
      [['hello', '--requirements', 'hellotool>='], /pex: 'hellotool>=' is not a valid requirement \(.*\), --requirements: write it like /],
      [['hello', '--requirements', 'hellotool', '--script', 'nope'], /script 'nope' is not provided.*hello/],
      [
        ['hello', '--script', 'x', '--entryPoint', 'y:z'],
        /pex: a script and an entry point are both given, --script x --entryPoint y:z: give one of them/,
      ],
      [['hello', '--requirements', 'doesnotexist'], /pex: .*doesnotexist/],
      [['ev', '--directory', '../../evil'], /pex: '\.\.\/\.\.\/evil' is outside the workspace, --directory: give a folder inside it/],
    ];
    for (const [args, message] of cases) {
      const r = runNx(ws, ['g', 'pex:tool', ...args], env);
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(message);
      expect(errorLines(r.output)).toHaveLength(1);
      expect(hasStackTrace(r.output)).toBe(false);
      expect(workspaceStatus()).toBe('');
    }
  });

  test('nx g pex:tool writes the project, requirements and lock, and registers the plugin', () => {
    const r = runNx(ws, ['g', 'pex:tool', 'hello', '--requirements', 'hellotool==1.0.0', '--tags', 'tool,python'], env);
    expect(r.code).toBe(0);
    const project = JSON.parse(fs.readFileSync(path.join(ws, 'tools/hello/project.json'), 'utf8'));
    expect(project.name).toBe('hello');
    expect(project.tags).toEqual(['tool', 'python']);
    expect(project.targets.pex.options).toEqual({ script: 'hello' });
    expect(fs.readFileSync(path.join(ws, 'tools/hello/requirements.txt'), 'utf8')).toBe('hellotool==1.0.0\n');
    const lock = readLock(path.join(ws, 'tools/hello/pylock.toml'));
    expect(
      lockedFiles(lock)
        .map((a: { name: string; version: string }) => `${a.name}==${a.version}`)
        .sort(),
    ).toEqual(['acme-colors==0.1.0', 'acme-shapes==0.1.0', 'greetlib==1.2.0', 'hellotool==1.0.0']);
    for (const a of lockedFiles(lock)) {
      expect(a.sha256).toBe(sha(path.join(ctx.wheels, a.filename)));
    }
    // The targets are the plugin's inferred ones; project.json holds only what differs from them.
    expect(Object.keys(project.targets)).toEqual(['pex']);
    const nxJson = JSON.parse(fs.readFileSync(path.join(ws, 'nx.json'), 'utf8'));
    expect(nxJson.plugins).toEqual([expect.objectContaining({ plugin: 'pex' })]);
    expect(nxJson.sync.globalGenerators).toEqual(['pex:sync']);
    // an existing project is refused
    const again = runNx(ws, ['g', 'pex:tool', 'hello'], env);
    expect(again.code).not.toBe(0);
    expect(again.output).toMatch(/project 'hello' already exists/);
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-q', '-m', 'add hello']);
  });

  test('nx run hello:pex writes a deterministic archive and is a cache hit the second time', () => {
    const first = runNx(ws, ['run', 'hello:pex'], env);
    expect(first.code).toBe(0);
    expect(fs.existsSync(archive())).toBe(true);
    const digest = sha(archive());
    const second = runNx(ws, ['run', 'hello:pex'], env);
    expect(second.code).toBe(0);
    expect(second.output).toMatch(/local cache|existing outputs match the cache/);
    fs.rmSync(path.join(ws, 'dist'), { recursive: true });
    const rebuilt = runNx(ws, ['run', 'hello:pex', '--skip-nx-cache'], env);
    expect(rebuilt.code).toBe(0);
    expect(sha(archive())).toBe(digest);
    expect(fs.readdirSync(path.dirname(archive()))).toEqual(['hello.pex']);
  });

  test('PEX-INFO has pex field names, stored wheels and a pex_hash over its own dump', () => {
    const script = [
      'import hashlib, json, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'info = json.loads(z.read("PEX-INFO"))',
      'rest = dict(info); h = rest.pop("pex_hash")',
      'calc = hashlib.sha1(json.dumps(rest, sort_keys=True, separators=(",", ":")).encode()).hexdigest()',
      'entries = {i.filename[6:]: i.compress_type for i in z.infolist() if i.filename.startswith(".deps/")}',
      'deps = {n: t for n, t in entries.items() if not n.startswith(".bytecode/")}',
      'code = {n[len(".bytecode/"):]: hashlib.sha256(z.read(".deps/" + n)).hexdigest() for n in entries if n not in deps}',
      'print(json.dumps({"ok": h == calc, "info": info, "deps": deps, "code": code, "stored": set(entries.values()) == {0}}))',
    ].join('\n');
    const r = exec('python3', ['-c', script, archive()]);
    expect(r.stderr).toBe('');
    const { ok, info, deps, code, stored } = JSON.parse(r.stdout);
    expect(ok).toBe(true);
    expect(stored).toBe(true);
    // The bytecode of each covered minor found here, one zip per wheel, each listed with its sha256.
    const listed = Object.entries(info.pex_nx.bytecode as Record<string, Record<string, string>>).flatMap(([tag, wheels]) =>
      Object.entries(wheels).map(([wheel, digest]) => [`${tag}/${wheel}`, digest]),
    );
    expect(Object.fromEntries(listed)).toEqual(code);
    const python3 = exec('python3', ['-c', 'import sys; print(sys.implementation.cache_tag)']).stdout.trim();
    expect(Object.keys(info.pex_nx.bytecode)).toContain(python3);
    expect(info).toMatchObject({
      deps_are_wheel_files: true,
      venv: true,
      script: 'hello',
      strip_pex_env: true,
      includes_tools: true,
      requirements: ['hellotool==1.0.0'],
    });
    expect(Object.keys(info.distributions).sort()).toEqual(Object.keys(deps).sort());
    expect(Object.values(deps).every((t) => t === 0)).toBe(true);
    for (const [wheel, digest] of Object.entries(info.distributions)) {
      expect(digest).toBe(sha(path.join(ctx.wheels, wheel)));
    }
  });

  test('the archive runs directly and with python3, building one venv under PEX_ROOT', () => {
    const direct = exec(archive(), ['--version']);
    expect(direct.stdout.trim()).toBe('hellotool 1.0.0');
    expect(direct.status).toBe(0);
    const viaPython = exec('python3', [archive(), '--version']);
    expect(viaPython.stdout.trim()).toBe('hellotool 1.0.0');
    const venvs = path.join(env.PEX_ROOT as string, 'nx1');
    const [hashDir] = fs.readdirSync(venvs);
    const venv = path.join(venvs, hashDir, 'sh');
    for (const f of [
      'bin/python',
      'bin/python3',
      'bin/activate',
      'bin/hello',
      'bin/greet-sh',
      'bin/greet-py',
      'PEX-INFO',
      '__main__.py',
      'pex',
      'pyvenv.cfg',
    ]) {
      expect(fs.existsSync(path.join(venv, f))).toBe(true);
    }
    const site = fs.readdirSync(path.join(venv, 'lib')).map((d) => path.join(venv, 'lib', d, 'site-packages'))[0];
    const installed = fs.readdirSync(site);
    expect(installed).toEqual(expect.arrayContaining(['hellotool', 'greetlib', 'acme']));
    expect(installed.filter((f) => /^(pip|setuptools)\b/.test(f))).toEqual([]);
    const exitCode = exec(archive(), ['--exit', '3']);
    expect(exitCode.status).toBe(3);
  });

  test('PEX_TOOLS=1 venv and info', () => {
    const dest = path.join(ctx.tmp, 'tools-venv');
    const made = exec(archive(), ['venv', dest], { PEX_TOOLS: '1' });
    expect(made.status).toBe(0);
    expect(exec(path.join(dest, 'bin/hello'), ['--version']).stdout.trim()).toBe('hellotool 1.0.0');
    expect(exec('python3', [dest, '--version']).stdout.trim()).toBe('hellotool 1.0.0');
    const refused = exec(archive(), ['venv', dest], { PEX_TOOLS: '1' });
    expect(refused.status).not.toBe(0);
    expect(exec(archive(), ['venv', '--force', '--bin-path', 'prepend', '--compile', dest], { PEX_TOOLS: '1' }).status).toBe(0);
    const info = exec(archive(), ['info'], { PEX_TOOLS: '1' });
    expect(JSON.parse(info.stdout).pex_hash).toMatch(/^[0-9a-f]{40}$/);
  });

  test('nx run hello:venv materializes the venv; nx run hello:run passes arguments and fails with the tool', () => {
    const made = runNx(ws, ['run', 'hello:venv'], env);
    expect(made.code).toBe(0);
    const venv = path.join(ws, 'dist/tools/hello/venv');
    expect(exec(path.join(venv, 'bin/hello'), ['--version']).stdout.trim()).toBe('hellotool 1.0.0');
    expect(runNx(ws, ['run', 'hello:venv'], env).output).toMatch(/local cache|existing outputs match the cache/);

    const ok = runNx(ws, ['run', 'hello:run', '--', '--check', 'tools/hello'], env);
    expect(ok.code).toBe(0);
    expect(ok.output).toMatch(/\bok\b/);
    fs.mkdirSync(path.join(ws, 'tools/hello/src'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'tools/hello/src/bad.txt'), 'BAD\n');
    const bad = runNx(ws, ['run', 'hello:run', '--', '--check', 'tools/hello/src/bad.txt'], env);
    expect(bad.code).not.toBe(0);
    expect(errorLines(bad.output)).toEqual(['pex: hello exited with code 1, dist/tools/hello/hello.pex: its output above says why']);
    fs.rmSync(path.join(ws, 'tools/hello/src'), { recursive: true });
  });

  test('executor options: bad input is one clear line and changes nothing', () => {
    const cases: Array<[string[], RegExp, boolean]> = [
      // Nx checks the schema first: its own one-line message, no pex: line.
      [['run', 'hello:venv', '--binPath=sideways'], /binPath.*(prepend|must be one of)/, false],
      [
        ['run', 'hello:pex', '--outputPath=tools/hello/requirements.txt/x.pex'],
        /pex: cannot write the file \(a parent is a file\), .*requirements\.txt\/x\.pex: fix that or choose another path/,
        true,
      ],
      [['run', 'hello:venv', '--outputPath=tools/hello'], /exists and is not a venv, \S*tools\/hello: move it away/, true],
      [['run', 'hello:run', '--cwd=nope'], /the working directory does not exist, \S*nope: create it/, true],
    ];
    for (const [args, message, ours] of cases) {
      const before = sha(path.join(ws, 'tools/hello/requirements.txt'));
      const r = runNx(ws, args, env);
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(message);
      expect(errorLines(r.output)).toHaveLength(ours ? 1 : 0);
      expect(hasStackTrace(r.output)).toBe(false);
      expect(workspaceStatus()).toBe('');
      expect(sha(path.join(ws, 'tools/hello/requirements.txt'))).toBe(before);
    }
  });

  test('--python constraints reach the lock target, the lock and PEX-INFO, and the archive honours them', () => {
    const r = runNx(
      ws,
      ['g', 'pex:tool', 'hello39', '--requirements', 'hellotool==1.0.0', '--script', 'hello', '--python', '>=3.9,<3.14'],
      env,
    );
    expect(r.code).toBe(0);
    const project = JSON.parse(fs.readFileSync(path.join(ws, 'tools/hello39/project.json'), 'utf8'));
    expect(project.targets.lock.options).toEqual({ interpreterConstraints: ['>=3.9,<3.14'] });
    const lock = readLock(path.join(ws, 'tools/hello39/pylock.toml'));
    expect(lock.interpreterConstraints).toEqual(['>=3.9,<3.14']);
    expect(runNx(ws, ['run', 'hello39:pex'], env).code).toBe(0);
    const pex = path.join(ws, 'dist/tools/hello39/hello39.pex');
    const info = exec(pex, ['info'], { PEX_TOOLS: '1' });
    // In pex's normal form, and narrowed to the minors the lock covers when it covers fewer than they allow.
    expect(JSON.parse(info.stdout).interpreter_constraints).toEqual([expect.stringMatching(/^<3\.14,(==3\.\d+\.\*,)?>=3\.9$/)]);
    expect(exec(pex, ['--version']).stdout.trim()).toBe('hellotool 1.0.0');
    // An interpreter outside the constraints, named explicitly, is refused in one line.
    const python38 = spawnSync('bash', ['-c', 'ls "$(pyenv root)"/versions/3.8*/bin/python3.8 | head -1'], {
      encoding: 'utf8',
    }).stdout.trim();
    expect(python38).toMatch(/python3\.8$/);
    const refused = exec(pex, ['--version'], { PEX_PYTHON: python38 });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/3\.8/);
    expect(refused.stderr).toMatch(/^pex: /);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a stale lock is detected; nx run hello:lock re-resolves through a PEP 503 index over HTTP', async () => {
    fs.writeFileSync(path.join(ws, 'tools/hello/requirements.txt'), 'hellotool==1.1.0\n');
    const stale = runNx(ws, ['run', 'hello:pex'], env);
    expect(stale.code).not.toBe(0);
    expect(stale.output).toMatch(/stale.*nx run hello:lock/);
    expect(hasStackTrace(stale.output)).toBe(false);

    const index = await startIndex(ctx.wheels);
    try {
      const indexEnv = isolatedEnv({
        pexRoot: env.PEX_ROOT,
        wheelCache: path.join(ctx.tmp, 'wheel-cache-http'),
        pip: { PIP_INDEX_URL: index.url },
      });
      const locked = runNx(ws, ['run', 'hello:lock'], indexEnv);
      expect(locked.code).toBe(0);
      const lock = readLock(path.join(ws, 'tools/hello/pylock.toml'));
      const hello = lockedFiles(lock).find((a: { name: string }) => a.name === 'hellotool');
      expect(hello.version).toBe('1.1.0');
      expect(hello.url).toBe(`${index.url.replace('/simple/', '')}/files/${hello.filename}`);
      const built = runNx(ws, ['run', 'hello:pex'], indexEnv);
      expect(built.code).toBe(0);
      await settle();
      expect(index.requests.some((u: string) => u.startsWith('/files/hellotool-1.1.0'))).toBe(true);
      expect(exec(archive(), ['--version']).stdout.trim()).toBe('hellotool 1.1.0');
    } finally {
      await index.close();
    }
  });

  test('a tool published only as an sdist is locked as the sdist, built once into the wheel cache, and runs', () => {
    const generated = runNx(ws, ['g', 'pex:tool', 'fromsource', '--requirements', 'fromsource==2.0'], env);
    expect(generated.code).toBe(0);
    const lock = readLock(path.join(ws, 'tools/fromsource/pylock.toml'));
    expect(lockedFiles(lock).map((a: { filename: string }) => a.filename)).toEqual(['fromsource-2.0.tar.gz']);
    // Only the locking interpreter's own environment can take an sdist; the default others are left out.
    const covered = lock.environments.filter((e: { covered: boolean }) => e.covered);
    expect(covered).toHaveLength(1);
    expect(infoLines(generated.output).filter((l) => l.startsWith('warning: left '))).toHaveLength(lock.environments.length - 1);
    const built = runNx(ws, ['run', 'fromsource:pex'], env);
    expect(built.code).toBe(0);
    expect(exec(path.join(ws, 'dist/tools/fromsource/fromsource.pex'), []).stdout).toBe('fromsource 2.0\n');
    const buildDir = path.join(env.PEX_NX_WHEEL_CACHE!, 'built', lockedFiles(lock)[0].sha256, `cp${covered[0].python.replace('.', '')}`);
    expect(fs.readdirSync(buildDir)).toEqual(['fromsource-2.0-py3-none-any.whl', 'fromsource-2.0-py3-none-any.whl.sha256']);
  });
});
