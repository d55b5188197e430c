import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type OpenAI from 'openai';
import type pg from 'pg';
import { DomainError, ownerSubject, ReasoningEffort, SendMessageResult, type ConversationEvent, type MessagePart, type QueueItem, type UiChunk } from '@harness/contracts';
import type { Config } from '@harness/config';
import type { EventStore } from '@harness/event-store';
import { withTransaction } from '@harness/db';
import { errorFields, withCorrelation, type Logger } from '@harness/logging';
import { applyChunk, newDraft, replayDraft, closingChunks, draftOutputText, type MessageDraft } from '@harness/projections';
import { toChatMessages, type HistoryMessage } from '../llm/history.js';
import type { BudgetStore } from '../budgets/budget-store.js';
import { estimateUsage, type PriceBook } from '../llm/pricing.js';
import { RunExecutor } from '../run/run-executor.js';
import type { ToolExecutor } from '../run/tool-executor.js';
import { UsageBackfill } from '../run/usage-backfill.js';
import { ActorClosedError, type ActorCommand } from './actor-command.js';
import { decide, evolve, initialState, type ConversationState, type Decision, type Emitted } from './conversation-state.js';
import { EventWriter } from './event-writer.js';
import type { LeaseRepository } from './lease-repository.js';
import type { LivePublisher } from './live-publisher.js';
import { encodeReply, handleForwarded } from './forwarding.js';
import type { RecentCommands } from './recent-commands.js';

export interface ActorDeps {
  config: Config;
  pool: pg.Pool;
  store: EventStore;
  nats: NatsConnection;
  live: LivePublisher;
  leases: LeaseRepository;
  llm: OpenAI;
  prices: PriceBook;
  tools: (harnessId: string, userId: string, conversationId: string) => Promise<ToolExecutor>;
  backfill: UsageBackfill;
  logger: Logger;
  onClosed: (conversationId: string, actor: ConversationActor) => void;
  /** Commands run lately on this replica, by command id (shared by its actors). */
  recent: RecentCommands;
  /** Budgets: read before every decision that may start a run. */
  budgets: BudgetStore;
}

interface HarnessInfo {
  id: string;
  model: string;
  systemPrompt: string;
  reasoningEffort: ReasoningEffort | null;
}

/** The stored effort as the contract has it (anything else, e.g. a hand-edited row, asks for no reasoning). */
const effortOf = (stored: string | null): ReasoningEffort | null => {
  const r = ReasoningEffort.safeParse(stored);
  return r.success ? r.data : null;
};

interface RunningRun {
  runId: string;
  executor: RunExecutor;
}

const TAKEOVER_ERROR = 'the chat service running this conversation stopped; the partial answer was kept';
const IDLE_RELEASE_MS = 5_000;

/**
 * The owner of one conversation on this replica, while it holds the run lease: it numbers the conversation's events,
 * decides commands one at a time, runs at most one LLM run, drains the queue, and gives the lease back when idle.
 */
export class ConversationActor {
  private state: ConversationState = initialState();
  private writer!: EventWriter;
  private chain: Promise<unknown> = Promise.resolve();
  private run: RunningRun | null = null;
  private runDraft: MessageDraft | null = null;
  private closed = false;
  private sub: Subscription | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastRenewAt = Date.now();
  /** The harness as read with the conversation when the actor opened: used once, by the first command. */
  private loadedHarness: HarnessInfo | null = null;

  private constructor(
    private readonly d: ActorDeps,
    readonly conversationId: string,
    readonly userId: string,
    private readonly fencingToken: bigint,
  ) {}

  /** Opens the actor after this replica acquired the lease; closes a run a dead owner left behind. */
  static async open(d: ActorDeps, conversationId: string, userId: string, fencingToken: bigint): Promise<ConversationActor> {
    const a = new ConversationActor(d, conversationId, userId, fencingToken);
    await a.load();
    return a;
  }

  get isClosed() { return this.closed; }

  handle(cmd: ActorCommand): Promise<unknown> {
    if (this.closed) return Promise.reject(new ActorClosedError());
    this.cancelIdleRelease();
    return this.d.recent.run(cmd.commandId, () =>
      this.enqueue(() => withCorrelation(('correlationId' in cmd.payload && cmd.payload.correlationId) || randomUUID(), () => this.execute(cmd))));
  }

