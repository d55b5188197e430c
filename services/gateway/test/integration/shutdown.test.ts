import { readSse } from '@harness/testing';
import { startGateway } from '../support/gateway.js';

describe('graceful shutdown', () => {
  it('ends open SSE streams and closes promptly', async () => {
    const gw = await startGateway();
    let closed = false;
    try {
      const harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'h', model: 'm' } })).json()).id;
      const c = await (await gw.request('/v1/conversations', { method: 'POST', user: 'alice', json: { harnessId } })).json();
      const token = await gw.token('alice');
      const streams = await Promise.all([1, 2, 3].map(() => readSse(`${gw.url}/v1/conversations/${c.id}/events`, { token })));
      const started = Date.now();
      await gw.app.close();
      expect(Date.now() - started).toBeLessThan(2_000);
      await gw.close();
      closed = true;
      for (const s of streams) {
        await s.collectAll({ timeoutMs: 2_000 });
        expect(s.ended).toBe(true);
      }
    } finally {
      if (!closed) await gw.close();
    }
  });
});
