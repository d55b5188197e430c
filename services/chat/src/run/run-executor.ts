import type OpenAI from 'openai';
import type { ReasoningEffort, Usage, UiChunk } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { closingChunks, draftOutputText, type MessageDraft } from '@harness/projections';
import { ChunkBuilder } from '../llm/chunk-builder.js';
import { assistantMessages, type ChatMessage } from '../llm/history.js';
import { addUsage, estimateUsage, usageFromProvider, type PriceBook } from '../llm/pricing.js';
import { parseProviderChunk, type ProviderUsage } from '../llm/provider-chunk.js';
import { reasoningParams, type ReasoningParam } from '../llm/reasoning-params.js';
import { noTools, type McpAuthNeeded, type ToolCallStream, type ToolExecutor, type ToolOutcome } from './tool-executor.js';

export type StopReason = 'interrupted' | 'send-now' | 'stall' | 'shutdown' | 'deleted' | 'lost' | 'timeout';

export interface RunSink {
  /** Live path (deltas). */
  publish(chunks: UiChunk[]): Promise<void>;
  /** Durable first (the run's end). */
  commit(chunks: UiChunk[]): Promise<void>;
  /** The assistant message as the chunks published so far make it. */
  draft(): MessageDraft;
}

export interface RunSettings {
  openRouterExtensions: boolean;
  reasoningParam: ReasoningParam;
  stallTimeoutMs: number;
  requestTimeoutMs: number;
  usageDrainMs: number;
  maxSteps: number;
}

export interface RunInput {
  runId: string;
  messageId: string;
  model: string;
  /** The harness's reasoning effort, sent with every LLM call of the run (null: none asked for). */
  reasoningEffort: ReasoningEffort | null;
  /** Loads what the run needs (history, tools) once it starts, so the command that started it need not wait. */
  prepare: () => Promise<{ messages: ChatMessage[]; tools: ToolExecutor }>;
}

export interface RunOutcome {
  status: 'completed' | 'interrupted' | 'failed' | 'dropped';
  usage: Usage | null;
  generationIds: string[];
}

const CANCELLED_TOOL_TEXT = 'cancelled: the run was stopped before this tool call finished';

/**
 * One run: streams from the LLM, turns deltas into UI chunks, runs tool steps, and ends with exactly one terminal
 * chunk (finish, abort or error) committed before it is announced. Never throws: every failure becomes a failed run.
 */
export class RunExecutor {
  private readonly controller = new AbortController();
  private stopReason: StopReason | null = null;
  private draining = false;
  private drainTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  /** Provider usage per step that reported it; `steps` counts the LLM calls made. */
  private readonly usages: ProviderUsage[] = [];
  private steps = 0;
  private readonly generationIds: string[] = [];
  private stepOpen = false;
  /** True while a provider stream is being read (only then is there a usage chunk worth waiting for). */
  private streaming = false;
  private promptChars = 0;

  private tools: ToolExecutor = noTools;
  /** What a running tool call puts in the stream (elicitations): nothing once the run stops, its end closes them. */
  private readonly toolStream: ToolCallStream = {
    publish: async (chunks) => {
      if (this.stopReason) return false;
      await this.sink.publish(chunks);
      return true;
    },
  };

  constructor(
    private readonly llm: OpenAI,
    private readonly prices: PriceBook,
    private readonly sink: RunSink,
    private readonly settings: RunSettings,
    private readonly input: RunInput,
    private readonly logger: Logger,
  ) {}

  /** Stops the run. A user stop first waits briefly for the provider's usage chunk; the others cut at once. */
  stop(reason: StopReason) {
    if (this.stopReason) return;
    this.stopReason = reason;
    if ((reason === 'interrupted' || reason === 'send-now') && this.streaming && this.settings.usageDrainMs > 0) {
      this.draining = true;
      this.drainTimer = setTimeout(() => this.controller.abort(reason), this.settings.usageDrainMs);
    } else {
      this.controller.abort(reason);
    }
  }

