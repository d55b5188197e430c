import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { queuePrefix, Queues, type CallToolCommand, type CallToolResult } from '@harness/contracts';
import type { Config } from '@harness/config';
import { errorFields, type Logger } from '@harness/logging';
import { SessionPool } from '../../sessions/session-pool.js';
import { CALL_TOOL_OPTIONS, CONFIG, LOGGER, SESSION_POOL } from '../../tokens.js';
import { ListTools } from '../list-tools/list-tools.usecase.js';
import { mapToolResult, type ToolResultLimits } from '../tool-result.js';

export interface CallToolOptions {
  /** Tool calls run at once by this replica's worker. */
  concurrency: number;
  /** Per call, when the command gives none. */
  defaultTimeoutMs: number;
  limits: ToolResultLimits;
  /** Finished jobs kept in Redis (a duplicate toolCallId within them gets the first result). */
  keepJobs: number;
}

export const DEFAULT_CALL_TOOL_OPTIONS: CallToolOptions = {
  concurrency: 16,
  defaultTimeoutMs: 60_000,
  limits: { modelChars: 20_000, storedBytes: 256 * 1024 },
  keepJobs: 1_000,
};

/** What a job carries: never the decrypted credentials, the worker resolves them itself. */
interface CallToolJob {
  userId: string;
  harnessId: string;
  toolCallId: string;
  name: string;
  input: unknown;
  timeoutMs: number;
}

/** How long the NATS handler waits beyond the call's own timeout (queueing, connecting). */
const WAIT_MARGIN_MS = 10_000;

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

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(ListTools) private readonly listTools: ListTools,
    @Inject(SESSION_POOL) private readonly pool: SessionPool,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CALL_TOOL_OPTIONS) private readonly options: CallToolOptions,
  ) {
    const connection = () => {
      const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      redis.on('error', (err) => this.logger.warn(errorFields(err), 'redis connection error'));
      this.connections.push(redis);
      return redis;
    };
    this.queue = new Queue<CallToolJob, CallToolResult>(Queues.toolCalls, { connection: connection(), prefix: queuePrefix() });
    this.events = new QueueEvents(Queues.toolCalls, { connection: connection(), prefix: queuePrefix() });
    this.worker = new Worker<CallToolJob, CallToolResult>(Queues.toolCalls, (job) => this.run(job), {
      prefix: queuePrefix(),
      connection: connection(),
      concurrency: options.concurrency,
    });
    this.worker.on('error', (err) => this.logger.warn(errorFields(err), 'tool call worker error'));
  }

  async execute(cmd: CallToolCommand): Promise<CallToolResult> {
    const timeoutMs = cmd.timeoutMs ?? this.options.defaultTimeoutMs;
    const data: CallToolJob = {
      userId: cmd.userId, harnessId: cmd.harnessId, toolCallId: cmd.toolCallId, name: cmd.name, input: cmd.input ?? {}, timeoutMs,
    };
    const job = await this.queue.add('call', data, {
      // BullMQ ids may not contain ':'; scoped to the user so another user's id cannot collide.
      jobId: createHash('sha256').update(JSON.stringify([cmd.userId, cmd.toolCallId])).digest('hex').slice(0, 40),
      attempts: 1,
      removeOnComplete: { count: this.options.keepJobs },
      removeOnFail: { count: this.options.keepJobs },
    });
    try {
      return await job.waitUntilFinished(this.events, timeoutMs + WAIT_MARGIN_MS);
    } catch (err) {
      this.logger.warn({ toolCallId: cmd.toolCallId, ...errorFields(err) }, 'tool call job did not finish');
      return failure(`the tool call failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500), 0);
    }
  }

  /** The worker's processor: never throws, every outcome is a result. */
  private async run(job: Job<CallToolJob, CallToolResult>): Promise<CallToolResult> {
    const { userId, harnessId, name, input, timeoutMs } = job.data;
    const started = Date.now();
    const resolved = await this.listTools.resolveTool(userId, harnessId, name).catch((err: unknown) => {
      this.logger.warn({ name, ...errorFields(err) }, 'could not resolve tool');
      return undefined;
    });
    if (!resolved) return failure(`no tool named "${name}" is available to this harness`, Date.now() - started);
    if ('error' in resolved) return failure(resolved.error, Date.now() - started);

    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`the tool did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    try {
      const args = isRecord(input) ? input : {};
      const result = await this.pool.call(resolved.key, async () => resolved.headers, (client) =>
        client.callTool({ name: resolved.originalName, arguments: args }, undefined, { signal: abort.signal, timeout: timeoutMs }),
      );
      const mapped = mapToolResult(result, this.options.limits);
      const out: CallToolResult = { ok: mapped.ok, output: mapped.output, modelText: mapped.modelText, durationMs: Date.now() - started };
      if (mapped.errorText !== undefined) out.errorText = mapped.errorText;
      return out;
    } catch (err) {
      this.logger.warn({ serverId: resolved.serverId, serverUrl: resolved.serverUrl, tool: resolved.originalName, ...errorFields(err) }, 'MCP tools/call failed');
      const message = abort.signal.aborted
        ? `the tool did not answer within ${Math.round(timeoutMs / 1000)} s`
        : `the tool call failed: ${err instanceof Error ? err.message : String(err)}`;
      return failure(message.slice(0, 500), Date.now() - started);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.close().catch(() => undefined);
    await this.events.close().catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

function failure(errorText: string, durationMs: number): CallToolResult {
  return { ok: false, output: null, modelText: `Error: ${errorText}`, errorText, durationMs };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
