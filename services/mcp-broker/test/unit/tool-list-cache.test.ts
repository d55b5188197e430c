import { ToolListCache } from '../../src/tools/list-tools/tool-list-cache.js';

const result = (name: string) => ({ items: [{ name, originalName: name, serverId: 's1', description: '', inputSchema: {} }], errors: [] });

describe('ToolListCache', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000;
  });

  it('serves an entry until its TTL passes', () => {
    const cache = new ToolListCache(60_000, { maxEntries: 10 }, clock);
    cache.set('k', cache.mark(), 'alice', ['http://a/mcp'], result('x'));
    now += 59_999;
    expect(cache.get('k')?.items[0]!.name).toBe('x');
    now += 1;
    expect(cache.get('k')).toBeUndefined();
  });

  it("a server's list_changed drops that user's entries that include the server, and only those", () => {
    const cache = new ToolListCache(60_000, { maxEntries: 10 }, clock);
    cache.set('a1', cache.mark(), 'alice', ['http://a/mcp', 'http://b/mcp'], result('1'));
    cache.set('a2', cache.mark(), 'alice', ['http://c/mcp'], result('2'));
    cache.set('b1', cache.mark(), 'bob', ['http://a/mcp'], result('3'));
    cache.invalidate('alice', 'http://a/mcp');
    expect(cache.get('a1')).toBeUndefined();
    expect(cache.get('a2')).toBeDefined();
    expect(cache.get('b1')).toBeDefined();
  });

  it('does not store a listing that overlapped an invalidation', () => {
    const cache = new ToolListCache(60_000, { maxEntries: 10 }, clock);
    const mark = cache.mark();
    cache.invalidate('alice', 'http://a/mcp');
    cache.set('k', mark, 'alice', ['http://a/mcp'], result('stale'));
    expect(cache.get('k')).toBeUndefined();
  });

  it('evicts the oldest entry beyond its capacity', () => {
    const cache = new ToolListCache(60_000, { maxEntries: 2 }, clock);
    for (const k of ['k1', 'k2', 'k3']) cache.set(k, cache.mark(), 'alice', [], result(k));
    expect(cache.size).toBe(2);
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k3')).toBeDefined();
  });

  it('holds at most maxBytes of listings: the oldest go first, and a listing larger than the bound is not kept', () => {
    const big = (name: string, size: number) => ({
      items: [{ name, originalName: name, serverId: 's1', description: 'd'.repeat(size), inputSchema: {} }], errors: [],
    });
    const bytesOf = (r: unknown) => Buffer.byteLength(JSON.stringify(r));
    const cache = new ToolListCache(60_000, { maxEntries: 1_000, maxBytes: 10_000 }, clock);
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, cache.mark(), 'mallory', [], big(`t${i}`, 3_000));
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(3 * bytesOf(big('t99', 3_000)));
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.get('k99')).toBeDefined();
    expect(cache.get('k96')).toBeUndefined();

    cache.set('huge', cache.mark(), 'mallory', [], big('huge', 20_000));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toBe(3);
    // Replacing a key and expiring entries give their bytes back.
    cache.set('k99', cache.mark(), 'mallory', [], result('small'));
    expect(cache.bytes).toBe(2 * bytesOf(big('t98', 3_000)) + bytesOf(result('small')));
    now += 60_000;
    for (const k of ['k97', 'k98', 'k99']) expect(cache.get(k)).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });
});
