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
