import { ConfigError, loadConfig } from '../../src/index.js';

// Everything else production requires, so only the signing key is in question here.
const production = {
  NODE_ENV: 'production', HARNESS_JWT_SECRET: 'j'.repeat(32), HARNESS_ENCRYPTION_KEY: 'e'.repeat(64), NATS_USER: 'svc', NATS_PASSWORD: 'pw',
  HARNESS_METRICS_TOKEN: 'm'.repeat(20),
  HARNESS_LOGIN_PROVIDERS: JSON.stringify([{ id: 'corp', type: 'oidc', name: 'Corp', issuer: 'https://idp.example.com', clientId: 'harness' }]),
} as const;

describe('HARNESS_JOB_SIGNING_KEY', () => {
  it('is given to chat and mcp-broker only, never to the gateway or auth', () => {
    const env = { ...production, HARNESS_JOB_SIGNING_KEY: 'k'.repeat(32) };
    expect(loadConfig(env, 'chat').jobSigningKey).toEqual(Buffer.from('k'.repeat(32)));
    expect(loadConfig(env, 'mcp-broker').jobSigningKey).toEqual(Buffer.from('k'.repeat(32)));
    expect(loadConfig(env, 'gateway').jobSigningKey).toBeUndefined();
    expect(loadConfig(env, 'auth').jobSigningKey).toBeUndefined();
  });

  it('is required in production by chat and mcp-broker (not by the others), and must be at least 32 characters', () => {
    expect(() => loadConfig(production, 'chat')).toThrow(new ConfigError('HARNESS_JOB_SIGNING_KEY is required in production'));
    expect(() => loadConfig(production, 'mcp-broker')).toThrow(ConfigError);
    expect(loadConfig(production, 'gateway').env).toBe('production');
    expect(() => loadConfig({ ...production, HARNESS_JOB_SIGNING_KEY: 'short' }, 'chat')).toThrow(/at least 32 characters/);
  });

  it('is generated for the process outside production (the same one for every load in it)', () => {
    const first = loadConfig({ NODE_ENV: 'test' }, 'chat').jobSigningKey;
    expect(first?.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ NODE_ENV: 'test' }, 'mcp-broker').jobSigningKey).toEqual(first);
  });

  it('reads the MCP bounds with their defaults', () => {
    expect(loadConfig({ NODE_ENV: 'test' }, 'mcp-broker').mcp).toMatchObject({
      maxSessionsPerUser: 50, maxResponseBytes: 16 * 1024 * 1024, maxListingBytes: 1024 * 1024, listingCacheBytes: 64 * 1024 * 1024,
    });
    expect(() => loadConfig({ NODE_ENV: 'test', HARNESS_MCP_MAX_RESPONSE_BYTES: '10' }, 'mcp-broker')).toThrow(/HARNESS_MCP_MAX_RESPONSE_BYTES/);
  });
});
