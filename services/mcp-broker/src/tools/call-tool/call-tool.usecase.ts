import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  queuePrefix, Queues, toolCallJobId, type CallToolCommand, type CallToolResult, type CancelToolCallCommand, type CancelToolCallResult, type McpAuthRequired,
} from '@harness/contracts';
import type { Config } from '@harness/config';
import { verifyToolCall } from '@harness/crypto';
import { errorFields, type Logger } from '@harness/logging';
import { ServerAccess, ServerAccessError } from '../../auth/server-access.js';
import { CALL_CONTEXTS, CALL_TOOL_OPTIONS, CONFIG, ELICITATION_OPTIONS, LOGGER } from '../../tokens.js';
import type { CallContexts, ToolCallContext } from '../../elicitation/call-contexts.js';
import type { ElicitationOptions } from '../../elicitation/elicitations.js';
import { PausableDeadline } from '../../elicitation/pausable-deadline.js';
import { tooLargeMessage } from '../../sessions/oversized-response.js';
import { ListTools } from '../list-tools/list-tools.usecase.js';
import { mapToolResult, type ToolResultLimits } from '../tool-result.js';
import { KeyedSlots } from './server-slots.js';

export interface CallToolOptions {
  /** Tool calls run at once by this replica's worker. */
  concurrency: number;
  /** Tool calls run at once by this replica against one MCP server (the rest wait in order, within their timeout). */
  perServerConcurrency: number;
  /**
   * A job whose worker stops renewing its lock (the replica died) is failed after about this long, never re-run:
   * the call may have reached the server.
   */
  lockDurationMs: number;
  /** Per call, when the command gives none. */
  defaultTimeoutMs: number;
  limits: ToolResultLimits;
  /** Finished jobs kept in Redis (a duplicate toolCallId within them gets the first result). */
  keepJobs: number;
}

export const DEFAULT_CALL_TOOL_OPTIONS: CallToolOptions = {
  concurrency: 16,
  perServerConcurrency: 8,
  lockDurationMs: 10_000,
  defaultTimeoutMs: 60_000,
  limits: { modelChars: 20_000, storedBytes: 256 * 1024 },
  keepJobs: 1_000,
};

/**
 * What a job carries: the call as chat signed it (timeoutMs as the command gave it, absent for the default) and the
 * signature; never the decrypted credentials, the worker resolves them itself.
 */
interface CallToolJob {
  userId: string;
  harnessId: string;
  toolCallId: string;
  conversationId?: string;
  name: string;
  input: unknown;
  timeoutMs?: number;
  signedAt?: number;
  signature?: string;
}

/**
 * How long a signed call may wait before it runs: well past the longest tool timeout plus queueing, far short of how
 * long a copy of its data could sit in Redis. A signature from the future (beyond clock skew) is refused too.
 */
const SIGNATURE_MAX_AGE_MS = 60 * 60_000;
const SIGNATURE_MAX_SKEW_MS = 5 * 60_000;

/** How long the NATS handler waits beyond the call's own timeout (queueing, connecting, a dead worker detected). */
const WAIT_MARGIN_MS = 10_000;
/** How long a cancellation is remembered for a job that has not started yet. */
const CANCEL_MEMORY_S = 3_600;
/** How long a started call is remembered, so the same job is never run twice on the server. */
const STARTED_MEMORY_S = 7 * 24 * 3_600;
const ALREADY_RAN_TEXT = 'this tool call was already started once; Harness does not run a tool call twice';
const CANCELLED_TEXT = 'cancelled: the run was stopped before this tool call finished';
const STALLED_TEXT = 'the MCP broker running this call stopped; the call may have reached the server and was not retried';
const UNSIGNED_TEXT = 'refused: this tool call job was not signed by Harness (only runs started by chat are run)';


/**
 * Runs a model's tool call on the MCP server that lists it: one BullMQ job per call (jobId = toolCallId, so a
 * duplicate command is not run twice; no retry, the call may have reached the server), run by this service's worker
 * under a per-call timeout that cancels the request on the server.
 */
