import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startSystem, waitFor, type System } from '@harness/testing';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';
import { scanDatabase } from '../integration/support/auth-oauth.js';
import { assertWellFormed, Client, readUntilTerminals, sim, type StreamEvent } from './support/client.js';

const SECRET = 'svc-secret-0a6f1c9e2d4b8a7f3e5c';
const TTL_SHORT_MS = 2_500;

const keyPair = (type: 'rsa' | 'ec') => {
  const { privateKey, publicKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};
/** The base64 body of a PEM (what a leak would show), without its armour lines. */
const pemBody = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');

const ofType = (events: StreamEvent[], type: string) => events.filter((e) => e.chunk.type === type);

async function runTools(client: Client, harnessId: string, toolCalls: unknown[]): Promise<StreamEvent[]> {
  const conv = (await client.createConversation(harnessId)).id;
  const stream = await client.events(conv, { after: 0 });
  await client.send(conv, sim('use tools', { toolCalls }));
  const events = await readUntilTerminals(stream, 1, 30_000);
  stream.close();
  assertWellFormed(events);
  return events;
}

/**
 * MCP servers with a service identity (`authType: "client_credentials"`), all of it real: the gateway stores the
 * client (secret or key encrypted), the broker asks the auth service for the token, the auth service discovers the
 * authorization server of tools/oauth-test-server and requests the token with client_secret_basic or
 * private_key_jwt (RFC 7523, EC and RSA keys), caches it, and asks again on 401 and ahead of expiry.
 */
describe('MCP client credentials end to end', () => {
  let system: System;
  let as: OAuthTestServerHandle;
  let alice: Client;
  let nc: NatsConnection;
  /** Copies of the broker's token requests to the auth service (a plain subscription: it never answers). */
  const tokenAsks: { rejected?: boolean; wwwAuthenticate?: string }[] = [];
  const ec = keyPair('ec');
  const rsa = keyPair('rsa');
  const issued = () => as.stats.tokenRequests.filter((r) => r.grantType === 'client_credentials');

  beforeAll(async () => {
    as = await startOAuthTestServer({
      tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'],
      preRegisteredClients: [
        { clientId: 'svc-basic', clientSecret: SECRET, grantTypes: ['client_credentials'] },
        { clientId: 'svc-ec', publicKeyPem: ec.publicPem, grantTypes: ['client_credentials'] },
        { clientId: 'svc-rsa', publicKeyPem: rsa.publicPem, grantTypes: ['client_credentials'] },
      ],
    });
    system = await startSystem({ label: 'mcp-client-credentials', env: { HARNESS_OAUTH_REFRESH_SKEW_MS: '500', HARNESS_RATE_LIMIT_TOOL_LISTS: 'off' } });
    alice = await Client.as(system, 'alice');
    nc = await connect({ ...system.natsConnectOptions('test'), name: 'e2e-client-credentials-log' });
    nc.subscribe(`${system.natsNamespace}.v1.auth.cmd.client-credentials-token`, {
      callback: (err, msg) => {
        if (!err) tokenAsks.push(msg.json<{ data: { rejected?: boolean; wwwAuthenticate?: string } }>().data);
      },
    });
    await nc.flush();
  }, 90_000);

  afterAll(async () => {
    await nc?.drain().catch(() => undefined);
    await system?.stop();
    await as?.close();
  });

  const server = (fields: Record<string, unknown>) => ({ name: 'svc', url: as.url, authType: 'client_credentials', ...fields });

  it('stores the client write-only: the API shows the client id and whether a secret or key is stored', async () => {
    const created = await alice.call('POST', '/v1/harnesses', {
      name: 'svc', model: 'sim/echo', mcpServers: [server({ clientId: 'svc-basic', clientSecret: SECRET }), { ...server({ clientId: 'svc-ec', privateKeyPem: ec.privatePem }), name: 'svc2' }],
    });
    expect(created.status).toBe(201);
    expect(created.body.mcpServers).toEqual([
      { id: expect.any(String), name: 'svc', url: as.url, authType: 'client_credentials', hasAuthToken: false, clientId: 'svc-basic', hasClientSecret: true, hasPrivateKey: false },
      { id: expect.any(String), name: 'svc2', url: as.url, authType: 'client_credentials', hasAuthToken: false, clientId: 'svc-ec', hasClientSecret: false, hasPrivateKey: true },
    ]);
    const got = await alice.call('GET', `/v1/harnesses/${created.body.id}`);
    expect(JSON.stringify(got.body)).not.toContain(SECRET);
    expect(JSON.stringify(got.body)).not.toContain(pemBody(ec.privatePem).slice(0, 40));

    // PATCH with the server's id and no new secret keeps it; a new url without one is refused (not sent elsewhere).
    const [basic] = created.body.mcpServers;
    const kept = await alice.call('PATCH', `/v1/harnesses/${created.body.id}`, { mcpServers: [{ id: basic.id, ...server({ clientId: 'svc-basic' }) }] });
    expect(kept.status).toBe(200);
    expect(kept.body.mcpServers[0]).toMatchObject({ id: basic.id, hasClientSecret: true });
    const moved = await alice.call('PATCH', `/v1/harnesses/${created.body.id}`, { mcpServers: [{ id: basic.id, ...server({ clientId: 'svc-basic', url: `${as.url}/other` }) }] });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('mcpServers.0.clientSecret') });
  });

  it.each([
    ['a private key that is not PEM', { clientId: 'x', privateKeyPem: 'not a key' }, 'mcpServers.0.privateKeyPem'],
    ['a 1024-bit RSA key', { clientId: 'x', privateKeyPem: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, 'mcpServers.0.privateKeyPem'],
    ['a public key', { clientId: 'x', privateKeyPem: rsa.publicPem }, 'mcpServers.0.privateKeyPem'],
    ['no client id', { clientSecret: 's' }, 'mcpServers.0.clientId'],
    ['neither secret nor key', { clientId: 'x' }, 'mcpServers.0.clientSecret'],
    ['both secret and key', { clientId: 'x', clientSecret: 's', privateKeyPem: ec.privatePem }, 'mcpServers.0.privateKeyPem'],
  ])('refuses %s with a 400 naming the field', async (_what, fields, path) => {
    const r = await alice.call('POST', '/v1/harnesses', { name: 'bad', model: 'sim/echo', mcpServers: [server(fields)] });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(path);
  });

  it('refuses client fields on another authType', async () => {
    const r = await alice.call('POST', '/v1/harnesses', { name: 'bad', model: 'sim/echo', mcpServers: [{ name: 'o', url: as.url, authType: 'oauth', clientId: 'x', clientSecret: 's' }] });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain('only allowed with authType');
  });

  it.each([
    ['client_secret_basic', 'svc-basic', { clientSecret: SECRET }],
    ['private_key_jwt (EC P-256, ES256)', 'svc-ec', { privateKeyPem: ec.privatePem }],
    ['private_key_jwt (RSA, RS256)', 'svc-rsa', { privateKeyPem: rsa.privatePem }],
  ])('%s: the token is obtained once, used for the listing and the tool call, and cached', async (method, clientId, secret) => {
    const before = issued().length;
    const harness = await alice.createHarness({ mcpServers: [server({ clientId, ...secret })] });
    const tools = await alice.call('GET', `/v1/harnesses/${harness.id}/tools`);
    expect(tools.body.errors).toEqual([]);
    expect(tools.body.items.map((t: { name: string }) => t.name).sort()).toEqual(['admin', 'echo', 'whoami']);
    const requests = issued().slice(before);
    expect(requests).toEqual([
      expect.objectContaining({ clientId, authMethod: method.startsWith('private_key_jwt') ? 'private_key_jwt' : 'client_secret_basic', resource: as.url, scope: 'mcp:read', outcome: 'ok' }),
    ]);

    const events = await runTools(alice, harness.id, [{ name: 'whoami', arguments: {} }]);
    expect(ofType(events, 'tool-output-error')).toEqual([]);
    const output = JSON.stringify(ofType(events, 'tool-output-available')[0]!.chunk.output);
    expect(output).toContain(clientId);
    // The same token served the run's listing and call: no second token request.
    expect(issued().length).toBe(before + 1);
  });

  it('a token the server refuses (401) is replaced once and the call retried; an expired one is replaced before use', async () => {
    const harness = await alice.createHarness({ mcpServers: [server({ clientId: 'svc-basic', clientSecret: SECRET })] });
    await alice.call('GET', `/v1/harnesses/${harness.id}/tools`);
    const before = { issued: issued().length, unauthorized: as.stats.unauthorized, rejected: tokenAsks.filter((a) => a.rejected).length };
    as.knobs.accessTokenTtlMs = TTL_SHORT_MS;
    as.expireAccessTokens(); // server side only: Harness still holds an hour-long token

    const events = await runTools(alice, harness.id, [{ name: 'echo', arguments: { text: 'after a new token' } }]);
    expect(ofType(events, 'tool-output-error')).toEqual([]);
    expect(JSON.stringify(ofType(events, 'tool-output-available')[0]!.chunk.output)).toContain('after a new token');
    expect(issued().length).toBe(before.issued + 1);
    expect(as.stats.unauthorized).toBeGreaterThan(before.unauthorized);
    // The broker said which token was refused, and how.
    const rejected = tokenAsks.filter((a) => a.rejected);
    expect(rejected).toHaveLength(before.rejected + 1);
    expect(rejected.at(-1)).toMatchObject({ wwwAuthenticate: expect.stringContaining('invalid_token') });

    // The new token lives TTL_SHORT_MS: once it has run out, the next use asks for another first (no 401 this time).
    const [current] = as.issuedAccessTokens().slice(-1);
    await waitFor(() => !as.isAccessTokenValid(current!), { timeoutMs: TTL_SHORT_MS + 5_000, description: 'the short-lived token to expire' });
    const tools = await alice.call('GET', `/v1/harnesses/${harness.id}/tools`);
    expect(tools.body.errors).toEqual([]);
    expect(issued().length).toBe(before.issued + 2);
    // Asked for ahead of use: no refusal reported this time (the old session's closing DELETE may still get a 401).
    expect(tokenAsks.filter((a) => a.rejected)).toHaveLength(before.rejected + 1);
    as.knobs.accessTokenTtlMs = 3_600_000;
  }, 30_000);

  it('a wrong secret is a clear error in the listing; a secret rotated at the server is a clear error in the tool call', async () => {
    const wrong = await alice.createHarness({ mcpServers: [server({ clientId: 'svc-basic', clientSecret: 'not-the-secret' })] });
    const good = await alice.createHarness({ mcpServers: [server({ clientId: 'svc-basic', clientSecret: SECRET })] });

    // Tokens are kept per owner, server and client id: the earlier tests' svc-basic token is refused first (server
    // side), so the wrong secret has to ask for a new one.
    as.expireAccessTokens();
    const tools = await alice.call('GET', `/v1/harnesses/${wrong.id}/tools`);
    expect(tools.status).toBe(200);
    expect(tools.body.items).toEqual([]);
    expect(tools.body.errors).toEqual([
      { serverId: expect.any(String), serverName: 'svc', message: expect.stringMatching(/refused Harness's client credentials \(invalid_client: .*\); check the client id and secret or key/) },
    ]);

    // The call: listed (and the listing cached) with a good token; then the operator rotates the secret at the
    // authorization server and the server stops accepting the token, so the call's 401 finds no new token.
    expect((await alice.call('GET', `/v1/harnesses/${good.id}/tools`)).body.errors).toEqual([]);
    as.setClientSecret('svc-basic', 'rotated-at-the-server');
    as.expireAccessTokens();
    const events = await runTools(alice, good.id, [{ name: 'echo', arguments: { text: 'x' } }]);
    const errors = ofType(events, 'tool-output-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.chunk.errorText).toMatch(/refused Harness's client credentials \(invalid_client/);
    expect(events.at(-1)!.chunk.type).toBe('finish');

    // The services are still up, and the right secret works again.
    as.setClientSecret('svc-basic', SECRET);
    expect((await alice.call('GET', `/v1/harnesses/${good.id}/tools`)).body.errors).toEqual([]);
  }, 30_000);

  it('a 403 insufficient_scope asks for a token with the challenged scope added, and the call is retried', async () => {
    const harness = await alice.createHarness({ mcpServers: [server({ clientId: 'svc-ec', privateKeyPem: ec.privatePem })] });
    const before = issued().length;
    const events = await runTools(alice, harness.id, [{ name: 'admin', arguments: {} }]);
    expect(ofType(events, 'tool-output-error')).toEqual([]);
    expect(ofType(events, 'tool-output-available')).toHaveLength(1);
    const last = issued().slice(before).at(-1)!;
    expect(last).toMatchObject({ clientId: 'svc-ec', authMethod: 'private_key_jwt', outcome: 'ok' });
    expect(last.scope!.split(' ').sort()).toEqual(['mcp:admin', 'mcp:read']);
  });

  it('the credentials go only to the authorization server that first accepted them, until they are entered again', async () => {
    const other = await startOAuthTestServer({ preRegisteredClients: [{ clientId: 'svc-basic', clientSecret: SECRET, grantTypes: ['client_credentials'] }] });
    try {
      const harness = await alice.call('POST', '/v1/harnesses', { name: 'pinned', model: 'sim/echo', mcpServers: [server({ clientId: 'svc-basic', clientSecret: SECRET })] });
      expect((await alice.call('GET', `/v1/harnesses/${harness.body.id}/tools`)).body.errors).toEqual([]);

      // The MCP server now names another authorization server (moved, or compromised) and refuses the token it has:
      // the call's 401 asks for a new one, and the secret is not sent to the new authorization server.
      as.knobs.authorizationServerOverride = other.issuer;
      as.expireAccessTokens();
      const events = await runTools(alice, harness.body.id, [{ name: 'echo', arguments: { text: 'x' } }]);
      const errors = ofType(events, 'tool-output-error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.chunk.errorText).toContain(`now names the authorization server ${other.issuer}, not ${as.issuer}`);
      expect(other.stats.tokenCalls.client_credentials).toBe(0);

      // The user enters the secret again: that accepts the new authorization server.
      const [stored] = harness.body.mcpServers;
      const patched = await alice.call('PATCH', `/v1/harnesses/${harness.body.id}`, { mcpServers: [{ id: stored.id, ...server({ clientId: 'svc-basic', clientSecret: SECRET }) }] });
      expect(patched.status).toBe(200);
      await alice.call('GET', `/v1/harnesses/${harness.body.id}/tools`);
      // (`other` then refuses the resource, which is not its own: what matters is where the secret went.)
      expect(other.stats.tokenRequests.filter((r) => r.grantType === 'client_credentials')).toEqual([
        expect.objectContaining({ clientId: 'svc-basic', authMethod: 'client_secret_basic' }),
      ]);
    } finally {
      as.knobs.authorizationServerOverride = null;
      await other.close();
    }
  });

  it('no user of another harness owner gets the owner\'s server: the token is asked for the owner only', async () => {
    const bob = await Client.as(system, 'bob');
    const harness = await alice.createHarness({ mcpServers: [server({ clientId: 'svc-basic', clientSecret: SECRET })] });
    expect((await bob.call('GET', `/v1/harnesses/${harness.id}/tools`)).status).toBe(404);
  });

  it('never stores the secret, the key or a token in clear, nor logs them', async () => {
    const secrets = [SECRET, pemBody(ec.privatePem), pemBody(rsa.privatePem), ...as.issuedAccessTokens()];
    const scan = await scanDatabase(system.databaseUrl, secrets);
    expect(scan.findings).toEqual([]);
    expect(scan.rowsWith('svc-rsa').map((r) => r.table)).toEqual(expect.arrayContaining(['mcp_servers', 'oauth_client_credential_tokens']));
    const log = readFileSync(system.logFile, 'utf8');
    expect(log).toContain('client credentials token request failed'); // the warnings of the wrong-secret test
    for (const s of secrets) {
      expect(log.includes(s)).toBe(false);
      expect(log.includes(s.slice(0, 24))).toBe(false);
    }
  });
});
