/** Credentials in URLs (`https://user:token@host/...`) are never recorded or printed. */

// Greedy up to the last '@' of the authority: a password may itself contain '@'.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s?#]+)@/gi;
// pip expands `${NAME}` in requirements files; such placeholders name a secret without holding it.
const PLACEHOLDERS_ONLY = /^(\$\{[A-Z0-9_]+\}|:)+$/;

/** Drops `user:pass@` from every URL in `text` (a URL, an option line or pip's output); `${VAR}` placeholders stay. */
export function stripCredentials(text: string): string {
  return text.replace(URL_USERINFO, (whole, scheme: string, userinfo: string) => (PLACEHOLDERS_ONLY.test(userinfo) ? whole : scheme));
}
