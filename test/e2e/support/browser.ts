/**
 * A browser's cookies for one site, as far as the e2e tests need them: what `Set-Cookie` answers gave it (name, value,
 * Path, Max-Age=0 deletes), sent back as a `Cookie` header on requests whose path is under the cookie's Path.
 */
export class BrowserCookies {
  private readonly jar = new Map<string, { value: string; path: string }>();

  /** Keeps the cookies an answer set. */
  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((p) => p.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const attr = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key.toLowerCase()}=`))?.split('=')[1];
      if (attr('Max-Age') === '0') this.jar.delete(name);
      else this.jar.set(name, { value: pair!.slice(eq + 1), path: attr('Path') ?? '/' });
    }
  }

  /** The `Cookie` header for a request to `path` (empty object when no cookie applies). */
  headersFor(path: string): Record<string, string> {
    const pathname = path.split('?')[0]!;
    const sent = [...this.jar].filter(([, c]) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`));
    return sent.length ? { cookie: sent.map(([name, c]) => `${name}=${c.value}`).join('; ') } : {};
  }

  get(name: string): string | undefined {
    return this.jar.get(name)?.value;
  }
}