  async run(): Promise<RunOutcome> {
    let messages: ChatMessage[];
    try {
      if (this.stopReason) return await this.end();
      const prepared = await this.input.prepare();
      messages = [...prepared.messages];
      this.tools = prepared.tools;
    } catch (err) {
      return await this.end(`could not prepare the run: ${(err as Error).message}`);
    }
    try {
      // MCP servers left out of this run's tools until the user connects their account: where to connect.
      const authNeeded = this.tools.authNeeded?.() ?? [];
      if (authNeeded.length > 0 && !this.stopReason) await this.sink.publish(authNeeded.map(mcpAuthChunk));
      for (let step = 1; step <= this.settings.maxSteps; step++) {
        if (this.stopReason) return await this.end();
        await this.sink.publish([{ type: 'start-step' }]);
        this.stepOpen = true;
        const firstPartOfStep = this.sink.draft().parts.length;
        const builder = new ChunkBuilder(`${this.input.runId.slice(0, 8)}-s${step}`);
        const result = await this.streamStep(messages, builder);
        if (this.stopReason) return await this.end();
        if (result.error) return await this.end(result.error);
        const { chunks, calls } = builder.endStep();
        await this.sink.publish(chunks);
        const finishReason = mapFinishReason(result.finishReason, calls.length > 0);
        if (!calls.length) {
          await this.sink.publish([{ type: 'finish-step' }]);
          this.stepOpen = false;
          return await this.end(undefined, finishReason);
        }
        await Promise.all(
          calls.map(async (call) => {
            const outcome = await this.tools.execute(call, this.controller.signal, this.toolStream).catch((err: Error): ToolOutcome => ({ ok: false, errorText: err.message }));
            if (this.stopReason) return outcome;
            await this.sink.publish([
              // The user must connect their account on the server: where to, before the call's error.
              ...(!outcome.ok && outcome.authRequired ? [mcpAuthChunk(outcome.authRequired)] : []),
              outcome.ok
                ? { type: 'tool-output-available', toolCallId: call.toolCallId, output: outcome.output, dynamic: true }
                : { type: 'tool-output-error', toolCallId: call.toolCallId, errorText: outcome.errorText, dynamic: true },
            ]);
            return outcome;
          }),
        );
        if (this.stopReason) return await this.end();
        await this.sink.publish([{ type: 'finish-step' }]);
        this.stepOpen = false;
        messages.push(...assistantMessages(this.sink.draft().parts.slice(firstPartOfStep)));
      }
      return await this.end(undefined, 'tool-calls');
    } catch (err) {
      if (this.stopReason) return await this.end();
      this.logger.error({ runId: this.input.runId, err: (err as Error).message }, 'run failed unexpectedly');
      return await this.end(`run failed: ${(err as Error).message}`);
    } finally {
      this.clearTimers();
    }
  }

