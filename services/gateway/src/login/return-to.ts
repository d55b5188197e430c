const MAX_RETURN_TO = 2_000;
const BASE = 'http://harness.invalid';

/**
 * Where the browser goes after signing in: a path of this origin only (`/…`), else `/`. Refused: absolute URLs,
 * protocol-relative `//host`, backslashes (browsers read `/\host` as `//host`), control characters and whitespace,
 * and anything longer than 2000 characters. The result is re-serialized by the URL parser (path, query, fragment).
 */
export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RETURN_TO) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\') || [...raw].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f)) return '/';
  const url = URL.parse(raw, BASE);
  if (!url || url.origin !== BASE) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
