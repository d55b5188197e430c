import { ConversationEvent, parseConversationEvent } from '../../src/index.js';

const base = { conversationId: 'c', seq: 5, prev: 4, runId: 'r', createdAt: new Date(0).toISOString() };

/** The fast path must agree with the schema on every input: same verdict, same data. */
describe('parseConversationEvent', () => {
  const samples: unknown[] = [
    { ...base, chunk: { type: 'text-delta', id: 't1', delta: 'hi' } },
    { ...base, chunk: { type: 'reasoning-delta', id: 'r1', delta: '' } },
    { ...base, runId: null, chunk: { type: 'text-delta', id: 't1', delta: 'x' } },
    { ...base, chunk: { type: 'text-delta', id: '', delta: 'hi' } },
    { ...base, chunk: { type: 'text-delta', id: 't1' } },
    { ...base, chunk: { type: 'text-delta', id: 't1', delta: 3 } },
    { ...base, seq: 0, chunk: { type: 'text-delta', id: 't1', delta: 'a' } },
    { ...base, seq: 1.5, chunk: { type: 'text-delta', id: 't1', delta: 'a' } },
    { ...base, prev: -1, chunk: { type: 'text-delta', id: 't1', delta: 'a' } },
    { ...base, runId: 7, chunk: { type: 'text-delta', id: 't1', delta: 'a' } },
    { ...base, createdAt: undefined, chunk: { type: 'text-delta', id: 't1', delta: 'a' } },
    { ...base, chunk: { type: 'finish', finishReason: 'stop' } },
    { ...base, chunk: { type: 'finish', finishReason: 'bogus' } },
    { ...base, chunk: { type: 'no-such-chunk' } },
    { ...base, chunk: null },
    null,
    'text',
  ];

  it.each(samples.map((s, i) => [i, s]))('sample %i agrees with the schema', (_i, sample) => {
    const fast = parseConversationEvent(sample);
    const slow = ConversationEvent.safeParse(sample);
    expect(fast.success).toBe(slow.success);
    if (fast.success && slow.success) expect(fast.data).toEqual(slow.data);
  });
});
