// Cross-App Access (SEP-990) in the auth service, over NATS with real servers: the dev IdP as the enterprise IdP (a
// real OpenID Connect provider; the user signs in there over HTTP and the session is opened with auth.cmd.sign-in
// carrying that ID token, as the gateway's callback does), oauth-test-server authorization servers that trust it (or
// not), and the MCP server behind them. The access-token and start commands connect the user without any
// authorization URL; each fallback (no session, a provider without Cross-App Access, the IdP refusing the exchange,
// the authorization server refusing the grant) gives the normal "connect" answer; no token in clear in the database
// or the logs.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { waitFor } from '@harness/testing';
import { signInOverHttp, startDevIdp, type DevIdpHandle } from '../../tools/dev-idp/src/index.js';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';
import { authorizationOf, ok, scanDatabase, startAuthSystem, type AuthSystem } from './support/auth-oauth.js';

const REDIRECT = 'http://127.0.0.1:9/auth/callback/corp';
const idpSecret = randomBytes(18).toString('base64url');
const plainSecret = randomBytes(18).toString('base64url');
const asSecrets = { trusting: randomBytes(18).toString('base64url'), untrusting: randomBytes(18).toString('base64url'), unmapped: randomBytes(18).toString('base64url') };

let idp: DevIdpHandle;
/** Trusts the IdP; the IdP issues grants for it. */
let trusting: OAuthTestServerHandle;
/** Advertises the jwt-bearer grant but trusts another IdP: refuses the grant. */
let untrusting: OAuthTestServerHandle;
/** Trusts the IdP, but the IdP has no mapping for it: the IdP refuses the exchange. */
let unmapped: OAuthTestServerHandle;
let sys: AuthSystem;
/** Every token handed out in these tests: none may be in clear in the database or the logs. */
const tokens: string[] = [];

beforeAll(async () => {
  const asOptions = { separateAuthorizationServer: true, registration: false };
  trusting = await startOAuthTestServer({ ...asOptions, preRegisteredClients: [{ clientId: 'harness-at-trusting', clientSecret: asSecrets.trusting }] });
  untrusting = await startOAuthTestServer({ ...asOptions, preRegisteredClients: [{ clientId: 'harness-at-untrusting', clientSecret: asSecrets.untrusting }] });
  unmapped = await startOAuthTestServer({ ...asOptions, preRegisteredClients: [{ clientId: 'harness-at-unmapped', clientSecret: asSecrets.unmapped }] });
  idp = await startDevIdp({
    port: 0,
    clients: [
      {
        clientId: 'harness-corp', clientSecret: idpSecret, redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_basic',
        crossAppAccess: { audiences: { [trusting.issuer]: 'harness-at-trusting', [untrusting.issuer]: 'harness-at-untrusting' } },
      },
      { clientId: 'harness-plain', clientSecret: plainSecret, redirectUris: [REDIRECT] },
    ],
  });
  const jwksUrl = ((await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string }).jwks_uri;
  trusting.knobs.trustedIdps = [{ issuer: idp.issuer, jwksUrl }];
  unmapped.knobs.trustedIdps = [{ issuer: idp.issuer, jwksUrl }];
  untrusting.knobs.trustedIdps = [{ issuer: 'http://127.0.0.1:9/another-idp', jwksUrl: `${idp.issuer}/not-its-keys` }];

  const loginProviders = [
    { id: 'corp', type: 'oidc', name: 'Corp', issuer: idp.issuer, clientId: 'harness-corp', clientSecret: idpSecret, crossAppAccess: { enabled: true } },
    { id: 'plain', type: 'oidc', name: 'Plain', issuer: idp.issuer, clientId: 'harness-plain', clientSecret: plainSecret, tokenEndpointAuthMethod: 'client_secret_post' },
  ];
  const clients = [
    { issuer: trusting.issuer, servers: [trusting.url], clientId: 'harness-at-trusting', clientSecret: asSecrets.trusting },
    { issuer: untrusting.issuer, servers: [untrusting.url], clientId: 'harness-at-untrusting', clientSecret: asSecrets.untrusting },
    { issuer: unmapped.issuer, servers: [unmapped.url], clientId: 'harness-at-unmapped', clientSecret: asSecrets.unmapped },
  ];
  sys = await startAuthSystem('auth-xaa', 1, {
    env: { HARNESS_LOGIN_PROVIDERS: JSON.stringify(loginProviders), HARNESS_OAUTH_CLIENTS: JSON.stringify(clients), LOG_LEVEL: 'trace' },
  });
}, 90_000);

afterAll(async () => {
  await sys?.stop();
  await Promise.all([idp?.close(), trusting?.close(), untrusting?.close(), unmapped?.close()]);
});

