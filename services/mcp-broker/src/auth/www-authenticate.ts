/** The parameters of a Bearer challenge (RFC 6750 §3): `error`, `scope`, `resource_metadata`, … (lower-cased names). */
export function parseBearerChallenge(header: string | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  if (!header) return params;
  const bearer = /(?:^|,)\s*bearer\b/i.exec(header);
  if (!bearer) return params;
  const rest = header.slice(bearer.index + bearer[0].length);
  const param = /\s*,?\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/gy;
  for (let m = param.exec(rest); m; m = param.exec(rest)) {
    const name = m[1]!.toLowerCase();
    // The next scheme of a multi-challenge header ends this one.
    if (!(name in params)) params[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return params;
}
