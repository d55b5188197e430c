import type { ConversationEvent, UiChunk } from '@harness/contracts';
import { RunFollower } from '../../src/streaming/run-follower.js';

let seq = 0;
const ev = (chunk: UiChunk, runId: string | null = null): ConversationEvent => {
  seq += 1;
  return { conversationId: 'c', seq, prev: seq - 1, runId, chunk, createdAt: new Date(0).toISOString() };
};
const start = (runId: string) => ev({ type: 'start', messageId: `a-${runId}`, messageMetadata: { runId, model: 'm' } }, runId);
const delta = (runId: string) => ev({ type: 'text-delta', id: 't', delta: 'x' }, runId);
const finish = (runId: string) => ev({ type: 'finish', finishReason: 'stop' }, runId);
const queue = (...ids: string[]) => ev({ type: 'data-queue', data: { items: ids.map((id) => ({ id, content: id, createdAt: '' })) }, transient: true });
const message = (runId: string | null, queueItemId?: string) =>
  ev({ type: 'data-message', data: { messageId: queueItemId ?? 'u', role: 'user', parts: [{ type: 'text', text: 'hi' }], ...(queueItemId ? { queueItemId } : {}) }, transient: true }, runId);

const run = (f: RunFollower, events: ConversationEvent[]) => events.map((e) => f.onEvent(e));

describe('RunFollower', () => {
  it('a started message: everything until its run ends', () => {
    const f = new RunFollower({ runId: 'r1' }, { onlyRunEvents: false });
    const d = run(f, [message('r1'), start('r1'), delta('r1'), queue('q'), finish('r1')]);
    expect(d.map((x) => x.emit)).toEqual([true, true, true, true, true]);
    expect(d.map((x) => x.done)).toEqual([false, false, false, false, true]);
    expect(f.done).toBe(true);
  });

  it('AI SDK mode: only the run, from its start', () => {
    const f = new RunFollower({ runId: 'r1' }, { onlyRunEvents: true });
    const d = run(f, [message('r1'), start('r1'), delta('r1'), queue('q'), finish('r1')]);
    expect(d.map((x) => x.emit)).toEqual([false, true, true, false, true]);
    expect(d.at(-1)?.done).toBe(true);
  });

  it('ends on abort or error of its own run only', () => {
    const f = new RunFollower({ runId: 'r2' }, { onlyRunEvents: false });
    expect(f.onEvent(ev({ type: 'abort', reason: 'x' }, 'r1')).done).toBe(false);
    expect(f.onEvent(ev({ type: 'error', errorText: 'boom' }, 'r2')).done).toBe(true);
  });

  it('a queued message: waits for the data-message that consumes the item, then follows that run', () => {
    const f = new RunFollower({ queueItemId: 'q1' }, { onlyRunEvents: false });
    const d = run(f, [queue('q1'), delta('r0'), finish('r0'), queue(), message('r1', 'q1'), start('r1'), delta('r1'), finish('r1')]);
    expect(f.itemVanished).toBe(false);
    expect(d.map((x) => x.done)).toEqual([false, false, false, false, false, false, false, true]);
    expect(f.followedRunId).toBe('r1');
  });

  it('a queued message in AI SDK mode emits nothing before its run starts', () => {
    const f = new RunFollower({ queueItemId: 'q1' }, { onlyRunEvents: true });
    const d = run(f, [queue('q1'), delta('r0'), finish('r0'), queue(), message('r1', 'q1'), start('r1'), delta('r1'), finish('r1')]);
    expect(d.map((x) => x.emit)).toEqual([false, false, false, false, false, true, true, true]);
  });

  it('a consuming data-message without runId: the next start is its run', () => {
    const f = new RunFollower({ queueItemId: 'q1' }, { onlyRunEvents: false });
    run(f, [message(null, 'q1'), start('r5'), delta('r5')]);
    expect(f.followedRunId).toBe('r5');
    expect(f.onEvent(finish('r5')).done).toBe(true);
  });

  it('a removed item: vanished (the driver gives it a grace period); any next event other than its data-message ends it', () => {
    const f = new RunFollower({ queueItemId: 'q1' }, { onlyRunEvents: false });
    run(f, [queue('q1', 'q2'), queue('q2')]);
    expect(f.itemVanished).toBe(true);
    expect(f.done).toBe(false);
    expect(f.onEvent(delta('r8')).done).toBe(true);

    const drained = new RunFollower({ queueItemId: 'q1' }, { onlyRunEvents: false });
    run(drained, [queue('q1', 'q2'), queue('q2'), message('r5', 'q1')]);
    expect(drained.done).toBe(false);
    expect(drained.followedRunId).toBe('r5');

    const g = new RunFollower({ queueItemId: 'q1' }, { onlyRunEvents: false });
    run(g, [queue('q1'), queue()]);
    expect(g.itemVanished).toBe(true);
    g.giveUp();
    expect(g.done).toBe(true);
  });
});
