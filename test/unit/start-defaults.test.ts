// @ts-expect-error a plain ESM script without type declarations
import { defaultOutboundAllowlist } from '../../scripts/start.mjs';

describe('npm start: the outbound allowlist it sets', () => {
  it('allows loopback only outside production, and never overrides what the operator set', () => {
    expect(defaultOutboundAllowlist({})).toBe('127.0.0.0/8,::1,localhost');
    expect(defaultOutboundAllowlist({ NODE_ENV: 'development' })).toBe('127.0.0.0/8,::1,localhost');
    expect(defaultOutboundAllowlist({ NODE_ENV: 'production' })).toBeUndefined();
    expect(defaultOutboundAllowlist({ NODE_ENV: 'production', HARNESS_OUTBOUND_ALLOWLIST: '10.0.0.5' })).toBeUndefined();
    expect(defaultOutboundAllowlist({ HARNESS_OUTBOUND_ALLOWLIST: '' })).toBeUndefined();
  });
});

describe('npm start: restarting a service that exited', () => {
  it('backs off (0.5 s, doubling, at most 8 s) and gives up after 5 restarts within a minute', async () => {
    // @ts-expect-error a plain ESM script without type declarations
    const { nextRestartDelayMs } = await import('../../scripts/start.mjs');
    const now = 1_000_000;
    expect(nextRestartDelayMs([], now)).toBe(500);
    expect(nextRestartDelayMs([now - 1_000], now)).toBe(1_000);
    expect(nextRestartDelayMs([now - 4_000, now - 3_000, now - 2_000, now - 1_000], now)).toBe(8_000);
    expect(nextRestartDelayMs([now - 5_000, now - 4_000, now - 3_000, now - 2_000, now - 1_000], now)).toBeUndefined();
    // Restarts older than a minute are forgiven.
    expect(nextRestartDelayMs([now - 120_000, now - 90_000, now - 70_000, now - 65_000, now - 61_000], now)).toBe(500);
  });
});

describe('npm start: the dev IdP when no login provider is configured', () => {
  it('runs it only outside production and without HARNESS_LOGIN_PROVIDERS', async () => {
    // @ts-expect-error a plain ESM script without type declarations
    const { needsDevIdp } = await import('../../scripts/start.mjs');
    expect(needsDevIdp({})).toBe(true);
    expect(needsDevIdp({ NODE_ENV: 'development', HARNESS_LOGIN_PROVIDERS: ' ' })).toBe(true);
    expect(needsDevIdp({ NODE_ENV: 'production' })).toBe(false);
    expect(needsDevIdp({ HARNESS_LOGIN_PROVIDERS: '[{"id":"corp"}]' })).toBe(false);
  });

  it('registers the gateway\'s callback and configures provider "dev", marked dev (which production config refuses)', async () => {
    // @ts-expect-error a plain ESM script without type declarations
    const { devIdpSetup } = await import('../../scripts/start.mjs');
    const { loadConfig } = await import('@harness/config');
    const setup = devIdpSetup({ issuer: 'http://127.0.0.1:4020', publicUrl: 'http://localhost:3000/', gatewayPort: 3000, clientSecret: 's'.repeat(32) });
    expect(setup.clients[0].redirectUris).toEqual(['http://localhost:3000/auth/callback/dev', 'http://127.0.0.1:3000/auth/callback/dev']);
    const providers = JSON.stringify(setup.providers);
    expect(loadConfig({ NODE_ENV: 'development', HARNESS_LOGIN_PROVIDERS: providers }, 'gateway').login.providers[0]).toMatchObject({ id: 'dev', name: 'Dev', dev: true });
    const production = {
      NODE_ENV: 'production', HARNESS_JWT_SECRET: 'x'.repeat(32), HARNESS_ENCRYPTION_KEY: 'a'.repeat(64), NATS_USER: 'g', NATS_PASSWORD: 'p', HARNESS_METRICS_TOKEN: 'm'.repeat(20),
    };
    expect(() => loadConfig({ ...production, HARNESS_LOGIN_PROVIDERS: providers }, 'gateway')).toThrow(/development IdP/);
  });
});