/** A person signs in at the IdP over HTTP; the auth service opens the session with that ID token, as the gateway's callback has it do. */
async function signedIn(username: string, provider: 'corp' | 'plain' = 'corp'): Promise<{ userId: string; sub: string; idToken: string }> {
  const client = provider === 'corp'
    ? { clientId: 'harness-corp', clientSecret: idpSecret, tokenEndpointAuthMethod: 'client_secret_basic' as const }
    : { clientId: 'harness-plain', clientSecret: plainSecret };
  const { idToken } = await signInOverHttp({ issuer: idp.issuer, redirectUri: REDIRECT, username, ...client });
  tokens.push(idToken);
  const sub = decodeJwt(idToken).sub!;
  const r = ok(await sys.auth.signIn({
    providerId: provider, subject: sub, idToken, profile: { name: username, email: `${username}@dev.local`, emailVerified: true, avatarUrl: null },
  }), 'sign-in');
  tokens.push(r.sessionToken);
  return { userId: r.user.id, sub, idToken };
}

async function accessToken(userId: string, serverUrl: string, extra: { rejected?: boolean; rejectedVersion?: number } = {}) {
  const answer = ok(await sys.auth.accessToken({ userId, serverUrl, ...extra }), 'access-token');
  if (answer.status === 'connected') tokens.push(answer.accessToken);
  return answer;
}

/** The MCP server answers an `initialize` carrying the token (what the broker will send). */
async function mcpAccepts(serverUrl: string, token: string): Promise<number> {
  const res = await fetch(serverUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });
  await res.text();
  return res.status;
}

