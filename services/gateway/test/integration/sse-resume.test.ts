import { randomUUID } from 'node:crypto';
import { conversationEventsSubject, type ConversationEvent } from '@harness/contracts';
import { isSseComment, isSseEvent, readSse, waitFor, type SseItem, type SseStream } from '@harness/testing';
import { LiveHub } from '../../src/streaming/live-hub.js';
import { EventWriter } from '../support/event-writer.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
let harnessId: string;
const HEARTBEAT_MS = 150;
const GAP_DEADLINE_MS = 800;

beforeAll(async () => {
  gw = await startGateway({ SSE_HEARTBEAT_MS: String(HEARTBEAT_MS) }, { feedTuning: { gapDeadlineMs: GAP_DEADLINE_MS } });
  harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'h', model: 'm' } })).json()).id;
});
afterAll(async () => {
  await gw?.close();
});

const streams: SseStream[] = [];
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});

async function newConversation(): Promise<EventWriter> {
  const c = await (await gw.request('/v1/conversations', { method: 'POST', user: 'alice', json: { harnessId } })).json();
  return new EventWriter(gw.nats, gw.store, c.id);
}

async function open(w: EventWriter, opts: { lastEventId?: number; query?: string } = {}): Promise<SseStream> {
  const s = await readSse(`${gw.url}/v1/conversations/${w.conversationId}/events${opts.query ?? ''}`, {
    token: await gw.token('alice'),
    lastEventId: opts.lastEventId,
  });
  streams.push(s);
  return s;
}

const events = (s: SseStream) => s.received.filter(isSseEvent);
const seqsOf = (s: SseStream) => events(s).map((e) => Number(e.id));
const pings = (s: SseStream) => s.received.filter(isSseComment).length;
const until = (s: SseStream, seq: number) => s.collectUntil((i: SseItem) => isSseEvent(i) && Number(i.id) >= seq, { timeoutMs: 10_000 });
const delta = (w: EventWriter, text: string) => w.delta('11111111-1111-4111-8111-111111111111', text);
const deltas = (w: EventWriter, n: number) => Array.from({ length: n }, (_, i) => delta(w, `d${i}`));

/**
 * Everything the gateway wrote to `s` before this point has arrived: a heartbeat written after it has arrived
 * (one response is one ordered byte stream).
 */
async function drained(s: SseStream): Promise<void> {
  const before = pings(s);
  await waitFor(() => pings(s) >= before + 2, { timeoutMs: 5_000, intervalMs: 10, description: 'two more heartbeats' });
}

/** A live event of another conversation, through the same gateway connection: once it is seen, earlier ones were processed. */
async function barrier(probe: { writer: EventWriter; stream: SseStream }): Promise<void> {
  const ev = probe.writer.next({ type: 'text-delta', id: 'p', delta: 'probe' });
  probe.writer.publish(ev);
  await until(probe.stream, ev.seq);
}

