import type { McpToolItem } from '@harness/contracts';
import { fitReply } from '../../src/tools/list-tools/fit-reply.js';

const tool = (serverId: string, name: string, descriptionBytes = 10): McpToolItem => ({
  name, originalName: name, serverId, description: 'd'.repeat(descriptionBytes), inputSchema: { type: 'object' },
});
const servers = [{ id: 's1', name: 'one' }, { id: 's2', name: 'two' }, { id: 's3', name: 'three' }];

describe('fitReply: a harness listing held to one NATS message', () => {
  it('keeps everything that fits', () => {
    const items = [tool('s1', 'a'), tool('s2', 'b'), tool('s3', 'c')];
    expect(fitReply(items, servers, 10_000)).toEqual({ items, errors: [] });
  });

  it("leaves out whole servers that do not fit, in the harness's order, and says so", () => {
    const items = [tool('s1', 'a', 3_000), tool('s2', 'b', 3_000), tool('s2', 'b2', 3_000), tool('s3', 'c', 100)];
    const { items: kept, errors } = fitReply(items, servers, 5_000);
    // s2 (two tools, ~6 KB) does not fit after s1; s3 still does.
    expect(kept.map((t) => t.name)).toEqual(['a', 'c']);
    expect(errors).toEqual([{ serverId: 's2', serverName: 'two', message: expect.stringMatching(/larger than 5000 bytes; this server's 2 tools were left out/) }]);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(5_000);
  });
});
