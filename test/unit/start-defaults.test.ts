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
