import { randomUUID } from 'node:crypto';
import { ChatSubjects, type ConversationEvent, type QueueItem } from '@harness/contracts';
import type { TestGateway } from './gateway.js';
import { NestStyleResponder, fail, ok } from './chat-responder.js';
import { EventWriter } from './event-writer.js';

interface ConversationSim {
  writer: EventWriter;
  activeRun: string | null;
  queue: QueueItem[];
  /** Events published live but not yet appended (the writer's pending batch). */
  unflushed: ConversationEvent[];
  /** Appends run one after the other (each must follow the stored version). */
  flushing: Promise<void>;
}

/**
 * A small stand-in for the chat service, over real NATS and Postgres: it answers send/regenerate the way chat does
 * (events `data-message`+`start` when a run starts, `data-queue` when queued; the reply's `seq` is the first of them),
 * then streams the run's events live first and appends them to the store in later batches, drains the queue in order,
 * and keeps `conversations.active_run_id` and `message_views` up to date like the projections.
 */
export class FakeChat {
  private readonly conversations = new Map<string, ConversationSim>();
  private readonly responder: NestStyleResponder;
  /** Words of each answer. */
  words = ['Hello', ' ', 'world'];
  /** When false, runs wait for `release()` before streaming their events. */
  autoRun = true;
  private readonly held: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly gw: TestGateway) {
    this.responder = new NestStyleResponder(gw.nats)
      .on(ChatSubjects.send, (d) => this.send(d.conversationId as string, d.content as string))
      .on(ChatSubjects.regenerate, (d) => this.regenerate(d.conversationId as string, d.messageId as string));
  }

  get received() {
    return this.responder.received;
  }

  async ready(): Promise<this> {
    await this.responder.ready();
    return this;
  }

  /** Stops answering and waits for the runs still writing. */
  async stop(): Promise<void> {
    this.responder.stop();
    this.held.splice(0);
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** The stream writer of a conversation (to add events of one's own, e.g. a queue change). */
  writerOf(conversationId: string): EventWriter {
    return this.sim(conversationId).writer;
  }

  /** Removes a queued item as chat would (a `data-queue` without it). */
  async removeQueued(conversationId: string, itemId: string): Promise<void> {
    const c = this.sim(conversationId);
    c.queue = c.queue.filter((i) => i.id !== itemId);
    await this.store(c, c.writer.next({ type: 'data-queue', data: { items: [...c.queue] }, transient: true }));
  }

  /** Lets held runs stream. */
  release(): void {
    for (const go of this.held.splice(0)) go();
  }

  private sim(conversationId: string): ConversationSim {
    let c = this.conversations.get(conversationId);
    if (!c) {
      c = { writer: new EventWriter(this.gw.nats, this.gw.store, conversationId), activeRun: null, queue: [], unflushed: [], flushing: Promise.resolve() };
      this.conversations.set(conversationId, c);
    }
    return c;
  }

  private async send(conversationId: string, content: string) {
    const c = this.sim(conversationId);
    const messageId = randomUUID();
    if (c.activeRun) {
      const item = { id: messageId, content, createdAt: new Date().toISOString() };
      c.queue.push(item);
      const ev = c.writer.next({ type: 'data-queue', data: { items: [...c.queue] }, transient: true });
      await this.store(c, ev);
      return ok({ messageId, status: 'queued', queueItemId: item.id, seq: ev.seq });
    }
    const { runId, first } = await this.startRun(c, messageId, content);
    return ok({ messageId, status: 'started', runId, seq: first });
  }

  private async regenerate(conversationId: string, messageId: string) {
    const c = this.sim(conversationId);
    if (c.activeRun) return fail('run_active', 'a run is active');
    const found = await this.gw.db.pool.query("SELECT 1 FROM message_views WHERE id = $1 AND role = 'assistant'", [messageId]);
    if (!found.rowCount) return fail('not_found', 'assistant message not found');
    await this.gw.db.pool.query('UPDATE message_views SET hidden = true WHERE id = $1', [messageId]);
    const runId = randomUUID();
    const start = c.writer.next({ type: 'start', messageId: randomUUID(), messageMetadata: { runId, model: 'test-model', regenerates: messageId } }, runId);
    await this.beginRun(c, runId, [start]);
    return ok({ runId, seq: start.seq });
  }

  private async startRun(c: ConversationSim, messageId: string, content: string, queueItemId?: string, before: ConversationEvent[] = []) {
    const runId = randomUUID();
    const message = c.writer.next(
      { type: 'data-message', data: { messageId, role: 'user', parts: [{ type: 'text', text: content }], ...(queueItemId ? { queueItemId } : {}) }, transient: true },
      runId,
    );
    const start = c.writer.next({ type: 'start', messageId: randomUUID(), messageMetadata: { runId, model: 'test-model' } }, runId);
    await this.beginRun(c, runId, [...before, message, start]);
    return { runId, first: (before[0] ?? message).seq };
  }

  private async beginRun(c: ConversationSim, runId: string, events: ConversationEvent[]) {
    c.activeRun = runId;
    await this.store(c, ...events);
    await this.gw.db.pool.query('UPDATE conversations SET active_run_id = $2 WHERE id = $1', [c.writer.conversationId, runId]);
    const go = () =>
      setTimeout(() => {
        const run = this.streamRun(c, runId, events[events.length - 1]).finally(() => this.running.delete(run));
        this.running.add(run);
      }, 5);
    if (this.autoRun) go();
    else this.held.push(go);
  }

  /** The run's events: each published live at once, appended only at the end of the run (like a batched flush). */
  private async streamRun(c: ConversationSim, runId: string, start: ConversationEvent) {
    const w = c.writer;
    const assistantId = start.chunk.type === 'start' ? start.chunk.messageId : randomUUID();
    const body = [
      w.next({ type: 'start-step' }, runId),
      w.next({ type: 'text-start', id: 't1' }, runId),
      ...this.words.map((word) => w.next({ type: 'text-delta', id: 't1', delta: word }, runId)),
      w.next({ type: 'text-end', id: 't1' }, runId),
      w.next({ type: 'finish-step' }, runId),
      w.next({ type: 'finish', finishReason: 'stop' }, runId),
    ];
    for (const ev of body) {
      w.publish(ev);
      c.unflushed.push(ev);
      await new Promise((r) => setImmediate(r));
    }
    await this.flush(c);
    await this.gw.db.pool.query(
      `INSERT INTO message_views (id, conversation_id, user_id, run_id, role, status, parts, model, first_seq, created_at)
       SELECT $1, $2, user_id, $3, 'assistant', 'complete', $4, 'test-model', $5, now() FROM conversations WHERE id = $2`,
      [assistantId, w.conversationId, runId, JSON.stringify([{ type: 'text', text: this.words.join('') }]), start.seq],
    );
    c.activeRun = null;
    await this.gw.db.pool.query('UPDATE conversations SET active_run_id = NULL WHERE id = $1', [w.conversationId]);
    const [next, ...rest] = c.queue;
    if (next) {
      c.queue = rest;
      const queueEvent = w.next({ type: 'data-queue', data: { items: rest }, transient: true });
      await this.startRun(c, next.id, next.content, next.id, [queueEvent]);
    }
  }

  private async store(c: ConversationSim, ...events: ConversationEvent[]) {
    c.writer.publish(...events);
    c.unflushed.push(...events);
    await this.flush(c);
  }

  private flush(c: ConversationSim): Promise<void> {
    c.flushing = c.flushing.then(() => c.writer.append(...c.unflushed.splice(0)));
    return c.flushing;
  }
}
