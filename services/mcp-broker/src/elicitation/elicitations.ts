import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import {
  checkRequestedSchema, DomainError, ELICITATION_LIMITS, elicitationDefaults, elicitationSubject, ElicitationToChatReply, queuePrefix, validateElicitationContent,
  type AnswerElicitationCommand, type AnswerElicitationResult, type ElicitationContent, type ElicitationStatus, type ElicitationToChat,
} from '@harness/contracts';
import type { Config } from '@harness/config';
import { errorFields, type Logger } from '@harness/logging';
import { CALL_CONTEXTS, CONFIG, ELICITATION_NATS, ELICITATION_OPTIONS, LOGGER } from '../tokens.js';
import type { CallContexts, ToolCallContext } from './call-contexts.js';

export interface ElicitationOptions {
  /** HARNESS_ELICITATION_TIMEOUT_MS: unanswered this long, an elicitation is cancelled (status `expired`). */
  timeoutMs: number;
  /** Elicitations one tool call may make; past it the server's further ones are declined. */
  maxPerCall: number;
  /** Elicitations waiting for an answer at once, per conversation and per user (across replicas, in Redis). */
  maxPendingPerConversation: number;
  maxPendingPerUser: number;
  /** How long the broker waits for chat to put the question in the run's stream. */
  chatWaitMs: number;
}

export const DEFAULT_ELICITATION_OPTIONS: Omit<ElicitationOptions, 'timeoutMs'> = {
  maxPerCall: 10,
  maxPendingPerConversation: 5,
  maxPendingPerUser: 20,
  chatWaitMs: 5_000,
};

type FinalStatus = Exclude<ElicitationStatus, 'pending'>;
interface Outcome {
  status: FinalStatus;
  content?: ElicitationContent;
}
interface StoredElicitation {
  userId: string;
  conversationId: string;
  requestedSchema: unknown;
}

const DECLINE: ElicitResult = { action: 'decline' };
const STATUS_BY_ACTION = { accept: 'accepted', decline: 'declined', cancel: 'cancelled' } as const;
/** Records and answers outlive the wait a little, so a late second answer is refused as answered, not unknown. */
const RECORD_GRACE_MS = 60_000;

/**
 * Puts an MCP server's form elicitation to the user whose tool call it interrupts, and carries the answer back:
 * the question goes to the chat replica running the call's run (NATS, the call's own subject), which streams it as
 * `data-elicitation`; the answer comes from the gateway to any broker replica (`answer`), is stored once in Redis
 * (a second one is refused) and announced on a Redis channel to the replica whose worker waits for it.
 */
