import { ToolListCache } from '../../src/tools/list-tools/tool-list-cache.js';

const result = (name: string) => ({ items: [{ name, originalName: name, serverId: 's1', description: '', inputSchema: {} }], errors: [] });

describe('ToolListCache', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000;
  });

  it('serves an entry until its TTL passes', () => {
    const cache = new ToolListCache(60_000, 10, clock);
    cache.set('k', cache.mark(), 'alice', ['http://a/mcp'], result('x'));
    now += 59_999;
    expect(cache.get('k')?.items[0]!.name).toBe('x');
    now += 1;
    expect(cache.get('k')).toBeUndefined();
  });

  it("a server's list_changed drops that user's entries that include the server, and only those", () => {
    const cache = new ToolListCache(60_000, 10, clock);
    cache.set('a1', cache.mark(), 'alice', ['http://a/mcp', 'http://b/mcp'], result('1'));
    cache.set('a2', cache.mark(), 'alice', ['http://c/mcp'], result('2'));
    cache.set('b1', cache.mark(), 'bob', ['http://a/mcp'], result('3'));
    cache.invalidate('alice', 'http://a/mcp');
    expect(cache.get('a1')).toBeUndefined();
    expect(cache.get('a2')).toBeDefined();
    expect(cache.get('b1')).toBeDefined();
  });

  it('does not store a listing that overlapped an invalidation', () => {
    const cache = new ToolListCache(60_000, 10, clock);
    const mark = cache.mark();
    cache.invalidate('alice', 'http://a/mcp');
    cache.set('k', mark, 'alice', ['http://a/mcp'], result('stale'));
    expect(cache.get('k')).toBeUndefined();
  });

  it('evicts the oldest entry beyond its capacity', () => {
    const cache = new ToolListCache(60_000, 2, clock);
    for (const k of ['k1', 'k2', 'k3']) cache.set(k, cache.mark(), 'alice', [], result(k));
    expect(cache.size).toBe(2);
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k3')).toBeDefined();
  });
});
