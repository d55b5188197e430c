import { loadConfig } from '../../src/index.js';

const production = {
  NODE_ENV: 'production', HARNESS_JWT_SECRET: 'x'.repeat(32), HARNESS_ENCRYPTION_KEY: 'a'.repeat(64), NATS_USER: 'gateway', NATS_PASSWORD: 'pw',
  HARNESS_LOGIN_PROVIDERS: JSON.stringify([{ id: 'corp', type: 'oidc', name: 'Corp', issuer: 'https://idp.example.com', clientId: 'harness' }]),
} as const;

describe('where /metrics may be read', () => {
  test('a production gateway refuses to start with /metrics open to anyone on the API port', () => {
    expect(() => loadConfig({ ...production }, 'gateway')).toThrow(/HARNESS_METRICS_TOKEN or a port of its own/);
    // Other services serve no /metrics: nothing to require.
    expect(() => loadConfig({ ...production }, 'auth')).not.toThrow();
  });

  test('a token, or a port of its own (not the API port), is enough', () => {
    expect(loadConfig({ ...production, HARNESS_METRICS_TOKEN: 't'.repeat(20) }, 'gateway').gateway.metricsToken).toBe('t'.repeat(20));
    expect(loadConfig({ ...production, HARNESS_METRICS_PORT: '9464' }, 'gateway').gateway.metricsPort).toBe(9464);
    expect(() => loadConfig({ ...production, HARNESS_METRICS_PORT: '3000' }, 'gateway')).toThrow(/must differ from GATEWAY_PORT/);
    expect(() => loadConfig({ ...production, HARNESS_METRICS_TOKEN: 'short' }, 'gateway')).toThrow(/at least 16/);
  });
});
