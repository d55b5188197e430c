// The auth service (two real replicas, over NATS) obtaining service-identity tokens (client credentials grant)
// from tools/oauth-test-server for MCP servers stored as the gateway stores them: one token request at a time per
// (owner, server, client) across replicas, the token cached until it nears expiry, a refused token replaced once,
// every server row read for its owner only.
import { randomUUID } from 'node:crypto';
import { createKeyring, encryptSecret } from '@harness/crypto';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';
import { ok, startAuthSystem, type AuthSystem } from './support/auth-oauth.js';

const SECRET = 'integration-secret-7f3a9c';
let sys: AuthSystem;
let as: OAuthTestServerHandle;

beforeAll(async () => {
  as = await startOAuthTestServer({
    tokenDelayMs: 300, // a slow token endpoint makes any second request visible
    preRegisteredClients: [{ clientId: 'svc', clientSecret: SECRET, grantTypes: ['client_credentials'] }],
  });
  sys = await startAuthSystem('auth-client-credentials', 2);
}, 60_000);

afterAll(async () => {
  await as?.close();
  await sys?.stop();
});

/** A harness server row as the gateway writes it (the secret encrypted with the system's key). */
async function storeServer(userId: string, secret = SECRET): Promise<string> {
  const keyring = createKeyring(Buffer.from(sys.system.encryptionKey, /^[0-9a-f]{64}$/i.test(sys.system.encryptionKey) ? 'hex' : 'base64'));
  const harnessId = randomUUID();
  const serverId = randomUUID();
  await sys.system.db.pool.query(`INSERT INTO harnesses (id, user_id, name, model) VALUES ($1, $2, 'h', 'sim/echo')`, [harnessId, userId]);
  await sys.system.db.pool.query(
    `INSERT INTO mcp_servers (id, harness_id, user_id, position, name, url, auth_type, client_id, client_secret_enc)
     VALUES ($1, $2, $3, 0, 'svc', $4, 'client_credentials', 'svc', $5)`,
    [serverId, harnessId, userId, as.url, encryptSecret(secret, keyring)],
  );
  return serverId;
}

const ccRequests = () => as.stats.tokenCalls.client_credentials;

describe('auth service: client credentials', () => {
  test('a burst on both replicas makes one token request; the token is cached; a refusal replaces it once', async () => {
    const serverId = await storeServer('cc-burst');
    const before = ccRequests();
    const replies = await Promise.all(Array.from({ length: 12 }, () => sys.auth.clientCredentialsToken({ userId: 'cc-burst', serverId })).map(async (r) => ok(await r)));
    const tokens = new Set(replies.map((r) => (r.status === 'connected' ? r.accessToken : `error: ${r.message}`)));
    expect([...tokens]).toHaveLength(1);
    const [token] = [...tokens];
    expect(as.isAccessTokenValid(token!)).toBe(true);
    expect(ccRequests()).toBe(before + 1);
    expect(as.stats.tokenRequests.at(-1)).toMatchObject({ grantType: 'client_credentials', clientId: 'svc', authMethod: 'client_secret_basic', resource: as.url, scope: 'mcp:read' });

    // Cached: asked again, no request.
    const again = ok(await sys.auth.clientCredentialsToken({ userId: 'cc-burst', serverId }));
    expect(again).toMatchObject({ status: 'connected', accessToken: token });
    expect(ccRequests()).toBe(before + 1);

    // The server refused it (every caller reports the same version at once): one new token for all.
    const version = replies[0]!.status === 'connected' ? replies[0]!.version : -1;
    const renewed = await Promise.all(
      Array.from({ length: 8 }, () => sys.auth.clientCredentialsToken({ userId: 'cc-burst', serverId, rejected: true, rejectedVersion: version })).map(async (r) => ok(await r)),
    );
    const newTokens = new Set(renewed.map((r) => (r.status === 'connected' ? r.accessToken : `error: ${r.message}`)));
    expect([...newTokens]).toHaveLength(1);
    expect([...newTokens][0]).not.toBe(token);
    expect(ccRequests()).toBe(before + 2);
  }, 30_000);

  test('a server row is read for its owner only; an unknown server is a sentence, not a crash', async () => {
    const serverId = await storeServer('cc-owner');
    const other = ok(await sys.auth.clientCredentialsToken({ userId: 'cc-someone-else', serverId }));
    expect(other).toEqual({ status: 'error', message: 'This MCP server has no client credentials configured.' });
    expect(ok(await sys.auth.clientCredentialsToken({ userId: 'cc-owner', serverId: randomUUID() })).status).toBe('error');
  });

  test('a wrong secret: status error with the authorization server\'s refusal, and nothing cached', async () => {
    const serverId = await storeServer('cc-wrong', 'not-the-secret');
    const reply = ok(await sys.auth.clientCredentialsToken({ userId: 'cc-wrong', serverId }));
    expect(reply.status).toBe('error');
    if (reply.status === 'error') expect(reply.message).toMatch(/refused Harness's client credentials \(invalid_client: wrong client secret\)/);
    const { rows } = await sys.system.db.pool.query(`SELECT 1 FROM oauth_client_credential_tokens WHERE user_id = 'cc-wrong'`);
    expect(rows).toEqual([]);
  });
});
