export interface WwwAuthenticate {
  /** `resource_metadata`: where the protected resource metadata is (RFC 9728 §5.1). */
  resourceMetadata?: string;
  /** `scope` the server asks for. */
  scope?: string;
  /** `error`, e.g. `invalid_token` or `insufficient_scope`. */
  error?: string;
}

/**
 * Reads the Bearer challenge of a `WWW-Authenticate` header (RFC 6750 §3): quoted or token values, any order,
 * other schemes ignored. An invalid `resource_metadata` URL is dropped.
 */
export function parseWwwAuthenticate(header: string | undefined): WwwAuthenticate {
  if (!header) return {};
  const bearer = /(?:^|,)\s*Bearer(?:\s+|$)/i.exec(header);
  if (!bearer) return {};
  const rest = header.slice(bearer.index + bearer[0].length);
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest)) !== null) {
    const key = m[1].toLowerCase();
    if (!(key in params)) params[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    if (re.lastIndex >= rest.length) break;
  }
  const out: WwwAuthenticate = {};
  if (params.resource_metadata) {
    try {
      out.resourceMetadata = new URL(params.resource_metadata).href;
    } catch {
      // Not a URL: ignored (well-known discovery follows).
    }
  }
  if (params.scope) out.scope = params.scope;
  if (params.error) out.error = params.error;
  return out;
}
