import { stripCredentials } from './urls';

describe('stripCredentials', () => {
  it.each([
    ['https://user:token@host/simple', 'https://host/simple'],
    ['https://token@host:8443/simple/', 'https://host:8443/simple/'],
    ['https://user:p@ss@host/x', 'https://host/x'],
    ['http://host/path@not-userinfo', 'http://host/path@not-userinfo'],
    ['file:///abs/x.whl', 'file:///abs/x.whl'],
    ['--index-url https://u:p@a/simple --extra https://v:q@b/', '--index-url https://a/simple --extra https://b/'],
    ['ERROR: 401 for url https://u:secret@host/pkg.whl', 'ERROR: 401 for url https://host/pkg.whl'],
  ])('%s → %s', (input, expected) => {
    expect(stripCredentials(input)).toBe(expected);
  });

  it('keeps pip ${VAR} placeholders, which hold no secret', () => {
    expect(stripCredentials('https://${USER}:${TOKEN}@host/simple')).toBe('https://${USER}:${TOKEN}@host/simple');
    expect(stripCredentials('https://${TOKEN}x@host/simple')).toBe('https://host/simple');
  });
});
