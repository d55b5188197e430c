// Access tokens of an external IdP as bearers (HARNESS_JWT_JWKS_URL): verified against a real JWKS served over HTTP.
// The identity mapping (HARNESS_JWT_LOGIN_PROVIDER) needs the auth service: test/e2e/external-jwt.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type KeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { loadConfig } from '@harness/config';
import type { AuthCommands } from '../../src/mcp-oauth/auth-commands.js';
import { ExternalTokenVerifier } from '../../src/auth/external-token.js';

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'harness-api';

let server: Server;
let jwksUrl: string;
let signingKey: KeyLike;
let otherKey: KeyLike;
let verifier: ExternalTokenVerifier;
let jwksAnswers = 0;

const noAuthService = null as unknown as AuthCommands;

async function token(claims: Record<string, unknown>, opts: { key?: KeyLike; alg?: string; exp?: string; kid?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: opts.alg ?? 'ES256', kid: opts.kid ?? 'k1' })
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(opts.key ?? signingKey);
}

const bearer = (t: string) => `Bearer ${t}`;
const good = (extra: Record<string, unknown> = {}) => token({ iss: ISSUER, aud: AUDIENCE, sub: 'svc-reporter', ...extra });

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = pair.privateKey;
  ({ privateKey: otherKey } = await generateKeyPair('ES256'));
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  server = createServer((req, res) => {
    jwksAnswers++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const config = loadConfig({ NODE_ENV: 'test', HARNESS_JWT_JWKS_URL: jwksUrl, HARNESS_JWT_ISSUER: ISSUER, HARNESS_JWT_AUDIENCE: AUDIENCE, HARNESS_OUTBOUND_ALLOWLIST: '' }, 'gateway');
  verifier = new ExternalTokenVerifier(config, noAuthService);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('ExternalTokenVerifier', () => {
  it('takes only bearers that name the external issuer (the rest go to the HS256 check)', async () => {
    expect(verifier.accepts(bearer(await good()))).toBe(true);
    expect(verifier.accepts(bearer(await token({ iss: 'https://other.test', aud: AUDIENCE, sub: 'x' })))).toBe(false);
    expect(verifier.accepts(bearer(await token({ aud: AUDIENCE, sub: 'x' })))).toBe(false);
    expect(verifier.accepts('Bearer hk_abc')).toBe(false);
    expect(verifier.accepts(undefined)).toBe(false);
    expect(verifier.accepts('Bearer not.a.jwt')).toBe(false);
  });

  it('a token signed by the IdP\'s key, for Harness, unexpired: the user is its sub (the JWKS host is allowed as configuration)', async () => {
    await expect(verifier.verify(bearer(await good()))).resolves.toBe('svc-reporter');
    expect(jwksAnswers).toBeGreaterThan(0);
  });

  it('refuses another audience, an expired token, another key, a symmetric or unsigned token, a bad sub', async () => {
    const unauthorized = (message: RegExp) => expect.objectContaining({ code: 'unauthorized', message: expect.stringMatching(message) });
    await expect(verifier.verify(bearer(await good({ aud: 'someone-else' })))).rejects.toEqual(unauthorized(/not valid/));
    await expect(verifier.verify(bearer(await token({ iss: ISSUER, aud: AUDIENCE, sub: 'a', exp: Math.floor(Date.now() / 1000) - 120 }, { exp: '-2m' })))).rejects.toEqual(unauthorized(/expired/));
    await expect(verifier.verify(bearer(await token({ iss: ISSUER, aud: AUDIENCE, sub: 'a' }, { key: otherKey })))).rejects.toEqual(unauthorized(/not valid/));
    const hs = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'a' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode('x'.repeat(32)));
    await expect(verifier.verify(bearer(hs))).rejects.toEqual(unauthorized(/not valid/));
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'a', exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url');
    await expect(verifier.verify(`Bearer ${header}.${payload}.x`)).rejects.toEqual(unauthorized(/not valid/));
    await expect(verifier.verify(bearer(await good({ sub: 'has space' })))).rejects.toEqual(unauthorized(/subject/));
  });

  it('an IdP whose keys cannot be fetched is 503, not 401 (the caller did nothing wrong)', async () => {
    const config = loadConfig({ NODE_ENV: 'test', HARNESS_JWT_JWKS_URL: 'http://127.0.0.1:1/jwks.json', HARNESS_JWT_ISSUER: ISSUER, HARNESS_JWT_AUDIENCE: AUDIENCE }, 'gateway');
    const down = new ExternalTokenVerifier(config, noAuthService);
    await expect(down.verify(bearer(await good()))).rejects.toEqual(expect.objectContaining({ code: 'service_unavailable' }));
  });
});