const jwtBearerCalls = (as: OAuthTestServerHandle) => as.stats.tokenRequests.filter((r) => r.grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer');

describe('Cross-App Access', () => {
  test('access-token: connected without any authorization URL; the MCP server accepts the token, issued for the signed-in person', async () => {
    const alice = await signedIn('alice');
    const answer = await accessToken(alice.userId, trusting.url);
    expect(answer.status).toBe('connected');
    if (answer.status !== 'connected') return;
    expect(trusting.stats.authorizeCalls).toBe(0);
    expect(trusting.stats.jwtBearerGrants).toEqual([
      { clientId: 'harness-at-trusting', subject: alice.sub, issuer: idp.issuer, resource: trusting.url, jti: expect.any(String) },
    ]);
    expect(jwtBearerCalls(trusting)).toEqual([expect.objectContaining({ clientId: 'harness-at-trusting', authMethod: 'client_secret_basic', outcome: 'ok' })]);
    expect(trusting.accessTokenSubject(answer.accessToken)).toBe(alice.sub);
    const before = trusting.stats.mcpRequests;
    expect(await mcpAccepts(trusting.url, answer.accessToken)).toBe(200);
    expect(trusting.stats.mcpRequests).toBe(before + 1);
    expect(ok(await sys.auth.status({ userId: alice.userId, serverUrl: trusting.url }))).toMatchObject({ status: 'connected' });

    // Cached like any token: asked again, the same one, no new exchange.
    const again = await accessToken(alice.userId, trusting.url);
    expect(again).toMatchObject({ status: 'connected', accessToken: answer.accessToken, version: answer.version });
    expect(trusting.stats.jwtBearerGrants).toHaveLength(1);

    // Expired or refused, with no refresh token: the exchange is done again with the session's ID token.
    trusting.expireAccessTokens();
    const renewed = await accessToken(alice.userId, trusting.url, { rejected: true, rejectedVersion: answer.version });
    expect(renewed.status).toBe('connected');
    if (renewed.status !== 'connected') return;
    expect(renewed.accessToken).not.toBe(answer.accessToken);
    expect(trusting.stats.jwtBearerGrants).toHaveLength(2);
    expect(await mcpAccepts(trusting.url, renewed.accessToken)).toBe(200);
    expect(trusting.stats.authorizeCalls).toBe(0);
  });

  test('start: connected at once for a user with the IdP session; the tokens are per user', async () => {
    const bob = await signedIn('bob');
    const started = ok(await sys.auth.start({ userId: bob.userId, serverUrl: trusting.url, binding: randomBytes(32).toString('base64url') }), 'start');
    expect(started).toEqual({ status: 'connected', serverUrl: trusting.url });
    const answer = await accessToken(bob.userId, trusting.url);
    expect(answer.status).toBe('connected');
    if (answer.status !== 'connected') return;
    expect(trusting.accessTokenSubject(answer.accessToken)).toBe(bob.sub);
    expect(trusting.stats.authorizeCalls).toBe(0);
  });

  test('status: a user with the IdP session reads "connected" before any tool call (the connection is made then)', async () => {
    const carol = await signedIn('carol');
    const grants = trusting.stats.jwtBearerGrants.length;
    expect(ok(await sys.auth.status({ userId: carol.userId, serverUrl: trusting.url }))).toMatchObject({ status: 'connected' });
    expect(trusting.stats.jwtBearerGrants.slice(grants)).toEqual([expect.objectContaining({ subject: carol.sub })]);
    // Asked again: the stored connection, no new exchange.
    expect(ok(await sys.auth.status({ userId: carol.userId, serverUrl: trusting.url }))).toMatchObject({ status: 'connected' });
    expect(trusting.stats.jwtBearerGrants).toHaveLength(grants + 1);
    // Without such a session: disconnected, as before.
    expect(ok(await sys.auth.status({ userId: 'no-idp-session', serverUrl: trusting.url }))).toEqual({ status: 'disconnected' });
  });

  test('fallbacks: no session, a provider without Cross-App Access, the IdP refusing the exchange, the authorization server refusing the grant → the normal "connect" answer', async () => {
    const expectConnectPrompt = (answer: Awaited<ReturnType<typeof accessToken>>) => {
      expect(answer.status).toBe('disconnected');
      if (answer.status === 'connected') return;
      expect(answer.authorizationUrl).toBeDefined();
      expect(new URL(answer.authorizationUrl!).searchParams.get('code_challenge_method')).toBe('S256');
    };
    const grantsBefore = trusting.stats.jwtBearerGrants.length;

    // No session at all.
    expectConnectPrompt(await accessToken('u_nosessionuseratall2', trusting.url));
    // Signed in with a provider that has no Cross-App Access (same IdP, another client).
    const carol = await signedIn('carol', 'plain');
    expectConnectPrompt(await accessToken(carol.userId, trusting.url));
    expect(trusting.stats.jwtBearerGrants).toHaveLength(grantsBefore);
    expect(jwtBearerCalls(trusting)).toHaveLength(grantsBefore); // nothing for these users

    const dave = await signedIn('dave');
    // The IdP has no grant policy for this authorization server: it refuses; the authorization server is never asked.
    expectConnectPrompt(await accessToken(dave.userId, unmapped.url));
    expect(jwtBearerCalls(unmapped)).toEqual([]);
    // The authorization server does not trust the IdP: it refuses the grant.
    expectConnectPrompt(await accessToken(dave.userId, untrusting.url));
    expect(jwtBearerCalls(untrusting)).toEqual([expect.objectContaining({ clientId: 'harness-at-untrusting', outcome: 'invalid_grant' })]);
    // The start command falls back the same way (an authorization URL to follow).
    const started = authorizationOf(ok(await sys.auth.start({ userId: dave.userId, serverUrl: untrusting.url, binding: randomBytes(32).toString('base64url') })));
    expect(new URL(started.authorizationUrl).origin).toBe(new URL(untrusting.issuer).origin);
    // A session whose ID token has expired: not exchanged (the IdP is not asked), the normal answer.
    const expired = ['eyJhbGciOiJSUzI1NiJ9', Buffer.from(JSON.stringify({ iss: idp.issuer, sub: 'erin', aud: 'harness-corp', exp: Math.floor(Date.now() / 1000) - 60 })).toString('base64url'), 'c2ln'].join('.');
    tokens.push(expired);
    const erin = ok(await sys.auth.signIn({ providerId: 'corp', subject: 'erin-sub', idToken: expired, profile: { name: 'erin', email: null, emailVerified: false, avatarUrl: null } }));
    expectConnectPrompt(await accessToken(erin.user.id, trusting.url));
    await waitFor(() => readFileSync(sys.system.logFile, 'utf8').split('\n').some((l) => l.includes(erin.user.id) && l.includes('no live session with an unexpired ID token')), {
      timeoutMs: 10_000, intervalMs: 50, description: 'the log line of a session without a usable ID token',
    });
    // The same user still gets Cross-App Access where it works.
    expect((await accessToken(dave.userId, trusting.url)).status).toBe('connected');
  });

  test('no token in clear in the database nor in the logs', async () => {
    const secrets = [...tokens, ...trusting.issuedAccessTokens(), idpSecret, plainSecret, ...Object.values(asSecrets)];
    expect(tokens.length).toBeGreaterThan(8);
    const scan = await scanDatabase(sys.system.databaseUrl, secrets);
    expect(scan.findings).toEqual([]);
    await waitFor(() => readFileSync(sys.system.logFile, 'utf8').includes('connected by Cross-App Access'), { timeoutMs: 10_000, intervalMs: 50, description: 'the Cross-App Access log line' });
    const log = readFileSync(sys.system.logFile, 'utf8');
    expect(log).toContain('Cross-App Access failed with this provider');
    const leaked = secrets.filter((t) => [t, Buffer.from(t).toString('base64url')].some((form) => log.includes(form)) || (t.split('.').length === 3 && log.includes(t.split('.')[1]!)));
    expect(leaked).toEqual([]);
  });
});
