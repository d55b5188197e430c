import { VerificationCache } from '../../src/api-keys/verification-cache.js';

describe('VerificationCache', () => {
  let now = 1_000_000;
  const clock = () => now;
  const v = (n: number) => ({ userId: `u${n}`, keyId: `k${n}` });

  test('holds at most maxEntries, evicting the least recently used', () => {
    const c = new VerificationCache(3, 30_000, clock);
    for (let i = 0; i < 3; i++) c.set(`h${i}`, v(i), null);
    expect(c.get('h0')).toEqual(v(0)); // h0 is now the most recent
    c.set('h3', v(3), null);
    expect(c.size).toBe(3);
    expect(c.get('h1')).toBeUndefined();
    expect(c.get('h0')).toEqual(v(0));
    for (let i = 10; i < 1_000; i++) c.set(`h${i}`, v(i), null);
    expect(c.size).toBe(3);
  });

  test('an entry lasts ttlMs, and never beyond the key\'s own expiry', () => {
    const c = new VerificationCache(10, 30_000, clock);
    c.set('a', v(1), null);
    c.set('b', v(2), new Date(now + 5_000));
    c.set('gone', v(3), new Date(now - 1));
    expect(c.get('gone')).toBeUndefined();
    now += 5_000;
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toEqual(v(1));
    now += 25_000;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  test('delete forgets an entry at once (revocation on this replica)', () => {
    const c = new VerificationCache(10, 30_000, clock);
    c.set('a', v(1), null);
    c.delete('a');
    expect(c.get('a')).toBeUndefined();
  });
});
