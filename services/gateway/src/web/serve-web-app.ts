import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from '@harness/logging';
import serveStatic from 'serve-static';
import type { HttpRequest, HttpResponse } from '../http/types.js';

/** Paths that belong to the API and the gateway's own pages: never answered with the app. */
const NOT_THE_APP = /^\/(v1|auth|admin|oauth|\.well-known)(\/|$)|^\/(healthz|readyz|metrics)$/;

/**
 * The app's Content-Security-Policy: its own scripts, styles and API only. No inline script or style (the build
 * emits none), no images from elsewhere (a model's markdown cannot make the browser fetch an outside URL, so it
 * cannot carry data out), no framing.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin-allow-popups',
};

const COMPRESSIBLE = /\.(js|css|svg|json)$/;
const ENCODED_SUFFIX = /(\.br|\.gz)$/;
const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json; charset=utf-8',
};
const contentTypeOf = (path: string): string => CONTENT_TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';

/** Whether the browser accepts this encoding (a q=0 refuses it). */
function accepts(acceptEncoding: string, coding: string): boolean {
  return acceptEncoding.split(',').some((part) => {
    const [name, ...params] = part.trim().split(';');
    if (name.trim().toLowerCase() !== coding) return false;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return q === undefined || Number(q) > 0;
  });
}

/** `.br` or `.gz` when the build wrote that sibling of an asset and the browser accepts it (Brotli first). */
function precompressedFor(dir: string, path: string, acceptEncoding: string | string[] | undefined): '.br' | '.gz' | undefined {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : (acceptEncoding ?? '');
  if (path.includes('..')) return undefined;
  for (const [suffix, coding] of [['.br', 'br'], ['.gz', 'gzip']] as const) {
    if (accepts(header, coding) && existsSync(join(dir, `${path}${suffix}`))) return suffix;
  }
  return undefined;
}

/** apps/web/dist of the checkout this gateway runs from (services/gateway/dist/web → ../../../../apps/web/dist). */
export function defaultWebDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../../apps/web/dist');
}

/** index.html, re-read when the file changes (a rebuild while the gateway runs names new hashed assets). */
class IndexPage {
  private cached: { mtimeMs: number; body: Buffer } | undefined;
  constructor(private readonly path: string) {}

  read(): Buffer | undefined {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
    } catch {
      return undefined;
    }
    if (this.cached?.mtimeMs !== mtimeMs) this.cached = { mtimeMs, body: readFileSync(this.path) };
    return this.cached.body;
  }
}

/**
 * Serves the built web app at `/`: hashed files under /assets/ cached for a year (immutable), other files for five
 * minutes, and index.html (no-cache, with the CSP) for every other GET that is not the API's — the app's client
 * routes (/c/:id, /harnesses/…) load it and route in the browser.
 */
export function mountWebApp(app: NestExpressApplication, webDir: string | undefined, logger: Logger): void {
  const dir = webDir ?? defaultWebDir();
  const index = new IndexPage(join(dir, 'index.html'));
  if (!existsSync(join(dir, 'index.html'))) {
    logger.warn({ webDir: dir }, 'the web app is not built (no index.html): `npm run build` builds it; / answers 503 until then');
  }
  const files = serveStatic(dir, {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
    setHeaders: (res, path) => {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      const encoded = ENCODED_SUFFIX.exec(path);
      if (encoded) {
        // Set before serve-static's own Content-Type, which then keeps it: the type of the file, not of its encoding.
        res.setHeader('content-encoding', encoded[1] === '.br' ? 'br' : 'gzip');
        res.setHeader('content-type', contentTypeOf(path.slice(0, -encoded[1].length)));
      }
      if (COMPRESSIBLE.test(path.replace(ENCODED_SUFFIX, ''))) res.setHeader('vary', 'Accept-Encoding');
      const immutable = path.startsWith(join(dir, 'assets') + '/');
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    },
  });

  app.use((req: HttpRequest, res: HttpResponse, next: (err?: unknown) => void) => {
    const path = (req.url ?? '/').split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_THE_APP.test(path)) return next();
    const encoding = path.startsWith('/assets/') && COMPRESSIBLE.test(path) ? precompressedFor(dir, path, req.headers['accept-encoding']) : undefined;
    if (encoding) req.url = `${path}${encoding}`;
    files(req, res, (err?: unknown) => {
      if (err) return next(err);
      // A missing file is a 404, never the page (a stale tab must not parse HTML as JavaScript).
      if (path.startsWith('/assets/') || /\.[a-z0-9]{1,8}$/i.test(path)) return next();
      const body = index.read();
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      res.setHeader('content-security-policy', WEB_APP_CSP);
      res.setHeader('cache-control', 'no-cache');
      if (!body) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('The Harness web app is not built. Run `npm run build`, then reload.\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
}
