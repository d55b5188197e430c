// The gateway serves the built web app (apps/web/dist) at `/`: the page with its CSP and no-cache for every client
// route, hashed assets cached for a year, and never the page where the API or a missing file is asked for.
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { repoRoot, startSystem, type System } from '@harness/testing';

describe('the web app served by the gateway', () => {
  let system: System;
  let gw: string;

  beforeAll(async () => {
    system = await startSystem({ label: 'web-serving', services: ['gateway'] });
    gw = system.gatewayUrl;
  }, 90_000);
  afterAll(() => system?.stop());

  it.each(['/', '/c/6f1d2c3e-0000-4000-8000-000000000000', '/harnesses/new', '/some/unknown/route'])('answers %s with the app page, its CSP and no-cache', async (path) => {
    const res = await fetch(gw + path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('<div id="root"></div>');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script: the CSP would refuse it
  });

  it('serves the hashed assets the page names, immutable for a year', async () => {
    const html = await (await fetch(gw + '/')).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    const res = await fetch(gw + script);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const onDisk = readdirSync(join(repoRoot, 'apps/web/dist/assets'));
    expect(onDisk).toContain(script.slice('/assets/'.length));
  });

  /** A raw GET (fetch would decode the body and hide Content-Encoding). */
  const rawGet = (path: string, acceptEncoding: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const req = request(gw + path, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });

  it('sends the precompressed script the browser accepts (Brotli first), the same bytes once decoded', async () => {
    const html = await (await fetch(gw + '/')).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    const plain = readFileSync(join(repoRoot, 'apps/web/dist', script));

    const br = await rawGet(script, 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['vary']).toMatch(/Accept-Encoding/i);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(brotliDecompressSync(br.body).equals(plain)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.length / 2);

    const gz = await rawGet(script, 'gzip, br;q=0');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain)).toBe(true);

    const identity = await rawGet(script, 'identity');
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body.equals(plain)).toBe(true);
  });

  it('answers a missing asset 404, not with the page', async () => {
    for (const path of ['/assets/index-missing.js', '/missing.png']) {
      const res = await fetch(gw + path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type') ?? '').not.toMatch(/^text\/html/);
    }
  });

  it('leaves the API and the operations endpoints to the API', async () => {
    const unknown = await fetch(gw + '/v1/no-such-endpoint', { headers: { authorization: `Bearer ${await system.token('u-web-serving')}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: expect.any(String) } });
    const me = await fetch(gw + '/v1/me');
    expect(me.status).toBe(401);
    const health = await fetch(gw + '/healthz');
    expect(health.headers.get('content-type')).toMatch(/json/);
  });

  it('does not answer writes with the page', async () => {
    const res = await fetch(gw + '/c/some', { method: 'POST' });
    expect(res.status).not.toBe(200);
  });
});