  private async streamStep(messages: ChatMessage[], builder: ChunkBuilder): Promise<{ finishReason: string | null; error?: string }> {
    this.promptChars += JSON.stringify(messages).length;
    this.steps++;
    const tools = this.tools.definitions();
    const body: Record<string, unknown> = {
      model: this.input.model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(tools.length ? { tools } : {}),
      ...(this.settings.openRouterExtensions ? { usage: { include: true } } : {}),
      ...reasoningParams(this.settings.reasoningParam, this.input.reasoningEffort),
    };
    let finishReason: string | null = null;
    this.armStallTimer();
    this.streaming = true;
    try {
      const stream = (await this.llm.chat.completions.create(body as never, {
        signal: this.controller.signal,
        timeout: this.settings.requestTimeoutMs,
      })) as unknown as AsyncIterable<unknown>;
      for await (const raw of stream) {
        this.armStallTimer();
        const c = parseProviderChunk(raw);
        if (c.generationId && !this.generationIds.includes(c.generationId)) this.generationIds.push(c.generationId);
        if (c.usage) this.usages.push(c.usage);
        if (c.error) return { finishReason, error: `the LLM reported an error: ${c.error}` };
        if (this.draining) {
          if (c.usage) this.controller.abort(this.stopReason ?? 'interrupted');
          continue;
        }
        if (this.stopReason) break;
        const out: UiChunk[] = [...builder.reasoning(c.reasoning), ...builder.text(c.text)];
        for (const tc of c.toolCalls) out.push(...builder.toolCall(tc.index, tc.id, tc.name, tc.argumentsDelta));
        if (out.length) await this.sink.publish(out);
        if (c.finishReason) finishReason = c.finishReason;
      }
      if (this.stopReason) return { finishReason };
      return { finishReason };
    } catch (err) {
      if (this.stopReason) return { finishReason };
      return { finishReason, error: describeLlmError(err) };
    } finally {
      this.streaming = false;
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  }

  /** Writes the run's end: closes open parts, usage, run status, and the one terminal chunk. */
  private async end(errorText?: string, finishReason: 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'other' = 'stop'): Promise<RunOutcome> {
    this.clearTimers();
    const reason = this.stopReason;
    if (reason === 'deleted' || reason === 'lost') return { status: 'dropped', usage: null, generationIds: this.generationIds };
    const status: RunOutcome['status'] = errorText || reason === 'stall' || reason === 'shutdown' || reason === 'timeout'
      ? 'failed'
      : reason
        ? 'interrupted'
        : 'completed';
    const draft = this.sink.draft();
    const usage = await this.totalUsage(draft);
    const chunks: UiChunk[] = [...closingChunks(draft, CANCELLED_TOOL_TEXT)];
    if (this.stepOpen) chunks.push({ type: 'finish-step' });
    this.stepOpen = false;
    chunks.push({ type: 'data-usage', data: { ...usage, messageId: this.input.messageId, model: this.input.model }, transient: true });
    const error = errorText ?? (reason === 'stall' ? `the LLM sent nothing for ${this.settings.stallTimeoutMs} ms` : reason === 'shutdown' ? 'the chat service shut down during the run' : reason === 'timeout' ? 'the LLM request timed out' : undefined);
    chunks.push({
      type: 'data-run',
      data: { runId: this.input.runId, status, messageId: this.input.messageId, ...(error ? { error } : {}) },
      transient: true,
    });
    if (status === 'completed') chunks.push({ type: 'finish', finishReason, messageMetadata: { usage } });
    else if (status === 'interrupted') chunks.push({ type: 'abort', reason: reason ?? 'interrupted' });
    else chunks.push({ type: 'error', errorText: error ?? 'the run failed' });
    try {
      await this.sink.commit(chunks);
    } catch (err) {
      this.logger.warn({ runId: this.input.runId, err: (err as Error).message }, 'could not store the end of the run (lease lost?)');
      return { status: 'dropped', usage, generationIds: this.generationIds };
    }
    return { status, usage, generationIds: this.generationIds };
  }

  /** Provider figures when every step reported them; otherwise an estimate from the text, marked as such. */
  private async totalUsage(draft: MessageDraft): Promise<Usage> {
    const price = await this.prices.priceOf(this.input.model);
    if (this.steps > 0 && this.usages.length === this.steps) {
      return this.usages.reduce<Usage | null>((acc, u) => addUsage(acc, usageFromProvider(u, price)), null) as Usage;
    }
    const reasoningChars = draft.parts.reduce((n, p) => n + (p.type === 'reasoning' ? p.text.length : 0), 0);
    return estimateUsage(this.promptChars, draftOutputText(draft).length - reasoningChars, reasoningChars, price);
  }

  private armStallTimer() {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    if (this.settings.stallTimeoutMs <= 0) return;
    this.stallTimer = setTimeout(() => this.stop('stall'), this.settings.stallTimeoutMs);
  }

  private clearTimers() {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.stallTimer = null;
    this.drainTimer = null;
  }
}

function mcpAuthChunk(auth: McpAuthNeeded): UiChunk {
  return {
    type: 'data-mcp-auth',
    data: { serverUrl: auth.serverUrl, status: 'required', ...(auth.authorizationUrl ? { authorizationUrl: auth.authorizationUrl } : {}) },
    transient: true,
  };
}

function mapFinishReason(r: string | null, hadToolCalls: boolean): 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'other' {
  if (hadToolCalls || r === 'tool_calls') return 'tool-calls';
  if (r === 'length') return 'length';
  if (r === 'content_filter') return 'content-filter';
  if (r === null || r === 'stop') return 'stop';
  return 'other';
}

function describeLlmError(err: unknown): string {
  const e = err as { status?: number; message?: string; name?: string };
  if (e?.name === 'SyntaxError' || /JSON/i.test(e?.message ?? '')) return 'the LLM sent a malformed stream chunk';
  if (typeof e?.status === 'number') return `the LLM answered HTTP ${e.status}: ${truncate(e.message ?? '')}`;
  if (e?.name === 'APIConnectionTimeoutError') return 'the LLM request timed out';
  if (e?.name === 'APIConnectionError') return `could not reach the LLM: ${truncate(e.message ?? '')}`;
  return `the LLM stream failed: ${truncate(e?.message ?? String(err))}`;
}

const truncate = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s);
