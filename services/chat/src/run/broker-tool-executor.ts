import { randomUUID } from 'node:crypto';
import type { ClientProxy } from '@nestjs/microservices';
import { NatsRecordBuilder } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { defaultIfEmpty, firstValueFrom, from, takeUntil, timeout, type Observable } from 'rxjs';
import type { z } from 'zod';
import {
  CallToolCommand, CallToolResult, CancelToolCallCommand, CancelToolCallResult, CORRELATION_HEADER, DomainError, ListToolsCommand, ListToolsResult, McpBrokerSubjects, replyOf, toolCallJobId,
  type McpToolItem, type Reply,
} from '@harness/contracts';
import { signToolCall } from '@harness/crypto';
import type { Database } from '@harness/db';
import { errorFields, type Logger } from '@harness/logging';
import { CallElicitations } from './call-elicitations.js';
import { noTools, withAuthNeeded, type McpAuthNeeded, type ToolCall, type ToolCallStream, type ToolExecutor, type ToolOutcome } from './tool-executor.js';

/** How long chat waits for the broker to list tools (the broker bounds each server at 8 s). */
const LIST_WAIT_MS = 10_000;
/** Beyond the call's own timeout: queueing and connecting in the broker. */
const CALL_MARGIN_MS = 15_000;
const CANCEL_WAIT_MS = 5_000;
const TIMED_OUT = Symbol('timed out');

export interface BrokerToolsDeps {
  client: ClientProxy;
  /** Raw NATS: each running call listens on its own elicitation subject. */
  nats: NatsConnection;
  db: Database;
  logger: Logger;
  /** Per tool call. */
  toolTimeoutMs: number;
  /** HARNESS_JOB_SIGNING_KEY: every call is signed with it, the broker's worker runs no unsigned job. */
  signingKey: Buffer;
}

/** Sends one command to the mcp-broker; a domain error in the reply is thrown as a DomainError. */
async function request<C extends z.ZodType, R extends z.ZodType>(
  client: ClientProxy,
  subject: string,
  command: C,
  result: R,
  payload: z.input<C>,
  wait: number | Observable<unknown>,
  correlationId?: string,
): Promise<z.output<R>> {
  const h = natsHeaders();
  if (correlationId) h.set(CORRELATION_HEADER, correlationId);
  const record = new NatsRecordBuilder(command.parse(payload)).setHeaders(h).build();
  // A number is a fixed timeout; an observable ends the wait when it emits (a deadline that can move).
  const raw = typeof wait === 'number'
    ? await firstValueFrom(client.send(subject, record).pipe(timeout(wait)))
    : await firstValueFrom(client.send(subject, record).pipe(takeUntil(wait), defaultIfEmpty(TIMED_OUT)));
  if (raw === TIMED_OUT) throw new Error('Timeout has occurred');
  const reply = replyOf(result).safeParse(raw);
  if (!reply.success) throw new DomainError('internal', 'the MCP broker reply does not match the contract');
  const answer = reply.data as Reply<z.output<R>>;
  if (!answer.ok) throw new DomainError(answer.error.code, answer.error.message, answer.error.details);
  return answer.data;
}

/**
 * The tools of a run: the harness's MCP tools as listed by the broker (the names the model sees), each call run by
 * the broker. A harness without MCP servers has no tools and the broker is not asked.
 */
export async function brokerTools(deps: BrokerToolsDeps, harnessId: string, userId: string, conversationId: string): Promise<ToolExecutor> {
  const { rows } = await deps.db.pool.query('SELECT 1 FROM mcp_servers WHERE harness_id = $1 AND user_id = $2 LIMIT 1', [harnessId, userId]);
  if (rows.length === 0) return noTools;
  let items: McpToolItem[];
  const authNeeded: McpAuthNeeded[] = [];
  try {
    const listed = await request(deps.client, McpBrokerSubjects.listTools, ListToolsCommand, ListToolsResult, { userId, harnessId }, LIST_WAIT_MS);
    items = listed.items;
    if (listed.errors.length > 0) deps.logger.warn({ harnessId, errors: listed.errors }, 'some MCP servers could not be listed');
    // OAuth servers the user has not connected: the run tells the user where to connect (once per server URL).
    for (const e of listed.errors) {
      if (e.authRequired && !authNeeded.some((a) => a.serverUrl === e.authRequired!.serverUrl)) authNeeded.push(e.authRequired);
    }
  } catch (err) {
    // The run goes on without tools rather than failing: the model answers without them.
    deps.logger.warn({ harnessId, ...errorFields(err) }, 'could not list the MCP tools');
    return noTools;
  }
  if (items.length === 0) return withAuthNeeded(noTools, authNeeded);
  return withAuthNeeded(new BrokerToolExecutor(deps, harnessId, userId, conversationId, items), authNeeded);
}

