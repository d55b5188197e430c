import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { ID_JAG_TYPE, ID_TOKEN_TYPE, signInOverHttp, startDevIdp, subjectFor, TOKEN_EXCHANGE_GRANT, type DevIdpHandle } from '../../src/index.js';

const REDIRECT = 'http://127.0.0.1:9/auth/callback/dev';
const AS = 'http://127.0.0.1:9/as';
const XAA = { clientId: 'harness', clientSecret: 'xaa-secret', redirectUris: [REDIRECT], crossAppAccess: { audiences: { [AS]: 'harness-at-as' } } };
const PLAIN = { clientId: 'plain', clientSecret: 'plain-secret', redirectUris: [REDIRECT] };

let idp: DevIdpHandle;
let tokenEndpoint: string;
let jwksUri: string;

beforeAll(async () => {
  idp = await startDevIdp({ port: 0, clients: [XAA, PLAIN] });
  const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  tokenEndpoint = discovery.token_endpoint as string;
  jwksUri = discovery.jwks_uri as string;
  expect(discovery.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
});
afterAll(() => idp.close());

const idTokenOf = async (username: string, client: { clientId: string; clientSecret: string } = XAA) =>
  (await signInOverHttp({ issuer: idp.issuer, clientId: client.clientId, clientSecret: client.clientSecret, redirectUri: REDIRECT, username })).idToken;

function exchange(params: Record<string, string>, client: { clientId: string; clientSecret: string } = XAA): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: ID_TOKEN_TYPE, requested_token_type: ID_JAG_TYPE, audience: AS, resource: 'http://127.0.0.1:9/mcp',
    client_id: client.clientId, client_secret: client.clientSecret, ...params,
  });
  return fetch(tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
}

test('an ID token it issued to the client is exchanged for an ID-JAG signed with its published key', async () => {
  const res = await exchange({ subject_token: await idTokenOf('alice'), scope: 'mcp:read' });
  expect(res.status).toBe(200);
  const answer = (await res.json()) as Record<string, unknown>;
  expect(answer).toMatchObject({ issued_token_type: ID_JAG_TYPE, token_type: 'N_A', expires_in: 300, scope: 'mcp:read' });
  const jag = answer.access_token as string;
  expect(decodeProtectedHeader(jag)).toMatchObject({ typ: 'oauth-id-jag+jwt', alg: 'RS256' });
  const { payload } = await jwtVerify(jag, createRemoteJWKSet(new URL(jwksUri)), { issuer: idp.issuer, audience: AS, typ: 'oauth-id-jag+jwt' });
  expect(payload).toMatchObject({ sub: subjectFor('alice'), resource: 'http://127.0.0.1:9/mcp', client_id: 'harness-at-as', scope: 'mcp:read' });
  expect(typeof payload.jti).toBe('string');
  expect(payload.exp! - payload.iat!).toBe(300);
});

test('refusals: another client\'s ID token, a forged or altered one, an unmapped audience, a client without Cross-App Access, wrong token types', async () => {
  const aliceForXaa = await idTokenOf('alice');
  const aliceForPlain = await idTokenOf('alice', PLAIN);
  const refused = async (params: Record<string, string>, client?: { clientId: string; clientSecret: string }) => {
    const res = await exchange(params, client);
    expect(res.status).toBe(400);
    return ((await res.json()) as { error: string }).error;
  };
  expect(await refused({ subject_token: aliceForPlain })).toBe('invalid_grant'); // aud is another client
  const [h, p, s] = aliceForXaa.split('.');
  const altered = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
  altered.sub = subjectFor('mallory');
  expect(await refused({ subject_token: [h, Buffer.from(JSON.stringify(altered)).toString('base64url'), s].join('.') })).toBe('invalid_grant');
  expect(await refused({ subject_token: 'not-a-jwt' })).toBe('invalid_grant');
  expect(await refused({ subject_token: aliceForXaa, audience: 'http://127.0.0.1:9/other-as' })).toBe('invalid_target');
  expect(await refused({ subject_token: aliceForXaa, resource: '' })).toMatch(/invalid_target|invalid_request/);
  expect(await refused({ subject_token: aliceForXaa, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' })).toBe('invalid_request');
  expect(await refused({ subject_token: aliceForXaa, requested_token_type: 'urn:ietf:params:oauth:token-type:access_token' })).toBe('invalid_request');
  const plainRes = await exchange({ subject_token: aliceForPlain }, PLAIN);
  expect([400, 401]).toContain(plainRes.status);
  expect(((await plainRes.json()) as { error: string }).error).toMatch(/unauthorized_client|invalid_request/);
  const wrongSecret = await exchange({ subject_token: aliceForXaa }, { clientId: XAA.clientId, clientSecret: 'wrong' });
  expect(wrongSecret.status).toBe(401);
});