  /** Graceful shutdown: the run ends as failed (its partial answer kept), then the lease is released. */
  async shutdown(): Promise<void> {
    this.run?.executor.stop('shutdown');
    await this.enqueue(async () => undefined).catch(() => undefined);
    await this.waitForRun();
    await this.close(true);
  }

  private async load() {
    const { pool } = this.d;
    // One round trip: the stream's version, the active run, the queue and the harness.
    const conv = await pool.query<{
      active_run_id: string | null; stream_position: number; harness_id: string | null; model: string | null; system_prompt: string | null;
      reasoning_effort: string | null; queue: QueueItem[];
    }>(
      `SELECT c.active_run_id, s.stream_position, h.id AS harness_id, h.model, h.system_prompt, h.reasoning_effort,
         COALESCE((SELECT json_agg(json_build_object('id', q.id, 'content', q.content,
                     'createdAt', to_char(q.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY q.position)
                   FROM queue_item_views q WHERE q.conversation_id = c.id), '[]'::json) AS queue
       FROM conversations c JOIN streams s ON s.stream_id = c.id::text LEFT JOIN harnesses h ON h.id = c.harness_id
       WHERE c.id = $1 AND c.user_id = $2 AND c.deleted_at IS NULL`,
      [this.conversationId, this.userId],
    );
    if (!conv.rowCount) {
      await this.d.leases.release(this.conversationId, this.d.config.replicaId, this.fencingToken);
      throw new DomainError('not_found', 'conversation not found');
    }
    const row = conv.rows[0];
    if (row.harness_id) {
      this.loadedHarness = { id: row.harness_id, model: row.model ?? '', systemPrompt: row.system_prompt ?? '', reasoningEffort: effortOf(row.reasoning_effort) };
    }
    const items: QueueItem[] = row.queue;
    this.state = { activeRun: null, queue: items };
    this.writer = new EventWriter(
      {
        store: this.d.store, live: this.d.live, logger: this.d.logger, conversationId: this.conversationId, userId: this.userId,
        fencingToken: this.fencingToken, drafts: new Map(), flushIntervalMs: this.d.config.chat.flushIntervalMs,
        flushMaxEvents: this.d.config.chat.flushMaxEvents, maxUnflushedEvents: this.d.config.chat.maxUnflushedEvents,
        onLost: (reason) => this.lost(reason),
        onEvent: (e) => this.fold(e),
      },
      row.stream_position,
    );
    this.sub = this.d.nats.subscribe(ownerSubject(this.conversationId), {
      callback: (err, msg) => {
        if (err) return;
        void handleForwarded(msg, (cmd) => this.handle(cmd)).catch(() => msg.respond(encodeReply({ retry: true })));
      },
    });
    const renewEvery = Math.max(200, Math.floor(this.d.config.chat.leaseTtlMs / 3));
    this.renewTimer = setInterval(() => void this.renew(), renewEvery);
    const orphanRun = row.active_run_id;
    try {
      if (orphanRun) await this.enqueue(() => this.closeOrphanRun(orphanRun));
      await this.enqueue(() => this.afterRunEnded());
    } catch (err) {
      // Never leave a half-open actor behind (its subscription and lease renewal would live on, unreachable).
      await this.close(true);
      throw err;
    }
  }

  private fold(e: ConversationEvent) {
    this.state = evolve(this.state, { chunk: e.chunk, runId: e.runId });
    if (e.chunk.type === 'start') this.runDraft = newDraft(e.chunk.messageId, e.chunk.messageMetadata.runId, e.chunk.messageMetadata.model);
    else if (this.runDraft && e.runId === this.runDraft.runId) applyChunk(this.runDraft, e.chunk, e.createdAt);
  }

  private async execute(cmd: ActorCommand): Promise<unknown> {
    if (cmd.payload.userId !== this.userId) throw new DomainError('not_found', 'conversation not found');
    switch (cmd.type) {
      case 'send': return this.send(cmd.payload);
      case 'interrupt': return (await this.apply(decide(this.state, { type: 'interrupt' }))).result;
      case 'remove-queue-item': return (await this.apply(decide(this.state, { type: 'remove-queue-item', itemId: cmd.payload.itemId }))).result;
      case 'send-now': {
        const harness = await this.harness();
        const budget = await this.budget();
        return (await this.apply(decide(this.state, { type: 'send-now', itemId: cmd.payload.itemId, model: harness.model, ids: newIds(), budget }), { harness })).result;
      }
      case 'regenerate': return this.regenerate(cmd.payload.messageId);
      case 'delete': return this.deleteConversation();
      case 'record-usage': {
        const { messageId, model, usage } = cmd.payload;
        await this.writer.commit([{ chunk: { type: 'data-usage', data: { ...usage, messageId, model }, transient: true }, runId: null }]);
        this.scheduleIdleRelease();
        return { recorded: true };
      }
      case 'adopt': return { adopted: true };
    }
  }