export class BrokerToolExecutor implements ToolExecutor {
  private readonly names: Set<string>;
  /**
   * Scopes the model's tool call ids to this run: the broker runs one call per id, and some providers (the simulator)
   * reuse ids such as `call_0` across runs.
   */
  private readonly runScope = randomUUID();
  private toCancel: string[] = [];

  constructor(
    private readonly deps: BrokerToolsDeps,
    private readonly harnessId: string,
    private readonly userId: string,
    private readonly conversationId: string,
    private readonly items: McpToolItem[],
  ) {
    this.names = new Set(items.map((t) => t.name));
  }

  definitions(): unknown[] {
    return this.items.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.inputSchema },
    }));
  }

  async execute(call: ToolCall, signal: AbortSignal, stream?: ToolCallStream): Promise<ToolOutcome> {
    if (!this.names.has(call.toolName)) return noTools.execute(call, signal);
    if (signal.aborted) return { ok: false, errorText: 'cancelled' };
    const signed = {
      userId: this.userId, harnessId: this.harnessId, toolCallId: `${this.runScope}.${call.toolCallId}`, name: call.toolName, input: call.input,
      timeoutMs: this.deps.toolTimeoutMs, signedAt: Date.now(), conversationId: this.conversationId,
    };
    // The wait ends at the call's timeout + margin; a question to the user moves it to its expiry + a full timeout.
    const deadline = new MovableDeadline(this.deps.toolTimeoutMs + CALL_MARGIN_MS);
    const elicitations = stream
      ? new CallElicitations(this.deps.nats, toolCallJobId(this.userId, signed.toolCallId), stream, signal,
          (expiresAt) => deadline.extendTo(expiresAt + this.deps.toolTimeoutMs + CALL_MARGIN_MS), this.deps.logger)
      : undefined;
    const payload = { ...signed, signature: signToolCall(this.deps.signingKey, signed) };
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<ToolOutcome>((resolve) => {
      onAbort = () => {
        this.cancelLater(payload.toolCallId);
        resolve({ ok: false, errorText: 'cancelled' });
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const called = request(
      this.deps.client, McpBrokerSubjects.callTool, CallToolCommand, CallToolResult, payload, from(deadline.reached),
    ).then(
      (r): ToolOutcome =>
        r.ok
          ? { ok: true, output: r.output }
          : { ok: false, errorText: r.errorText ?? r.modelText, ...(r.authRequired ? { authRequired: r.authRequired } : {}) },
      (err: unknown): ToolOutcome => {
        this.deps.logger.warn({ toolCallId: call.toolCallId, tool: call.toolName, ...errorFields(err) }, 'MCP tool call failed');
        return { ok: false, errorText: err instanceof DomainError ? err.message : 'the MCP broker did not answer; the tool call may not have run' };
      },
    );
    try {
      return await Promise.race([called, aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
      deadline.clear();
      elicitations?.close();
    }
  }

  /**
   * The run stopped: the broker stops the jobs (waiting or running) so the server is not kept busy for nothing. The
   * step's calls all see the abort in one turn; they are cancelled together in one command.
   */
  private cancelLater(toolCallId: string) {
    this.toCancel.push(toolCallId);
    if (this.toCancel.length > 1) return;
    queueMicrotask(() => {
      const toolCallIds = this.toCancel.splice(0);
      request(
        this.deps.client, McpBrokerSubjects.cancelToolCall, CancelToolCallCommand, CancelToolCallResult, { userId: this.userId, toolCallIds }, CANCEL_WAIT_MS,
      ).catch((err: unknown) => this.deps.logger.warn({ toolCallIds, ...errorFields(err) }, 'could not cancel the MCP tool calls'));
    });
  }
}

/** A deadline that can only move later (an elicitation's expiry); `reached` resolves when it passes. */
class MovableDeadline {
  readonly reached: Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  private at: number;
  private fire!: () => void;

  constructor(ms: number) {
    this.at = Date.now() + ms;
    this.reached = new Promise((resolve) => (this.fire = resolve));
    this.arm();
  }

  extendTo(at: number): void {
    if (at <= this.at) return;
    this.at = at;
    this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.at - Date.now()));
  }
}
