import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { firstValueFrom, timeout } from 'rxjs';
import pg from 'pg';
import { loadConfig, type Config } from '@harness/config';
import {
  CHAT_QUEUE_GROUP,
  ConversationEvent,
  conversationEventsSubject,
  isEventReference,
  isTerminalChunk,
  parseLiveMessage,
  setSubjectNamespace,
  type Reply,
  type UiChunk,
} from '@harness/contracts';
import { createDatabase, type Database } from '@harness/db';
import { EventStore } from '@harness/event-store';
import { createLogger, PinoNestLogger } from '@harness/logging';
import { waitFor } from '@harness/testing';
import { ActorRegistry } from '../../src/conversation/actor-registry.js';

export { startSimulator, type SimulatorHandle } from '../../../../tools/llm-simulator/src/index.js';

/**
 * Support for the chat service's integration tests: a real NATS, the chat service booted in-process as its main.ts
 * does, a NATS client sending the ChatSubjects commands, a live-event tap, and helpers that check the stream.
 */

/**
 * This test file's own NATS subject namespace, set before the chat module is loaded (its message patterns read the
 * subjects when it is evaluated: see startChat). Even on a shared NATS server nobody else answers our commands.
 */
export const NATS_NAMESPACE = `chat-it-${randomUUID().slice(0, 8)}`;
setSubjectNamespace(NATS_NAMESPACE);

// ---------------------------------------------------------------------------------------------------------------
// NATS: the shared server of the integration tier (NATS_URL, default 127.0.0.1:4222); our namespace keeps us apart.

export interface NatsServer {
  url: string;
  stop(): Promise<void>;
}

export async function startNats(): Promise<NatsServer> {
  return { url: process.env.NATS_URL || 'nats://127.0.0.1:4222', stop: async () => undefined };
}

// ---------------------------------------------------------------------------------------------------------------
// A TCP proxy that can freeze every connection through it (bytes are held, nothing is closed): a process whose
// Postgres and NATS traffic go through frozen proxies is, to the rest of the cluster, a hung process.

export class FreezableProxy {
  private server!: Server;
  private readonly pairs = new Set<{ a: Socket; b: Socket; held: { to: Socket; data: Buffer }[] }>();
  private frozen = false;
  port = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  static async to(url: string): Promise<FreezableProxy> {
    const u = new URL(url);
    const p = new FreezableProxy(u.hostname, Number(u.port));
    await p.listen();
    return p;
  }

  /** `url` with host and port replaced by this proxy's. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  private listen(): Promise<void> {
    this.server = createServer((a) => {
      const b = createConnection({ host: this.targetHost, port: this.targetPort });
      const pair = { a, b, held: [] as { to: Socket; data: Buffer }[] };
      this.pairs.add(pair);
      const forward = (to: Socket) => (data: Buffer) => {
        if (this.frozen) pair.held.push({ to, data });
        else to.write(data);
      };
      a.on('data', forward(b));
      b.on('data', forward(a));
      const close = () => {
        a.destroy();
        b.destroy();
        this.pairs.delete(pair);
      };
      a.on('error', close).on('close', close);
      b.on('error', close).on('close', close);
    });
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      this.port = (this.server.address() as { port: number }).port;
      resolve();
    }));
  }

  freeze() {
    this.frozen = true;
  }

  /** Cuts every open connection (both ends see it closed); the proxy keeps accepting new ones. */
  async cut() {
    for (const p of this.pairs) {
      p.a.destroy();
      p.b.destroy();
    }
    this.pairs.clear();
  }

  thaw() {
    this.frozen = false;
    for (const p of this.pairs) {
      for (const h of p.held.splice(0)) if (!h.to.destroyed) h.to.write(h.data);
    }
  }