  private async send(p: Extract<ActorCommand, { type: 'send' }>['payload']) {
    if (p.clientMessageId) {
      const prior = await this.d.pool.query<{ response: unknown }>(
        'SELECT response FROM idempotency_keys WHERE conversation_id = $1 AND client_message_id = $2',
        [this.conversationId, p.clientMessageId],
      );
      if (prior.rowCount) return { ...SendMessageResult.parse(prior.rows[0].response), replayed: true as const };
    }
    const harness = await this.harness();
    const budget = await this.budget();
    const decision = decide(this.state, {
      type: 'send', messageId: randomUUID(), content: p.content, clientMessageId: p.clientMessageId, now: new Date().toISOString(), model: harness.model, ids: newIds(),
      limits: { maxItems: this.d.config.chat.maxQueuedMessages, maxBytes: this.d.config.chat.maxQueueBytes }, budget,
    }) as Decision<Omit<SendMessageResult, 'seq'>>;
    let result: SendMessageResult | null = null;
    await this.apply(decision, { harness, extra: async (tx, events) => {
      result = { ...decision.result, seq: events[0].seq };
      if (p.clientMessageId) {
        await tx.query('INSERT INTO idempotency_keys (conversation_id, client_message_id, response) VALUES ($1, $2, $3)', [
          this.conversationId, p.clientMessageId, JSON.stringify(result),
        ]);
      }
    } });
    return result;
  }

  private async regenerate(messageId: string) {
    const r = await this.d.pool.query<{ role: string; hidden: boolean; first_seq: number }>(
      'SELECT role, hidden, first_seq FROM message_views WHERE id = $1 AND conversation_id = $2',
      [messageId, this.conversationId],
    );
    const row = r.rows[0];
    const target = row ? { messageId, role: row.role, hidden: row.hidden, firstSeq: row.first_seq } : null;
    const harness = await this.harness();
    const budget = await this.budget();
    const decision = decide(this.state, { type: 'regenerate', target, model: harness.model, ids: newIds(), budget });
    let seq = 0;
    await this.apply(decision, { harness, extra: async (_tx, events) => {
      seq = events[0].seq;
    } });
    return { ...(decision.result as { runId: string }), seq };
  }

  /** Commits the decision's events (durable before announced), then carries out its effects. */
  private async apply(
    decision: Decision,
    opts: { extra?: Parameters<EventWriter['commit']>[1]; harness?: HarnessInfo } = {},
  ): Promise<Decision> {
    if (decision.emit.length) await this.writer.commit(decision.emit, opts.extra);
    for (const effect of decision.effects) {
      if (effect.type === 'abort-run') {
        if (this.run?.runId === effect.runId) this.run.executor.stop(effect.reason);
      } else {
        this.startRun(effect.runId, effect.messageId, opts.harness ?? (await this.harness()));
      }
    }
    if (!this.state.activeRun && !this.run && this.state.queue.length) void this.enqueue(() => this.afterRunEnded()).catch(() => undefined);
    else if (!this.state.activeRun) this.scheduleIdleRelease();
    return decision;
  }