describe('GET /v1/conversations/:id/events', () => {
  it('frames events as id + data (exactly the stored chunk) with SSE headers, and sends heartbeats', async () => {
    const w = await newConversation();
    const stored = [delta(w, 'a'), delta(w, 'b')];
    await w.append(...stored);
    const s = await open(w, { query: '?after=0' });
    expect(s.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(s.response.headers.get('x-accel-buffering')).toBe('no');
    expect(s.response.headers.get('x-correlation-id')).toBeTruthy();
    await until(s, 2);
    expect(events(s)).toEqual(stored.map((e) => ({ id: String(e.seq), data: JSON.stringify(e.chunk) })));
    await waitFor(() => pings(s) >= 2, { timeoutMs: 5_000, intervalMs: 10, description: 'heartbeats' });
    expect(s.received.find(isSseComment)).toEqual({ comment: 'ping' });
  });

  it('resumes by Last-Event-ID with events partly in Postgres, partly only live: no gap, no duplicate', async () => {
    const w = await newConversation();
    const probeWriter = await newConversation();
    const probe = { writer: probeWriter, stream: await open(probeWriter) };

    const first = deltas(w, 5); // 1..5, stored
    await w.emit(...first);
    const unflushed = deltas(w, 3); // 6..8, published before the client connects, not stored yet
    w.publish(...unflushed);

    const s = await open(w, { lastEventId: 2 });
    await until(s, 5);
    const nine = delta(w, 'nine'); // 9, prev 8: the gateway sees a gap (5 → 8 missing)
    w.publish(nine);
    await barrier(probe);
    await drained(s);
    expect(seqsOf(s)).toEqual([3, 4, 5]); // 9 is held back while 6..8 are missing

    await w.append(...unflushed, nine); // the writer's batch lands
    await until(s, 9);
    const ten = delta(w, 'ten');
    await w.emit(ten);
    await until(s, 10);
    await drained(s);
    expect(seqsOf(s)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(events(s).map((e) => JSON.parse(e.data).delta)).toEqual(['d2', 'd3', 'd4', 'd0', 'd1', 'd2', 'nine', 'ten']);
  });

  it('resumes by ?after= the same way, and Last-Event-ID wins over ?after=', async () => {
    const w = await newConversation();
    await w.emit(...deltas(w, 4));
    const live = deltas(w, 2); // 5..6, live only for now
    w.publish(...live);
    const s = await open(w, { query: '?after=1' });
    const both = await open(w, { query: '?after=0', lastEventId: 3 });
    await until(s, 4);
    // No later live event reveals the gap: the gateway's re-reads after the handover pick 5..6 up once stored.
    await w.append(...live);
    await until(s, 6);
    await until(both, 6);
    const seven = delta(w, 'x');
    await w.emit(seven);
    await until(s, 7);
    await until(both, 7);
    await drained(s);
    await drained(both);
    expect(seqsOf(s)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(seqsOf(both)).toEqual([4, 5, 6, 7]);
  });

  it('without a position: from the start of the active run, else only new events', async () => {
    const w = await newConversation();
    const runId = randomUUID();
    await w.emit(delta(w, 'old'), delta(w, 'older'));
    const start = w.next({ type: 'start', messageId: 'a1', messageMetadata: { runId, model: 'm' } }, runId);
    await w.emit(start, w.next({ type: 'text-start', id: 't1' }, runId));
    await gw.db.pool.query('UPDATE conversations SET active_run_id = $2 WHERE id = $1', [w.conversationId, runId]);
    const fromRun = await open(w);
    await until(fromRun, 4);
    expect(seqsOf(fromRun)).toEqual([3, 4]);

    await gw.db.pool.query('UPDATE conversations SET active_run_id = NULL WHERE id = $1', [w.conversationId]);
    const onlyNew = await open(w);
    const next = w.next({ type: 'finish' }, runId);
    await w.emit(next);
    await until(onlyNew, 5);
    await until(fromRun, 5);
    expect(seqsOf(onlyNew)).toEqual([5]);
    expect(seqsOf(fromRun)).toEqual([3, 4, 5]);
  });

  it('accepts a jump after a takeover (seqs that never existed) without waiting', async () => {
    const w = await newConversation();
    await w.emit(...deltas(w, 4)); // 1..4 stored
    const s = await open(w, { lastEventId: 4 });
    const lost = deltas(w, 2); // 5, 6: published by an owner that died before storing them
    w.publish(...lost);
    await until(s, 6);
    const taken = w.next({ type: 'text-delta', id: 't1', delta: 'new owner' }, null, { seq: 10, prev: 4 });
    await w.emit(taken);
    await until(s, 10);
    expect(seqsOf(s)).toEqual([5, 6, 10]);
    // A reader resuming later gets the stored history, which jumps from 4 to 10.
    const later = await open(w, { lastEventId: 2 });
    await until(later, 10);
    expect(seqsOf(later)).toEqual([3, 4, 10]);
  });

  it('when missed events never reach Postgres, continues after the deadline (counted as lost), never silently', async () => {
    const w = await newConversation();
    await w.emit(...deltas(w, 3));
    const s = await open(w, { lastEventId: 3 });
    await drained(s);
    const metricBefore = await lostCount();
    deltas(w, 2); // 4, 5 are numbered but never published nor stored (a writer died mid-batch)
    const six = delta(w, 'six');
    w.publish(six);
    const started = Date.now();
    await until(s, 6);
    expect(Date.now() - started).toBeGreaterThanOrEqual(GAP_DEADLINE_MS - 50);
    expect(seqsOf(s)).toEqual([6]);
    expect(await lostCount()).toBe(metricBefore + 2);
  });

  it('drops invalid live payloads and serves many clients of one conversation from one subscription', async () => {
    const w = await newConversation();
    const a = await open(w);
    const b = await open(w, { query: '?after=0' });
    await drained(a);
    gw.nats.publish(conversationEventsSubject(w.conversationId), 'not json');
    gw.nats.publish(conversationEventsSubject(w.conversationId), JSON.stringify({ seq: 'x' }));
    const one = delta(w, 'one');
    await w.emit(one);
    await until(a, 1);
    await until(b, 1);
    expect(seqsOf(a)).toEqual([1]);
    expect(seqsOf(b)).toEqual([1]);

    // One NATS subscription for the conversation, dropped when its last client leaves.
    const hub = gw.app.get(LiveHub);
    const before = hub.subscriptions;
    a.close();
    await drained(b);
    expect(hub.subscriptions).toBe(before);
    b.close();
    await waitFor(() => hub.subscriptions === before - 1, { intervalMs: 10, description: 'the subscription to be dropped' });
  });

  it('400 for a bad position', async () => {
    const w = await newConversation();
    for (const q of ['?after=-1', '?after=abc']) {
      const res = await gw.request(`/v1/conversations/${w.conversationId}/events${q}`, { user: 'alice' });
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe('validation_failed');
    }
    const res = await gw.request(`/v1/conversations/${w.conversationId}/events`, { user: 'alice', headers: { 'last-event-id': 'x' } });
    expect(res.status).toBe(400);
  });
});

async function lostCount(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^sse_gap_events_lost_total (\d+)/m.exec(text)?.[1] ?? 0);
}

export type { ConversationEvent };