  async close() {
    for (const p of this.pairs) {
      p.a.destroy();
      p.b.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The chat service, in-process, built like services/chat/src/main.ts.

export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  HARNESS_JWT_SECRET: 'chat-integration-test-secret-0123456789',
  HARNESS_ENCRYPTION_KEY: '0'.repeat(64),
  LLM_API_KEY: 'sim-key',
  CHAT_LEASE_TTL_MS: '1500',
  CHAT_REAPER_INTERVAL_MS: '300',
  LLM_STALL_TIMEOUT_MS: '1500',
  LLM_USAGE_DRAIN_MS: '200',
  LLM_OPENROUTER_EXTENSIONS: 'true',
  CHAT_MAX_UNFLUSHED_EVENTS: '50',
};

export interface ChatInstance {
  config: Config;
  app: INestMicroservice;
  registry: ActorRegistry;
  db: Database;
  nats: NatsConnection;
  /** Graceful stop, as main.ts does on SIGTERM. */
  stop(): Promise<void>;
}

export async function startChat(opts: { databaseUrl: string; natsUrl: string; llmUrl: string; replicaId: string; env?: Record<string, string> }): Promise<ChatInstance> {
  const { ChatModule } = await import('../../src/chat.module.js');
  const config = loadConfig(
    { ...TEST_ENV, HARNESS_NATS_NAMESPACE: NATS_NAMESPACE, DATABASE_URL: opts.databaseUrl, NATS_URL: opts.natsUrl, LLM_BASE_URL: opts.llmUrl, HARNESS_REPLICA_ID: opts.replicaId, ...opts.env },
    'chat',
  );
  const logger = createLogger('chat', config.logLevel, false).child({ replicaId: config.replicaId });
  const db = createDatabase(config.databaseUrl, { applicationName: `harness-chat-${config.replicaId}`, max: 20 });
  const nats = await connect({ servers: config.natsUrl, name: `harness-chat-${config.replicaId}` });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(ChatModule.forRoot({ config, logger, db, nats }), {
    transport: Transport.NATS,
    options: { servers: [config.natsUrl], queue: CHAT_QUEUE_GROUP, name: `harness-chat-rpc-${config.replicaId}` },
    logger: new PinoNestLogger(logger),
  });
  const registry = app.get(ActorRegistry);
  await app.listen();
  registry.startReaper();
  let stopped: Promise<void> | null = null;
  return {
    config, app, registry, db, nats,
    stop: () =>
      (stopped ??= (async () => {
        await registry.shutdown();
        await app.close().catch(() => undefined);
        await nats.drain().catch(() => undefined);
        await db.close();
      })()),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A gateway-like NATS client.

export class CommandClient {
  private readonly client: ClientProxy;

  constructor(natsUrl: string) {
    this.client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [natsUrl] } });
  }

  async connect() {
    await this.client.connect();
    return this;
  }

  /** Sends a command, returns the wire reply `{ok, data} | {ok:false, error}`. */
  request<T = unknown>(subject: string, payload: object, timeoutMs = 15_000): Promise<Reply<T>> {
    return firstValueFrom(this.client.send<Reply<T>>(subject, payload).pipe(timeout(timeoutMs)));
  }

  /** Sends a command and returns its data; throws with the error body when it failed. */
  async ok<T = unknown>(subject: string, payload: object, timeoutMs?: number): Promise<T> {
    const r = await this.request<T>(subject, payload, timeoutMs);
    if (!r.ok) throw new Error(`${subject} failed: ${JSON.stringify(r.error)}`);
    return r.data;
  }

  async close() {
    await this.client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Live events of one conversation, as a gateway would receive them.

export class EventTap {
  readonly events: ConversationEvent[] = [];
  private sub!: Subscription;

  private constructor(private readonly nc: NatsConnection, readonly conversationId: string) {}

  static async open(nc: NatsConnection, conversationId: string): Promise<EventTap> {
    const t = new EventTap(nc, conversationId);
    t.sub = nc.subscribe(conversationEventsSubject(conversationId), {
      callback: (err, msg) => {
        if (err) return;
        // A reference (an event too large to publish) is not an event: tests that need them open their own tap.
        const m = parseLiveMessage(msg.json());
        if (m.success && !isEventReference(m.data)) t.events.push(ConversationEvent.parse(m.data));
      },
    });
    await nc.flush();
    return t;
  }

  /** Waits until `pred` holds for the events received so far; returns them. */
  async until(pred: (events: ConversationEvent[]) => boolean, timeoutMs = 15_000, description = 'live events'): Promise<ConversationEvent[]> {
    await waitFor(() => pred(this.events), { timeoutMs, intervalMs: 20, description: `${description} (have: ${summarize(this.events)})` });
    return [...this.events];
  }

  /** Waits for the terminal chunk of a run. */
  async terminalOf(runId: string, timeoutMs = 15_000): Promise<ConversationEvent> {
    await this.until((es) => es.some((e) => e.runId === runId && isTerminalChunk(e.chunk)), timeoutMs, `terminal of run ${runId}`);
    return this.events.find((e) => e.runId === runId && isTerminalChunk(e.chunk))!;
  }

  close() {
    this.sub.unsubscribe();
  }
}

const summarize = (events: ConversationEvent[]) =>
  events.slice(-12).map((e) => `${e.seq}:${e.chunk.type}`).join(',') + (events.length > 12 ? ` (${events.length} total)` : '');

// ---------------------------------------------------------------------------------------------------------------
// Database seeding and reads.

export async function seedConversation(pool: pg.Pool, opts: { userId?: string; model?: string; systemPrompt?: string } = {}) {
  const userId = opts.userId ?? `user-${randomUUID().slice(0, 8)}`;
  const harnessId = randomUUID();
  const conversationId = randomUUID();
  await pool.query('INSERT INTO harnesses (id, user_id, name, model, system_prompt) VALUES ($1, $2, $3, $4, $5)', [
    harnessId, userId, 'test harness', opts.model ?? 'sim/echo', opts.systemPrompt ?? '',
  ]);
  await pool.query('INSERT INTO conversations (id, user_id, harness_id, title) VALUES ($1, $2, $3, $4)', [conversationId, userId, harnessId, 'test']);
  await new EventStore(pool).createStream(conversationId, userId);
  return { userId, harnessId, conversationId };
}

export const storedEvents = (pool: pg.Pool, conversationId: string) => new EventStore(pool).read(conversationId);

export async function messages(pool: pg.Pool, conversationId: string) {
  const r = await pool.query(
    'SELECT id, role, status, parts, model, usage, error, hidden, run_id, first_seq FROM message_views WHERE conversation_id = $1 ORDER BY first_seq',
    [conversationId],
  );
  return r.rows as {
    id: string; role: string; status: string; parts: { type: string; text?: string }[]; model: string | null;
    usage: Record<string, unknown> | null; error: string | null; hidden: boolean; run_id: string | null; first_seq: number;
  }[];
}

/** Text parts of a message joined. */
export const textOf = (parts: { type: string; text?: string }[]) => parts.filter((p) => p.type === 'text').map((p) => p.text).join('');

/** A user message that scripts the simulator. */
export const sim = (text: string, scenario: object) => `${text}\n@sim ${JSON.stringify(scenario)}`;

// ---------------------------------------------------------------------------------------------------------------
// Stream invariants.

/**
 * Seqs strictly increase and each event's prev is the seq before it (a jump shows as seq > prev + 1 with prev equal to
 * the previous event's seq). Returns the jumps.
 */
export function assertSeqChain(events: ConversationEvent[]): { from: number; to: number }[] {
  const jumps: { from: number; to: number }[] = [];
  let last = 0;
  for (const e of events) {
    if (e.seq <= last || e.prev !== last) {
      throw new Error(`broken seq chain at seq ${e.seq} (prev ${e.prev}) after ${last}: ${summarize(events)}`);
    }
    if (e.seq !== last + 1) jumps.push({ from: last, to: e.seq });
    last = e.seq;
  }
  return jumps;
}

/**
 * Runs never overlap: every `start` is followed by exactly one terminal of that run before the next `start`; events of
 * a run lie between its start and its terminal (except its `data-message`, which comes just before `start`);
 * text/reasoning deltas lie inside their -start/-end. Returns the runs in order.
 */
export function assertRunsWellFormed(events: ConversationEvent[], opts: { allowOpenLast?: boolean } = {}) {
  const runs: { runId: string; start: number; terminal: UiChunk['type'] | null; chunks: UiChunk[] }[] = [];
  let active: (typeof runs)[number] | null = null;
  const open = new Set<string>();
  for (const e of events) {
    const c = e.chunk;
    if (c.type === 'start') {
      if (active) throw new Error(`run ${c.messageMetadata.runId} started at seq ${e.seq} while run ${active.runId} was active`);
      active = { runId: c.messageMetadata.runId, start: e.seq, terminal: null, chunks: [c] };
      runs.push(active);
      open.clear();
      continue;
    }
    if (e.runId && c.type !== 'data-message' && !(c.type === 'data-usage' && !active)) {
      if (!active || active.runId !== e.runId) throw new Error(`event ${e.seq} ${c.type} of run ${e.runId} outside that run`);
    }
    if (!active || e.runId !== active.runId) continue;
    active.chunks.push(c);
    if (c.type === 'text-start' || c.type === 'reasoning-start') open.add(c.id);
    if ((c.type === 'text-delta' || c.type === 'reasoning-delta') && !open.has(c.id)) throw new Error(`delta at seq ${e.seq} outside its part ${c.id}`);
    if (c.type === 'text-end' || c.type === 'reasoning-end') {
      if (!open.delete(c.id)) throw new Error(`end at seq ${e.seq} of a part that is not open: ${c.id}`);
    }
    if (isTerminalChunk(c)) {
      if (open.size) throw new Error(`run ${active.runId} ended at seq ${e.seq} with open parts ${[...open]}`);
      active.terminal = c.type;
      active = null;
    }
  }
  if (active && !opts.allowOpenLast) throw new Error(`run ${active.runId} has no terminal`);
  return runs;
}

export const chunkTypes = (events: ConversationEvent[]) => events.map((e) => e.chunk.type);

/** Collapses consecutive deltas of one type: the shape of a run without its length. */
export function shape(events: ConversationEvent[]): string[] {
  const out: string[] = [];
  for (const t of chunkTypes(events)) if (!(t.endsWith('-delta') && out[out.length - 1] === t)) out.push(t);
  return out;
}

export function newPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // Dropping the test database terminates idle connections: that must not be an unhandled 'error'.
  pool.on('error', () => undefined);
  return pool;
}
