// Cross-App Access end to end: a person signs in through the dev IdP's page (the gateway's real OIDC login, the dev
// IdP acting as the enterprise IdP), creates a harness with an MCP server whose authorization server trusts that IdP,
// and a run's tool call succeeds with no connect step: the auth service exchanged the session's ID token for an ID-JAG
// and redeemed it (no /authorize, no consent screen).
import { randomBytes } from 'node:crypto';
import { startSystem, type System } from '@harness/testing';
import { subjectFor } from '../../tools/dev-idp/src/index.js';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';
import { assertWellFormed, Client, readUntilTerminals, sim } from './support/client.js';
import { Browser, signInWithDevIdp } from './support/sign-in.js';

let as: OAuthTestServerHandle;
let system: System;
const asSecret = randomBytes(18).toString('base64url');

beforeAll(async () => {
  as = await startOAuthTestServer({ separateAuthorizationServer: true, registration: false, preRegisteredClients: [{ clientId: 'harness-at-as', clientSecret: asSecret }] });
  system = await startSystem({
    label: 'cross-app-access',
    devIdpCrossAppAccess: { [as.issuer]: 'harness-at-as' },
    env: { HARNESS_OAUTH_CLIENTS: JSON.stringify([{ issuer: as.issuer, servers: [as.url], clientId: 'harness-at-as', clientSecret: asSecret }]) },
  });
  const idp = system.devIdp!;
  const { jwks_uri: jwksUrl } = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  as.knobs.trustedIdps = [{ issuer: idp.issuer, jwksUrl }];
}, 90_000);

afterAll(async () => {
  await system?.stop();
  await as?.close();
});

it('signed in with the enterprise IdP, a tool of a server trusting it works at once: no connect step', async () => {
  const gw = system.gatewayUrl;
  const browser = new Browser();
  const { callback } = await signInWithDevIdp(browser, gw, 'alice');
  expect(callback.status).toBe(302);
  // The person's program: an API key made with the session (as the web app would), then the API with it.
  const made = await browser.request(`${gw}/v1/api-keys`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: new URL(gw).origin, 'x-harness-client': 'web' }, body: JSON.stringify({ name: 'xaa' }),
  });
  expect(made.status).toBe(201);
  const alice = new Client(system, ((await made.json()) as { key: string }).key);

  const harnessId = (await alice.createHarness({ mcpServers: [{ name: 'corp', url: as.url, authType: 'oauth' }] })).id;
  // "Connect" connects at once; the answer still has the authorizationUrl api.md promises: a page that only tells the
  // opener "connected" (a client that ignores `status` opens it and gets the message it waits for).
  const started = await alice.call('POST', '/v1/mcp/oauth/start', { serverUrl: as.url });
  expect(started.status).toBe(200);
  expect(started.body).toEqual({ status: 'connected', serverUrl: as.url, nonce: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/), authorizationUrl: expect.any(String) });
  expect(started.body.authorizationUrl.startsWith(`${gw}/v1/mcp/oauth/connected?`)).toBe(true);
  const page = await fetch(started.body.authorizationUrl);
  const html = await page.text();
  expect(page.status).toBe(200);
  expect(html).toContain('Account connected');
  expect(html).toContain(`"nonce":"${started.body.nonce}"`);
  expect(html).toContain('"status":"connected"');
  const tools = await alice.call('GET', `/v1/harnesses/${harnessId}/tools`);
  expect(tools.status).toBe(200);
  expect(tools.body.errors).toEqual([]);
  expect(tools.body.items.map((t: { name: string }) => t.name).sort()).toEqual(['admin', 'echo', 'whoami']);

  const conv = (await alice.createConversation(harnessId)).id;
  const stream = await alice.events(conv, { after: 0 });
  await alice.send(conv, sim('use tools', { toolCalls: [{ name: 'whoami', arguments: {} }] }));
  const events = await readUntilTerminals(stream, 1, 30_000);
  stream.close();
  assertWellFormed(events);
  expect(events.filter((e) => e.chunk.type === 'data-mcp-auth')).toEqual([]);
  expect(events.filter((e) => e.chunk.type === 'tool-output-error')).toEqual([]);
  const outputs = events.filter((e) => e.chunk.type === 'tool-output-available');
  expect(outputs).toHaveLength(1);
  expect(JSON.stringify(outputs[0]!.chunk.output)).toContain('harness-at-as');

  // No authorization request, no consent: one jwt-bearer grant, for alice's identity at the IdP.
  expect(as.stats.authorizeCalls).toBe(0);
  expect(as.stats.jwtBearerGrants).toEqual([expect.objectContaining({ clientId: 'harness-at-as', subject: subjectFor('alice'), resource: as.url })]);
  const status = await alice.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(as.url)}`);
  expect(status.body).toMatchObject({ status: 'connected' });
});
