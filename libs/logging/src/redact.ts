/**
 * Deep redaction of log records: pino's own `redact` paths reach fixed depths only, and a token can sit anywhere
 * (an SDK error's request options, a nested command). Every key named like a secret is replaced at any depth, and
 * every URL in a string keeps its query parameter names but not their values (MCP server URLs may carry API keys).
 */

export const REDACTED = '[redacted]';

/** Key names (compared lower-cased, without `-` and `_`) whose values never reach a log line. */
const SECRET_KEYS = new Set([
  'authorization', 'proxyauthorization', 'cookie', 'setcookie', 'token', 'accesstoken', 'refreshtoken', 'idtoken', 'authtoken',
  'apikey', 'password', 'passwd', 'secret', 'clientsecret', 'privatekey', 'privatekeypem', 'codeverifier', 'binding',
  'signingkey', 'jobsigningkey', 'signature',
  // Cross-App Access: the ID token sent for exchange and the ID-JAG presented as a grant.
  'subjecttoken', 'assertion',
]);

const MAX_DEPTH = 12;
const MAX_ARRAY_ITEMS = 200;
const MAX_STRING_SCAN = 64 * 1024;
/** A URL with a query: everything after `?` up to a `#`, whitespace or quote. */
const URL_QUERY = /(https?:\/\/[^\s?#"'<>]*\?)([^\s#"'<>]*)/gi;

export const isSecretKey = (key: string): boolean => SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));

/** `https://h/p?key=abc&x=1` → `https://h/p?key=[redacted]&x=[redacted]` (names kept: they help, values may be keys). */
export function redactUrlQueries(text: string): string {
  if (text.length > MAX_STRING_SCAN || !text.includes('?')) return text;
  return text.replace(URL_QUERY, (_, head: string, query: string) =>
    head + query.split('&').map((pair) => (pair === '' ? pair : `${pair.split('=')[0]}=${REDACTED}`)).join('&'));
}

/** A copy of `value` with secrets and URL query values redacted, at any depth (cycles and depth bounded). */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactUrlQueries(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_ARRAY_ITEMS).map((v) => redactDeep(v, depth + 1, seen));
      if (value.length > MAX_ARRAY_ITEMS) items.push(`[${value.length - MAX_ARRAY_ITEMS} more]`);
      return items;
    }
    if (value instanceof Error) {
      return { name: value.name, message: redactUrlQueries(value.message), ...(value.stack ? { stack: redactUrlQueries(value.stack) } : {}) };
    }
    if (value instanceof Date || Buffer.isBuffer(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = isSecretKey(key) && v !== undefined && v !== null ? REDACTED : redactDeep(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}
