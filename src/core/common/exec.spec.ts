import { PexError } from './errors';
import { run } from './exec';

describe('run', () => {
  it('passes arguments literally, never through a shell', async () => {
    const result = await run('printf', ['%s|', 'a b', '$(echo no)', '; rm -rf /']);
    expect(result).toEqual({ code: 0, signal: null, stdout: 'a b|$(echo no)|; rm -rf /|', stderr: '' });
  });

  it('feeds input, captures stderr and the exit code', async () => {
    const result = await run('sh', ['-c', 'cat; echo oops >&2; exit 3'], { input: 'in\n' });
    expect(result).toEqual({ code: 3, signal: null, stdout: 'in\n', stderr: 'oops\n' });
  });

  it('reports a signal death like a shell does', async () => {
    const result = await run('sh', ['-c', 'kill -TERM $$']);
    expect(result.signal).toBe('SIGTERM');
    expect(result.code).toBe(143);
  });

  it('names a missing command in a PexError', async () => {
    await expect(run('pex-nx-no-such-command', [])).rejects.toThrow(
      new PexError('command not found', 'pex-nx-no-such-command', 'install it or put it on PATH'),
    );
  });

  it('uses the given cwd and env', async () => {
    const result = await run('sh', ['-c', 'pwd; echo "$PEX_SPEC"'], { cwd: '/', env: { PATH: process.env.PATH, PEX_SPEC: 'yes' } });
    expect(result.stdout).toBe('/\nyes\n');
  });
});