@Injectable()
export class Elicitations implements OnApplicationShutdown {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  /** Local waits by elicitation id (bounded by the worker's concurrency × maxPerCall). */
  private readonly waiting = new Map<string, (outcome: Outcome) => void>();

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ELICITATION_NATS) private readonly nats: NatsConnection,
    @Inject(CALL_CONTEXTS) private readonly contexts: CallContexts,
    @Inject(ELICITATION_OPTIONS) private readonly options: ElicitationOptions,
  ) {
    const connection = () => {
      const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      redis.on('error', (err) => this.logger.warn(errorFields(err), 'redis connection error'));
      return redis;
    };
    this.redis = connection();
    this.subscriber = connection();
    void this.subscriber.subscribe(this.channel).catch((err: unknown) => this.logger.warn(errorFields(err), 'could not subscribe to elicitation answers'));
    this.subscriber.on('message', (channel: string, id: string) => {
      if (channel !== this.channel || !this.waiting.has(id)) return;
      this.readOutcome(id).then(
        (outcome) => outcome && this.waiting.get(id)?.(outcome),
        (err: unknown) => this.logger.warn({ elicitationId: id, ...errorFields(err) }, 'could not read an elicitation answer'),
      );
    });
  }

  /** The SDK's handler for `elicitation/create` (see createMcpClient): never throws, declines what it cannot ask. */
  readonly handle = async (client: Client, params: ElicitRequest['params'], serverSignal: AbortSignal): Promise<ElicitResult> => {
    try {
      return await this.ask(client, params, serverSignal);
    } catch (err) {
      this.logger.warn(errorFields(err), 'an elicitation failed; declined');
      return DECLINE;
    }
  };

  private async ask(client: Client, params: ElicitRequest['params'], serverSignal: AbortSignal): Promise<ElicitResult> {
    if (params.mode !== undefined && params.mode !== 'form') {
      this.logger.info({ mode: String(params.mode).slice(0, 20) }, 'declined an elicitation: only form mode is supported');
      return DECLINE;
    }
    const call = this.contexts.callFor(client);
    if (!call?.conversationId) {
      this.logger.info('declined an elicitation that belongs to no single running tool call of a conversation');
      return DECLINE;
    }
    const fields = { userId: call.userId, conversationId: call.conversationId, server: call.serverName };
    const message = (params as { message?: unknown }).message;
    if (typeof message !== 'string' || message.length > ELICITATION_LIMITS.maxMessageChars) {
      this.logger.warn(fields, `declined an elicitation whose message is not a string of at most ${ELICITATION_LIMITS.maxMessageChars} characters`);
      return DECLINE;
    }
    const schema = (params as { requestedSchema?: unknown }).requestedSchema;
    const check = checkRequestedSchema(schema);
    if (!check.ok) {
      this.logger.warn({ ...fields, reason: check.reason }, 'declined an elicitation whose schema is not an accepted form schema');
      return DECLINE;
    }
    if (call.elicitations >= this.options.maxPerCall) {
      this.logger.warn(fields, `declined an elicitation: the tool call already asked ${this.options.maxPerCall} times`);
      return DECLINE;
    }
    call.elicitations++;
    const id = `el_${randomBytes(16).toString('hex')}`;
    const expiresAt = Date.now() + this.options.timeoutMs;
    if (!(await this.reserve(call, id, expiresAt))) {
      this.logger.warn(fields, 'declined an elicitation: too many questions are waiting for this user or conversation');
      return DECLINE;
    }
    let answered!: (outcome: Outcome) => void;
    const answer = new Promise<Outcome>((resolve) => (answered = resolve));
    this.waiting.set(id, answered);
    call.deadline.pause();
    try {
      const record: StoredElicitation = { userId: call.userId, conversationId: call.conversationId, requestedSchema: schema };
      await this.redis.set(this.recordKey(id), JSON.stringify(record), 'PX', this.options.timeoutMs + RECORD_GRACE_MS);
      const shown = { elicitationId: id, serverName: call.serverName, message, requestedSchema: schema as Record<string, unknown> };
      if (!(await this.tellChat(call, { kind: 'open', ...shown, expiresAt }))) {
        this.logger.info({ ...fields, elicitationId: id }, 'the run could not show the elicitation (stopped?); cancelled');
        await this.settle(id, 'cancelled');
        return { action: 'cancel' };
      }
      this.logger.info({ ...fields, elicitationId: id }, 'elicitation waiting for the user');
      const ended = await this.waitFor(answer, call.signal, serverSignal);
      const outcome = ended.status === 'expired' || ended.status === 'cancelled' ? await this.settle(id, ended.status) : ended;
      await this.tellChat(call, { kind: 'close', elicitationId: id, status: outcome.status });
      this.logger.info({ ...fields, elicitationId: id, status: outcome.status }, 'elicitation ended');
      if (outcome.status === 'accepted') return { action: 'accept', content: outcome.content ?? {} };
      return outcome.status === 'declined' ? DECLINE : { action: 'cancel' };
    } finally {
      this.waiting.delete(id);
      call.deadline.resume();
      await this.release(call, id).catch((err: unknown) => this.logger.warn(errorFields(err), 'could not release an elicitation slot'));
    }
  }

  /** The user's answer, or `expired` after the timeout, or `cancelled` when the call or the server's request ends. */
  private waitFor(answer: Promise<Outcome>, callSignal: AbortSignal, serverSignal: AbortSignal): Promise<Outcome> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const ended = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ status: 'expired' }), this.options.timeoutMs);
      onAbort = () => resolve({ status: 'cancelled' });
      if (callSignal.aborted || serverSignal.aborted) onAbort();
      callSignal.addEventListener('abort', onAbort, { once: true });
      serverSignal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([answer, ended]).finally(() => {
      clearTimeout(timer);
      if (onAbort) {
        callSignal.removeEventListener('abort', onAbort);
        serverSignal.removeEventListener('abort', onAbort);
      }
    });
  }

  /** Ends an elicitation without the user (expired, cancelled) unless an answer got there first, which then wins. */
  private async settle(id: string, status: 'expired' | 'cancelled'): Promise<Outcome> {
    const set = await this.redis.set(this.answerKey(id), JSON.stringify({ status }), 'PX', this.options.timeoutMs + RECORD_GRACE_MS, 'NX');
    if (set === 'OK') return { status };
    return (await this.readOutcome(id)) ?? { status };
  }

  private async readOutcome(id: string): Promise<Outcome | undefined> {
    const raw = await this.redis.get(this.answerKey(id));
    return raw ? (JSON.parse(raw) as Outcome) : undefined;
  }

  /** Puts the message in the run's stream; false when no chat replica runs the call any more or it refused. */
  private async tellChat(call: ToolCallContext, message: ElicitationToChat): Promise<boolean> {
    try {
      const reply = await this.nats.request(elicitationSubject(call.callKey), JSON.stringify(message), { timeout: this.options.chatWaitMs });
      const parsed = ElicitationToChatReply.safeParse(reply.json());
      return parsed.success && parsed.data.delivered;
    } catch (err) {
      this.logger.info({ callKey: call.callKey, kind: message.kind, ...errorFields(err) }, 'chat did not take the elicitation message');
      return false;
    }
  }

  /** The user's answer (from the gateway): checked against the stored question, stored once, announced to the waiter. */
  async answer(cmd: AnswerElicitationCommand): Promise<AnswerElicitationResult> {
    const raw = await this.redis.get(this.recordKey(cmd.elicitationId));
    const record = raw ? (JSON.parse(raw) as StoredElicitation) : undefined;
    if (!record || record.userId !== cmd.userId || record.conversationId !== cmd.conversationId) {
      throw new DomainError('not_found', 'elicitation not found');
    }
    if ((await this.redis.exists(this.answerKey(cmd.elicitationId))) === 1) throw answeredAlready();
    let content: ElicitationContent | undefined;
    if (cmd.action === 'accept') {
      const check = checkRequestedSchema(record.requestedSchema);
      if (!check.ok) throw new DomainError('internal', 'the stored elicitation schema is not valid');
      // Fields left out take their defaults, as a user accepting a prefilled form answers (and as the SDK fills them).
      const valid = validateElicitationContent(check.form, { ...elicitationDefaults(check.form), ...cmd.content });
      if (!valid.ok) {
        const path = valid.field === null ? 'content' : `content.${valid.field}`;
        throw new DomainError('validation_failed', `${path}: ${valid.message}`, { field: valid.field, issues: [{ path, message: valid.message }] });
      }
      content = valid.content;
    }
    const outcome: Outcome = { status: STATUS_BY_ACTION[cmd.action], ...(content ? { content } : {}) };
    const set = await this.redis.set(this.answerKey(cmd.elicitationId), JSON.stringify(outcome), 'PX', this.options.timeoutMs + RECORD_GRACE_MS, 'NX');
    if (set !== 'OK') throw answeredAlready();
    await this.redis.publish(this.channel, cmd.elicitationId);
    return { elicitationId: cmd.elicitationId, action: cmd.action };
  }

  /** Takes a pending slot for the user and for the conversation, atomically across replicas; false when either is full. */
  private async reserve(call: ToolCallContext, id: string, expiresAt: number): Promise<boolean> {
    const now = Date.now();
    const ok = await this.redis.eval(
      RESERVE_SCRIPT, 2, this.pendingKey('user', call.userId), this.pendingKey('conversation', call.conversationId!),
      String(now), String(expiresAt), id, String(this.options.maxPendingPerUser), String(this.options.maxPendingPerConversation),
      String(this.options.timeoutMs + RECORD_GRACE_MS),
    );
    return ok === 1;
  }

  private async release(call: ToolCallContext, id: string): Promise<void> {
    await this.redis.multi()
      .zrem(this.pendingKey('user', call.userId), id)
      .zrem(this.pendingKey('conversation', call.conversationId!), id)
      .exec();
  }

  private get channel(): string {
    return `${queuePrefix()}:elicitations:answers`;
  }

  private recordKey(id: string): string {
    return `${queuePrefix()}:elicitations:${id}`;
  }

  private answerKey(id: string): string {
    return `${queuePrefix()}:elicitations:${id}:answer`;
  }

  private pendingKey(scope: 'user' | 'conversation', key: string): string {
    return `${queuePrefix()}:elicitations:pending:${scope}:${key}`;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.redis, this.subscriber].map((c) => c.quit().catch(() => c.disconnect())));
    await this.nats.drain().catch(() => undefined);
  }
}

const answeredAlready = () => new DomainError('conflict', 'this elicitation was already answered, cancelled or expired');

/**
 * KEYS: user's and conversation's pending sets (member = id, score = expiry). ARGV: now, expiresAt, id, user cap,
 * conversation cap, key TTL. Expired members (a replica that died mid-wait) are dropped before counting.
 */
const RESERVE_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) or redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return 1
`;
