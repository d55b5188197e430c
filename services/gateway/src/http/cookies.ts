/** The value of cookie `name` in a Cookie header (the first one), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Adds a Set-Cookie header, keeping those already set on the response. */
export function appendSetCookie(res: { getHeader(name: string): unknown; setHeader(name: string, value: string[]): unknown }, cookie: string): void {
  const current = res.getHeader('set-cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
  res.setHeader('set-cookie', [...list, cookie]);
}