@Injectable()
export class CallTool implements OnApplicationShutdown {
  private readonly queue: Queue<CallToolJob, CallToolResult>;
  private readonly events: QueueEvents;
  private readonly worker: Worker<CallToolJob, CallToolResult>;
  private readonly connections: Redis[] = [];
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly slots: KeyedSlots;
  /** Jobs this replica's worker is running, by job id: aborted by a cancel from any replica. */
  private readonly running = new Map<string, AbortController>();
  private readonly signingKey: Buffer;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(ListTools) private readonly listTools: ListTools,
    @Inject(ServerAccess) private readonly access: ServerAccess,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CALL_TOOL_OPTIONS) private readonly options: CallToolOptions,
    @Inject(CALL_CONTEXTS) private readonly contexts: CallContexts,
    @Inject(ELICITATION_OPTIONS) private readonly elicitation: ElicitationOptions,
  ) {
    if (!config.jobSigningKey) throw new Error('the mcp-broker needs HARNESS_JOB_SIGNING_KEY (loadConfig gives it to the mcp-broker service)');
    this.signingKey = config.jobSigningKey;
    const connection = () => {
      const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      redis.on('error', (err) => this.logger.warn(errorFields(err), 'redis connection error'));
      this.connections.push(redis);
      return redis;
    };
    this.slots = new KeyedSlots(options.perServerConcurrency);
    this.redis = connection();
    this.subscriber = connection();
    void this.subscriber.subscribe(this.cancelChannel).catch((err: unknown) => this.logger.warn(errorFields(err), 'could not subscribe to tool call cancels'));
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.cancelChannel) return;
      let jobIds: unknown;
      try {
        jobIds = JSON.parse(message);
      } catch {
        return;
      }
      // Every job of the command is aborted in this one turn, before any of them releases its server slot.
      if (Array.isArray(jobIds)) for (const jobId of jobIds) this.running.get(String(jobId))?.abort(new CancelledError());
    });
    this.queue = new Queue<CallToolJob, CallToolResult>(Queues.toolCalls, { connection: connection(), prefix: queuePrefix() });
    this.events = new QueueEvents(Queues.toolCalls, { connection: connection(), prefix: queuePrefix() });
    this.worker = new Worker<CallToolJob, CallToolResult>(Queues.toolCalls, (job) => this.run(job), {
      prefix: queuePrefix(),
      connection: connection(),
      concurrency: options.concurrency,
      // A job left by a dead replica is failed, not re-run: at most once on the server, and it still ends.
      maxStalledCount: 0,
      lockDuration: options.lockDurationMs,
      stalledInterval: Math.max(1_000, Math.round(options.lockDurationMs / 2)),
    });
    this.worker.on('error', (err) => this.logger.warn(errorFields(err), 'tool call worker error'));
  }

  async execute(cmd: CallToolCommand): Promise<CallToolResult> {
    const timeoutMs = cmd.timeoutMs ?? this.options.defaultTimeoutMs;
    // Carried as signed: the worker checks the signature over exactly these fields.
    const data: CallToolJob = {
      userId: cmd.userId, harnessId: cmd.harnessId, toolCallId: cmd.toolCallId, name: cmd.name, input: cmd.input,
      ...(cmd.conversationId !== undefined ? { conversationId: cmd.conversationId } : {}),
      ...(cmd.timeoutMs !== undefined ? { timeoutMs: cmd.timeoutMs } : {}),
      ...(cmd.signedAt !== undefined ? { signedAt: cmd.signedAt } : {}),
      ...(cmd.signature !== undefined ? { signature: cmd.signature } : {}),
    };
    const job = await this.queue.add('call', data, {
      jobId: toolCallJobId(cmd.userId, cmd.toolCallId),
      attempts: 1,
      removeOnComplete: { count: this.options.keepJobs },
      removeOnFail: { count: this.options.keepJobs },
    });
    try {
      return await job.waitUntilFinished(this.events, this.longestRunMs(timeoutMs) + WAIT_MARGIN_MS);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.warn({ toolCallId: cmd.toolCallId, ...errorFields(err) }, 'tool call job did not finish');
      if (/stalled/i.test(message)) return failure(STALLED_TEXT, 0);
      return failure(`the tool call failed: ${message}`.slice(0, 500), 0);
    }
  }

  /**
   * Cancels a call wherever it is: remembered for a job that has not started (it ends at once when it does), and
   * broadcast to every replica so the one running it aborts the request (the SDK sends `notifications/cancelled`).
   */
  async cancel(cmd: CancelToolCallCommand): Promise<CancelToolCallResult> {
    const jobIds = cmd.toolCallIds.map((id) => toolCallJobId(cmd.userId, id));
    const marks = this.redis.multi();
    for (const jobId of jobIds) marks.set(this.cancelKey(jobId), '1', 'EX', CANCEL_MEMORY_S);
    await marks.exec();
    await this.redis.publish(this.cancelChannel, JSON.stringify(jobIds));
    return { cancelled: true };
  }

  /**
   * The most a call may run: its timeout plus the time its elicitations may wait for the user (the timeout does not
   * run while one does, see PausableDeadline). A backstop: a worker that dies is noticed by the stalled check.
   */
  private longestRunMs(timeoutMs: number): number {
    return timeoutMs + this.elicitation.maxPerCall * this.elicitation.timeoutMs;
  }

  private get cancelChannel(): string {
    return `${queuePrefix()}:${Queues.toolCalls}:cancel`;
  }

  private startedKey(jobId: string): string {
    return `${queuePrefix()}:${Queues.toolCalls}:started:${jobId}`;
  }

  private cancelKey(jobId: string): string {
    return `${queuePrefix()}:${Queues.toolCalls}:cancelled:${jobId}`;
  }

  /**
   * True when chat signed exactly this job: a job written into the queue by anything else (the board, anyone with
   * Redis access) names a user whose credentials it must not get to use.
   */
  private isSigned(jobId: string | undefined, data: Partial<CallToolJob> | null | undefined, now = Date.now()): data is CallToolJob {
    if (!data || typeof data !== 'object') return false;
    const { userId, harnessId, toolCallId, conversationId, name, input, timeoutMs, signedAt, signature } = data;
    if (typeof userId !== 'string' || typeof harnessId !== 'string' || typeof toolCallId !== 'string' || typeof name !== 'string') return false;
    if (conversationId !== undefined && typeof conversationId !== 'string') return false;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0)) return false;
    if (typeof signedAt !== 'number' || now - signedAt > SIGNATURE_MAX_AGE_MS || signedAt - now > SIGNATURE_MAX_SKEW_MS) return false;
    // The job id is the call's own: a signed call copied under another id would dodge the "started" mark and run twice.
    if (jobId !== toolCallJobId(userId, toolCallId)) return false;
    return verifyToolCall(this.signingKey, { userId, harnessId, toolCallId, name, input, timeoutMs, signedAt, conversationId }, signature);
  }

  /** The worker's processor: never throws, every outcome is a result. */
  private async run(job: Job<CallToolJob, CallToolResult>): Promise<CallToolResult> {
    if (!this.isSigned(job.id, job.data)) {
      const data = (job.data ?? {}) as Partial<CallToolJob>;
      this.logger.warn(
        { jobId: job.id, userId: String(data.userId).slice(0, 200), toolCallId: String(data.toolCallId).slice(0, 200), tool: String(data.name).slice(0, 200) },
        'refused a tool call job without a valid signature (unsigned, forged, copied under another id or signed too long ago)',
      );
      return failure(UNSIGNED_TEXT, 0);
    }
    const jobId = job.id ?? '';
    const abort = new AbortController();
    this.running.set(jobId, abort);
    try {
      // One round trip: was it cancelled before it started, and the "started" mark that makes it at most once,
      // whatever re-queues the job (a retry from the board, a re-run after a stall).
      const replies = await this.redis
        .multi()
        .exists(this.cancelKey(jobId))
        .set(this.startedKey(jobId), '1', 'EX', STARTED_MEMORY_S, 'NX')
        .exec();
      if (!replies || replies.some(([err]) => err)) throw new Error('could not check the tool call job in Redis');
      if (replies[0]![1] === 1) return failure(CANCELLED_TEXT, 0);
      if (replies[1]![1] !== 'OK') return failure(ALREADY_RAN_TEXT, 0);
      return await this.runCall(jobId, job.data, abort);
    } finally {
      this.running.delete(jobId);
    }
  }

  private async isCancelled(jobId: string): Promise<boolean> {
    return (await this.redis.exists(this.cancelKey(jobId))) === 1;
  }

  private async runCall(jobId: string, data: CallToolJob, abort: AbortController): Promise<CallToolResult> {
    const { userId, harnessId, name, input } = data;
    const timeoutMs = data.timeoutMs ?? this.options.defaultTimeoutMs;
    const started = Date.now();
    const resolved = await this.listTools.resolveTool(userId, harnessId, name).catch((err: unknown) => {
      this.logger.warn({ name, ...errorFields(err) }, 'could not resolve tool');
      return undefined;
    });
    if (!resolved) return failure(`no tool named "${name}" is available to this harness`, Date.now() - started);

    // Paused while the call waits on the user (an elicitation), so the user's time is not the tool's.
    const deadline = new PausableDeadline(timeoutMs, () => abort.abort(new Error(`the tool did not answer within ${Math.round(timeoutMs / 1000)} s`)));
    const call: ToolCallContext = {
      userId, conversationId: data.conversationId, callKey: jobId, serverName: resolved.server.name, signal: abort.signal, deadline, elicitations: 0,
    };
    let release: (() => void) | undefined;
    try {
      release = await this.slots.acquire(resolved.serverUrl, abort.signal);
      if (await this.isCancelled(jobId)) abort.abort(new CancelledError());
      abort.signal.throwIfAborted();
      const args = isRecord(input) ? input : {};
      const result = await this.access.run(
        userId,
        resolved.server,
        // The SDK's own timeout is only the backstop; the deadline above aborts the request.
        (client) => this.contexts.run(client, call, () =>
          client.callTool({ name: resolved.originalName, arguments: args }, undefined, { signal: abort.signal, timeout: this.longestRunMs(timeoutMs) })),
        resolved.credential,
      );
      const mapped = mapToolResult(result, this.options.limits);
      const out: CallToolResult = { ok: mapped.ok, output: mapped.output, modelText: mapped.modelText, durationMs: Date.now() - started };
      if (mapped.errorText !== undefined) out.errorText = mapped.errorText;
      return out;
    } catch (err) {
      if (err instanceof ServerAccessError && !abort.signal.aborted) {
        this.logger.info({ serverId: resolved.serverId, serverUrl: resolved.serverUrl, tool: resolved.originalName, message: err.message }, 'MCP server not usable for this user');
        if (!err.authRequired) return failure(err.message, Date.now() - started);
        const reason = err.reason ? ` (${err.reason})` : '';
        return failure(`the MCP server ${resolved.server.name} needs you to connect your account${reason}`.slice(0, 500), Date.now() - started, err.authRequired);
      }
      const fields = { serverId: resolved.serverId, serverUrl: resolved.serverUrl, tool: resolved.originalName, ...errorFields(err) };
      if (abort.signal.reason instanceof CancelledError) this.logger.info(fields, 'MCP tools/call cancelled');
      else this.logger.warn(fields, 'MCP tools/call failed');
      const tooLarge = tooLargeMessage(err);
      const message = abort.signal.reason instanceof CancelledError
        ? CANCELLED_TEXT
        : abort.signal.aborted
          ? `the tool did not answer within ${Math.round(timeoutMs / 1000)} s`
          : tooLarge
            ? `the tool call failed: ${tooLarge}`
            : `the tool call failed: ${err instanceof Error ? err.message : String(err)}`;
      return failure(message.slice(0, 500), Date.now() - started);
    } finally {
      deadline.clear();
      release?.();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.close().catch(() => undefined);
    await this.events.close().catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

class CancelledError extends Error {
  constructor() {
    super(CANCELLED_TEXT);
  }
}

function failure(errorText: string, durationMs: number, authRequired?: McpAuthRequired): CallToolResult {
  return { ok: false, output: null, modelText: `Error: ${errorText}`, errorText, durationMs, ...(authRequired ? { authRequired } : {}) };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
