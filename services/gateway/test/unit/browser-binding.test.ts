import type { ServerResponse } from 'node:http';
import { loadConfig } from '@harness/config';
import { BrowserBinding } from '../../src/mcp-oauth/browser-binding.js';
import type { HttpRequest } from '../../src/http/types.js';

const env = {
  NODE_ENV: 'test',
  DATABASE_URL: 'postgres://localhost/unused',
  HARNESS_ENCRYPTION_KEY: 'a'.repeat(64),
  HARNESS_JWT_SECRET: 'test-secret-of-enough-length',
};

const request = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as unknown as HttpRequest;

function response() {
  const headers: Record<string, string> = {};
  return { headers, res: { setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value) } as unknown as ServerResponse };
}

describe('MCP OAuth browser binding cookie', () => {
  it('start issues a random value in an HttpOnly, Lax cookie scoped to the OAuth routes, living as long as a state; Secure on https', () => {
    const binding = new BrowserBinding(loadConfig({ ...env, PUBLIC_URL: 'https://harness.example.com', HARNESS_OAUTH_STATE_TTL_MS: '300500' }));
    const { headers, res } = response();
    const value = binding.forStart(request(), res);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(headers['set-cookie']).toBe(`harness_oauth_binding=${value}; Path=/v1/mcp/oauth; Max-Age=301; HttpOnly; SameSite=Lax; Secure`);
    const other = response();
    expect(binding.forStart(request(), other.res)).not.toBe(value);
  });

  it('keeps a valid cookie (several popups of one browser), replaces anything else, and reads back only well-formed values', () => {
    const binding = new BrowserBinding(loadConfig({ ...env, PUBLIC_URL: 'http://localhost:3000', HARNESS_OAUTH_REDIRECT_URL: 'http://localhost:3000/api/v1/mcp/oauth/callback' }));
    const valid = 'A'.repeat(43);
    const { headers, res } = response();
    expect(binding.forStart(request(`theme=dark; harness_oauth_binding=${valid}`), res)).toBe(valid);
    expect(headers['set-cookie']).toBe(`harness_oauth_binding=${valid}; Path=/api/v1/mcp/oauth; Max-Age=600; HttpOnly; SameSite=Lax`);
    for (const planted of ['short', `${valid}A`, `${valid.slice(0, 42)}=`, '']) {
      expect(binding.atCallback(request(`harness_oauth_binding=${planted}`))).toBeUndefined();
      expect(binding.forStart(request(`harness_oauth_binding=${planted}`), response().res)).not.toBe(planted);
    }
    expect(binding.atCallback(request())).toBeUndefined();
    expect(binding.atCallback(request(`harness_oauth_binding=${valid}`))).toBe(valid);
  });
});
