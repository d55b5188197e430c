import type { ConversationEvent } from '@harness/contracts';
import { DONE_FRAME, frameEvent, HEARTBEAT_FRAME, SSE_HEADERS, wantsEventStream } from '../../src/streaming/sse-framing.js';
import { parsePosition } from '../../src/streaming/stream-position.js';
import { nextPageSize } from '../../src/streaming/event-feed.js';

describe('SSE framing', () => {
  const ev: ConversationEvent = {
    conversationId: 'c',
    seq: 42,
    prev: 41,
    runId: 'r',
    chunk: { type: 'text-delta', id: 't1', delta: 'line one\nline two\r\n"quoted"' },
    createdAt: '2026-01-01T00:00:00.000Z',
  };

  it('frames an event as id + one data line holding exactly the stored chunk', () => {
    const frame = frameEvent(ev);
    expect(frame).toBe(`id: 42\ndata: ${JSON.stringify(ev.chunk)}\n\n`);
    const lines = frame.split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[1].slice('data: '.length))).toEqual(ev.chunk);
  });

  it('has the heartbeat comment, the AI SDK end marker and the streaming headers', () => {
    expect(HEARTBEAT_FRAME).toBe(': ping\n\n');
    expect(DONE_FRAME).toBe('data: [DONE]\n\n');
    expect(SSE_HEADERS['cache-control']).toBe('no-cache, no-transform');
    expect(SSE_HEADERS['x-accel-buffering']).toBe('no');
    expect(SSE_HEADERS['content-type']).toMatch(/^text\/event-stream/);
  });

  it('recognises a client asking for an event stream', () => {
    expect(wantsEventStream('text/event-stream')).toBe(true);
    expect(wantsEventStream('application/json, text/event-stream;q=0.9')).toBe(true);
    expect(wantsEventStream('application/json')).toBe(false);
    expect(wantsEventStream(undefined)).toBe(false);
  });
});

describe('stream position', () => {
  it('Last-Event-ID wins over ?after=, both non-negative integers', () => {
    expect(parsePosition('7', '3')).toBe(7);
    expect(parsePosition(undefined, '0')).toBe(0);
    expect(parsePosition(undefined, undefined)).toBeUndefined();
    expect(parsePosition('', '5')).toBe(5);
    expect(parsePosition(undefined, '2147483647')).toBe(2_147_483_647);
  });

  it('anything else is 400 validation_failed naming the field', () => {
    for (const [id, after, field] of [
      ['-1', undefined, 'Last-Event-ID'], ['abc', undefined, 'Last-Event-ID'], [undefined, '1.5', 'after'], [undefined, ['1', '2'], 'after'],
      // Past Postgres's integer: a seq that cannot exist (the query would overflow), not a 200 that breaks mid-stream.
      ['9999999999', undefined, 'Last-Event-ID'], [undefined, '2147483648', 'after'], [undefined, '99999999999999999999', 'after'],
    ] as const) {
      expect(() => parsePosition(id, after)).toThrow(expect.objectContaining({ code: 'validation_failed', message: expect.stringContaining(field) }));
    }
  });
});

describe('catch-up page size', () => {
  const page = (n: number, bytes: number): ConversationEvent[] =>
    Array.from({ length: n }, (_, i) => ({ ...ev, seq: i + 1, prev: i, chunk: { type: 'text-delta' as const, id: 't', delta: 'x'.repeat(bytes) } }));
  const ev: ConversationEvent = { conversationId: 'c', seq: 1, prev: 0, runId: null, chunk: { type: 'finish' }, createdAt: '' };

  it('fits the byte budget at the size of the last events, between 1 and the maximum', () => {
    expect(nextPageSize(page(32, 4_000), { pageSize: 500, pageBytes: 256 * 1024 })).toBe(64);
    expect(nextPageSize(page(32, 10), { pageSize: 500, pageBytes: 256 * 1024 })).toBe(500);
    expect(nextPageSize(page(1, 1_000_000), { pageSize: 500, pageBytes: 256 * 1024 })).toBe(1);
  });
});
