import { request, type IncomingMessage } from 'node:http';
import { isSseEvent, readSse, waitFor, type SseStream } from '@harness/testing';
import { EventWriter } from '../support/event-writer.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const MAX_BUFFERED = 1024 * 1024;
let gw: TestGateway;
let writer: EventWriter;
beforeAll(async () => {
  gw = await startGateway({ SSE_MAX_BUFFERED_BYTES: String(MAX_BUFFERED), SSE_HEARTBEAT_MS: '200' });
  const harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'h', model: 'm' } })).json()).id;
  const c = await (await gw.request('/v1/conversations', { method: 'POST', user: 'alice', json: { harnessId } })).json();
  writer = new EventWriter(gw.nats, gw.store, c.id);
});
afterAll(async () => {
  await gw?.close();
});

const metric = async (name: string): Promise<number> => {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
};

/** A client that opens the stream and then never reads from it. */
function stalledClient(path: string, token: string): Promise<{ res: IncomingMessage; destroy(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent: false });
    req.on('response', (res) => {
      res.pause();
      resolve({ res, destroy: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('slow SSE clients', () => {
  it('cuts a client that never reads once its buffer passes the limit, without affecting another client', async () => {
    const token = await gw.token('alice');
    const path = `/v1/conversations/${writer.conversationId}/events`;
    const stalled = await stalledClient(path, token);
    const fast: SseStream = await readSse(`${gw.url}${path}`, { token });
    await waitFor(async () => (await metric('sse_connections_open')) === 2, { intervalMs: 20 });
    const cutBefore = await metric('sse_connections_cut_slow_total');

    // Big events in rounds; the fast client reads each round before the next one is sent.
    const chunk = 'x'.repeat(32 * 1024);
    let rounds = 0;
    while ((await metric('sse_connections_cut_slow_total')) === cutBefore) {
      if (++rounds > 2_000) throw new Error('the stalled client was never cut');
      const batch = Array.from({ length: 4 }, () => writer.delta('r', chunk));
      writer.publish(...batch);
      const last = batch[batch.length - 1].seq;
      await fast.collectUntil((i) => isSseEvent(i) && Number(i.id) === last, { timeoutMs: 10_000 });
    }
    expect(await metric('sse_connections_cut_slow_total')).toBe(cutBefore + 1);
    await waitFor(async () => (await metric('sse_connections_open')) === 1, { intervalMs: 20 });

    // The fast client is still served, in order, with nothing missing.
    const after = writer.delta('r', 'after the cut');
    writer.publish(after);
    await fast.collectUntil((i) => isSseEvent(i) && Number(i.id) === after.seq);
    const seqs = fast.received.filter(isSseEvent).map((e) => Number(e.id));
    expect(seqs).toEqual(Array.from({ length: after.seq }, (_, i) => i + 1));

    // What the stalled client did get is an in-order prefix, and then its stream ends.
    stalled.res.resume();
    let text = '';
    stalled.res.setEncoding('utf8');
    stalled.res.on('data', (d: string) => (text += d));
    await new Promise<void>((resolve) => {
      stalled.res.once('close', () => resolve());
      stalled.res.once('end', () => resolve());
    });
    const got = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(got.length).toBeLessThan(after.seq);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
    fast.close();
    stalled.destroy();
  });

  it('a long catch-up goes at the pace of the client instead of cutting it', async () => {
    const harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'h', model: 'm' } })).json()).id;
    const c = await (await gw.request('/v1/conversations', { method: 'POST', user: 'alice', json: { harnessId } })).json();
    const history = new EventWriter(gw.nats, gw.store, c.id);
    const text = 'y'.repeat(4 * 1024);
    for (let batch = 0; batch < 6; batch++) await history.append(...Array.from({ length: 500 }, () => history.delta('r', text)));
    const total = history.version; // 3000 events, ~12 MiB: far more than the 1 MiB a client may have queued
    const cutBefore = await metric('sse_connections_cut_slow_total');
    const s = await readSse(`${gw.url}/v1/conversations/${c.id}/events?after=0`, { token: await gw.token('alice') });
    await s.collectUntil((i) => isSseEvent(i) && Number(i.id) === total, { timeoutMs: 30_000 });
    expect(s.received.filter(isSseEvent).map((e) => Number(e.id))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(await metric('sse_connections_cut_slow_total')).toBe(cutBefore);
    s.close();
  });
});