  /** Starts the run in the background: the command that started it answers as soon as its events are stored. */
  private startRun(runId: string, messageId: string, harness: HarnessInfo) {
    const { pool, config } = this.d;
    const model = harness.model;
    const prepare = async () => {
      const history = await pool.query<{ role: 'user' | 'assistant'; status: string; parts: MessagePart[] }>(
        `SELECT role, status, parts FROM message_views
         WHERE conversation_id = $1 AND hidden = false AND NOT (role = 'assistant' AND run_id = $2)
         ORDER BY first_seq`,
        [this.conversationId, runId],
      );
      return { messages: toChatMessages(harness.systemPrompt, history.rows as HistoryMessage[]), tools: await this.d.tools(harness.id, this.userId, this.conversationId) };
    };
    const executor = new RunExecutor(
      this.d.llm,
      this.d.prices,
      {
        publish: (chunks) => this.writer.publish(chunks.map((chunk) => ({ chunk, runId }))),
        commit: async (chunks) => void (await this.writer.commit(chunks.map((chunk) => ({ chunk, runId })))),
        draft: () => this.runDraft ?? newDraft(messageId, runId, model),
      },
      {
        openRouterExtensions: config.llm.openRouterExtensions,
        reasoningParam: config.llm.reasoningParam,
        stallTimeoutMs: config.llm.stallTimeoutMs,
        requestTimeoutMs: config.llm.requestTimeoutMs,
        usageDrainMs: config.llm.usageDrainMs,
        maxSteps: config.chat.maxSteps,
      },
      { runId, messageId, model, reasoningEffort: harness.reasoningEffort, prepare },
      this.d.logger.child({ conversationId: this.conversationId, runId }),
    );
    this.run = { runId, executor };
    void executor.run().then(
      (outcome) => {
        if (this.run?.runId === runId) this.run = null;
        if (outcome.status === 'interrupted' && outcome.usage?.source === 'estimated' && outcome.generationIds.length && config.llm.openRouterExtensions) {
          this.d.backfill.schedule({ conversationId: this.conversationId, userId: this.userId, messageId, model, generationIds: outcome.generationIds });
        }
        if (!this.closed) void this.enqueue(() => this.afterRunEnded()).catch(() => undefined);
      },
      (err) => this.d.logger.error({ runId, ...errorFields(err) }, 'run crashed'),
    );
  }

  /** Starts the next queued message, if any. */
  private async afterRunEnded() {
    if (this.closed || this.state.activeRun || this.run) return;
    if (this.state.queue.length) {
      const harness = await this.harness().catch((err: unknown) => {
        if (!(err instanceof DomainError && err.code === 'conflict')) throw err;
        return null;
      });
      if (harness) {
        const budget = await this.budget();
        await this.apply(decide(this.state, { type: 'drain-queue', model: harness.model, ids: newIds(), budget }), { harness });
        return;
      }
      // The harness was deleted: nothing can run here any more. The queued messages leave the queue (the event
      // history keeps them) rather than wait forever.
      this.d.logger.warn({ conversationId: this.conversationId, dropped: this.state.queue.length }, "harness deleted: the conversation's queue is cleared");
      await this.writer.commit([{ chunk: { type: 'data-queue', data: { items: [] }, transient: true }, runId: null }]);
    }
    this.scheduleIdleRelease();
  }

  /** A run whose owner died: close what it left open and end it as failed, after a seq jump past anything it may have published. */
  private async closeOrphanRun(runId: string) {
    const events = await this.d.store.read(this.conversationId, { runId });
    const draft = replayDraft(events);
    // The dead owner stopped numbering once more than maxUnflushedEvents waited for Postgres, give or take one publish
    // per concurrent publisher: twice the cap is beyond anything it can have sent live.
    this.writer.jump(2 * this.d.config.chat.maxUnflushedEvents + 1);
    const price = draft ? await this.d.prices.priceOf(draft.model) : null;
    const promptChars = 0;
    const reasoningChars = draft ? draft.parts.reduce((n, p) => n + (p.type === 'reasoning' ? p.text.length : 0), 0) : 0;
    const usage = estimateUsage(promptChars, draft ? draftOutputText(draft).length - reasoningChars : 0, reasoningChars, price);
    const chunks: UiChunk[] = [];
    if (draft) {
      chunks.push(...closingChunks(draft, 'cancelled: the run ended before this tool call finished'));
      // Like a run that ends early by itself: the step it was in is closed too.
      const stepOpen = events.reduce((open, e) => (e.chunk.type === 'start-step' ? true : e.chunk.type === 'finish-step' ? false : open), false);
      if (stepOpen) chunks.push({ type: 'finish-step' });
      chunks.push({ type: 'data-usage', data: { ...usage, messageId: draft.messageId, model: draft.model }, transient: true });
    }
    chunks.push({ type: 'data-run', data: { runId, status: 'failed', ...(draft ? { messageId: draft.messageId } : {}), error: TAKEOVER_ERROR }, transient: true });
    chunks.push({ type: 'error', errorText: TAKEOVER_ERROR });
    // Without a draft the run never reached `start`; evolve needs the active run to clear it.
    if (!draft) this.state = { ...this.state, activeRun: { runId, messageId: '' } };
    await this.writer.commit(chunks.map((chunk): Emitted => ({ chunk, runId })));
    if (this.state.activeRun?.runId === runId) this.state = { ...this.state, activeRun: null };
    this.d.logger.warn({ conversationId: this.conversationId, runId }, 'closed a run left by a chat replica that stopped');
  }

  private async deleteConversation() {
    this.run?.executor.stop('deleted');
    await this.waitForRun();
    this.writer.close();
    await withTransaction(this.d.pool, async (client) => {
      // The stream row first: it waits for an append in flight (which holds that row) to commit, so its events are
      // deleted too; any later append finds no stream and stores nothing.
      for (const sql of [
        'DELETE FROM streams WHERE stream_id = $1',
        'DELETE FROM events WHERE stream_id = $1',
        'DELETE FROM message_views WHERE conversation_id = $1::uuid',
        'DELETE FROM queue_item_views WHERE conversation_id = $1::uuid',
        'DELETE FROM usage_views WHERE conversation_id = $1::uuid',
        'DELETE FROM idempotency_keys WHERE conversation_id = $1::uuid',
        'DELETE FROM conversations WHERE id = $1::uuid',
      ]) await client.query(sql, [this.conversationId]);
    });
    await this.close(false);
    await this.d.pool.query('DELETE FROM run_leases WHERE conversation_id = $1', [this.conversationId]);
    return { deleted: true };
  }

  private async harness(): Promise<HarnessInfo> {
    const loaded = this.loadedHarness;
    this.loadedHarness = null;
    if (loaded) return loaded;
    const r = await this.d.pool.query<{ id: string; model: string; system_prompt: string; reasoning_effort: string | null }>(
      'SELECT h.id, h.model, h.system_prompt, h.reasoning_effort FROM conversations c JOIN harnesses h ON h.id = c.harness_id WHERE c.id = $1',
      [this.conversationId],
    );
    if (!r.rowCount) throw new DomainError('conflict', "this conversation's harness was deleted");
    const h = r.rows[0];
    return { id: h.id, model: h.model, systemPrompt: h.system_prompt, reasoningEffort: effortOf(h.reasoning_effort) };
  }

  /** The user's budget and month-to-date spend right now (null: no budget, nothing read but the budget). */
  private budget() {
    return this.d.budgets.status(this.userId);
  }

  private async waitForRun() {
    for (let i = 0; this.run && i < 400; i++) await new Promise((r) => setTimeout(r, 25));
  }

  private async renew() {
    if (this.closed) return;
    try {
      const ok = await this.d.leases.renew(this.conversationId, this.d.config.replicaId, this.fencingToken);
      if (!ok) return this.lost('lease taken over');
      this.lastRenewAt = Date.now();
    } catch (err) {
      if (Date.now() - this.lastRenewAt > this.d.config.chat.leaseTtlMs) this.lost(`lease not renewed: ${(err as Error).message}`);
    }
  }

  private lost(reason: string) {
    if (this.closed) return;
    this.d.logger.warn({ conversationId: this.conversationId, reason }, 'lost ownership of the conversation');
    this.run?.executor.stop('lost');
    void this.close(false);
  }

  private scheduleIdleRelease() {
    this.cancelIdleRelease();
    this.idleTimer = setTimeout(() => {
      void this.enqueue(async () => {
        if (!this.state.activeRun && !this.run && !this.state.queue.length) await this.close(true);
      }).catch(() => undefined);
    }, IDLE_RELEASE_MS);
  }

  private cancelIdleRelease() {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private async close(releaseLease: boolean) {
    if (this.closed) return;
    this.closed = true;
    this.cancelIdleRelease();
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.sub?.unsubscribe();
    this.d.onClosed(this.conversationId, this);
    if (releaseLease && !this.writer.isLost) {
      await this.writer.flush().catch(() => undefined);
      this.writer.close();
      await this.d.leases.release(this.conversationId, this.d.config.replicaId, this.fencingToken).catch(() => undefined);
    } else {
      this.writer?.close();
    }
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(() => {
      if (this.closed) throw new ActorClosedError();
      return fn();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

const newIds = () => ({ runId: randomUUID(), assistantMessageId: randomUUID() });
