import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { addToTally, buildUsage, deltaJson, type ResponsePlan, type TokenTally } from './plan.js';

/**
 * Runs one generation against an HTTP response: the streaming (SSE) writer and the non-streaming responder.
 * One timer per generation; every SSE chunk is a single `res.write`; writes after close are ignored.
 */

export interface GenerationOutcome {
  tally: TokenTally;
  cancelled: boolean;
  finishReason: string | null;
}

export interface GenerationContext {
  id: string;
  created: number;
  plan: ResponsePlan;
  /** Called exactly once when the generation ends, fails or is aborted — before the last byte is written. */
  onEnd(outcome: GenerationOutcome): void;
}

/** Something the server can abort when it shuts down. */
export interface ActiveGeneration {
  abort(): void;
}

const noop = (): void => {};
/** Most chunks written in one event-loop turn when unpaced (tokensPerSecond 0). */
const MAX_BURST = 256;

export const ERROR_EVENT = 'data: {"error":{"message":"simulated upstream error","code":502}}\n\n';
export const MALFORMED_EVENTS = ['data: {"choices":[{"delta":{"content":\n\n', 'data: not json at all\n\n'] as const;

/** A stamped text token: ` ~<epoch ms with 3 decimals>~`, the time now (`performance.timeOrigin + performance.now()`). */
export function stampText(): string {
  return ' ~' + (performance.timeOrigin + performance.now()).toFixed(3) + '~';
}

function canWrite(res: ServerResponse): boolean {
  return !res.destroyed && !res.writableEnded;
}

abstract class GenerationRun implements ActiveGeneration {
  protected timer: NodeJS.Timeout | null = null;
  protected ended = false;
  protected readonly tally: TokenTally = { reasoningChars: 0, contentChars: 0, toolChars: 0 };

  constructor(
    protected readonly res: ServerResponse,
    protected readonly ctx: GenerationContext,
    private readonly onSettled: (run: ActiveGeneration) => void,
  ) {
    res.on('error', noop);
    res.on('close', () => {
      // Client went away (or the server destroyed the socket) before the generation ended.
      this.end(true, null);
      this.onSettled(this);
    });
  }

  /** Marks the generation ended (once) and reports it. Returns false when it had already ended. */
  protected end(cancelled: boolean, finishReason: string | null): boolean {
    if (this.ended) return false;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      this.ctx.onEnd({ tally: { ...this.tally }, cancelled, finishReason });
    } catch {
      // recording must never break the response
    }
    return true;
  }

  /** Writes one piece; returns false when the socket buffer is full (caller should wait for 'drain'). */
  protected write(s: string): boolean {
    if (!canWrite(this.res)) return true;
    return this.res.write(s);
  }

  abort(): void {
    this.end(true, null);
    if (!this.res.destroyed) this.res.destroy();
  }
}

/** Streams a plan as `chat.completion.chunk` SSE events. */
export class StreamRun extends GenerationRun {
  private readonly prefix: string;
  private readonly head: string;
  private i = 0;
  private t0 = 0;

  constructor(res: ServerResponse, ctx: GenerationContext, onSettled: (run: ActiveGeneration) => void) {
    super(res, ctx, onSettled);
    this.head =
      `{"id":${JSON.stringify(ctx.id)},"object":"chat.completion.chunk","created":${ctx.created},` +
      `"model":${JSON.stringify(ctx.plan.model)},"choices":[`;
    this.prefix = `data: ${this.head}{"index":0,"delta":`;
  }

  start(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-generation-id': this.ctx.id,
    });
    this.write(this.prefix + '{"role":"assistant","content":""},"finish_reason":null}]}\n\n');
    const delay = this.ctx.plan.firstTokenDelayMs;
    if (delay > 0) this.timer = setTimeout(() => this.begin(), delay);
    else this.begin();
  }

  private begin(): void {
    this.timer = null;
    if (this.ended) return;
    this.t0 = performance.now();
    this.tick();
  }

  private tick(): void {
    this.timer = null;
    if (this.ended) return;
    const { chunks, tokensPerSecond: tps, fault, reasoningField } = this.ctx.plan;
    const n = chunks.length;
    const faultAt = fault ? Math.min(fault.after, n) : -1;
    const due = tps > 0 ? Math.floor(((performance.now() - this.t0) * tps) / 1000) + 1 : this.i + MAX_BURST;
    let writable = true;
    for (;;) {
      if (this.i === faultAt) return this.fault();
      if (this.i === n) return this.finish();
      if (this.i >= due || !writable) break;
      const c = chunks[this.i];
      if (c.stamp) {
        // Stamped as late as possible: the text is the time of this write (it needs no JSON escaping).
        const t = stampText();
        writable = this.write(this.prefix + '{"content":"' + t + '"},"finish_reason":null}]}\n\n');
        this.tally.contentChars += t.length;
      } else {
        writable = this.write(this.prefix + deltaJson(reasoningField, c) + ',"finish_reason":null}]}\n\n');
        addToTally(this.tally, c);
      }
      this.i++;
    }
    if (!writable) {
      // Backpressure: resume when the client has read what we sent (pacing catches up by itself).
      this.res.once('drain', () => this.tick());
      return;
    }
    // tps 0: yield to the event loop between bursts so one huge answer does not starve other streams.
    const wait = tps > 0 ? this.t0 + (this.i * 1000) / tps - performance.now() : 0;
    this.timer = setTimeout(() => this.tick(), Math.max(0, wait));
  }

  private fault(): void {
    const fault = this.ctx.plan.fault!;
    switch (fault.kind) {
      case 'stall':
        // Send nothing more; the connection stays open until the client leaves or the server closes.
        return;
      case 'error':
        if (this.end(false, 'error')) {
          this.write(ERROR_EVENT);
          this.res.end();
        }
        return;
      case 'malformed':
        if (this.end(false, 'error')) {
          this.write(MALFORMED_EVENTS[0]);
          this.write(MALFORMED_EVENTS[1]);
          this.res.end();
        }
        return;
      case 'drop':
        // Let the chunks already written leave the (corked) socket, then cut the connection abruptly.
        if (this.end(false, null)) setImmediate(() => this.res.destroy());
        return;
    }
  }

  private finish(): void {
    const plan = this.ctx.plan;
    const finishLine = this.prefix + `{},"finish_reason":${JSON.stringify(plan.finishReason)}}]}\n\n`;
    const usageLine = plan.sendUsage
      ? `data: ${this.head}],"usage":${JSON.stringify(buildUsage(plan, this.tally, plan.includeCost))}}\n\n`
      : '';
    if (!this.end(false, plan.finishReason)) return;
    this.write(finishLine);
    if (usageLine) this.write(usageLine);
    this.write('data: [DONE]\n\n');
    this.res.end();
  }
}

function errorType(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Writes an OpenAI-style JSON error (`{error:{message,type,code}}`). Safe after close. */
export function sendError(res: ServerResponse, status: number, message: string, type = errorType(status)): void {
  sendJson(res, status, { error: { message, type, code: status } });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (!canWrite(res) || res.headersSent) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers });
  res.end(data);
}

/** Answers a non-streaming request with one `chat.completion` object after the simulated generation time. */
export class CompletionRun extends GenerationRun {
  start(): void {
    const { chunks, tokensPerSecond: tps, firstTokenDelayMs, fault } = this.ctx.plan;
    const produced = fault ? Math.min(fault.after, chunks.length) : chunks.length;
    const delay = firstTokenDelayMs + (tps > 0 ? (produced * 1000) / tps : 0);
    if (delay > 0) this.timer = setTimeout(() => this.respond(produced), delay);
    else this.respond(produced);
  }

  private respond(produced: number): void {
    this.timer = null;
    if (this.ended) return;
    const plan = this.ctx.plan;
    for (let k = 0; k < produced; k++) addToTally(this.tally, plan.chunks[k]);
    const fault = plan.fault;
    if (fault) {
      if (fault.kind === 'stall') return;
      if (fault.kind === 'drop') {
        if (this.end(false, null)) this.res.destroy();
        return;
      }
      if (!this.end(false, 'error')) return;
      if (fault.kind === 'error') {
        sendJson(this.res, 502, { error: { message: 'simulated upstream error', type: 'server_error', code: 502 } });
      } else {
        this.res.writeHead(200, { 'content-type': 'application/json' });
        this.res.end('{"choices":[{"message":{"content":');
      }
      return;
    }

    // Stamped tokens all carry the time of this answer.
    const text = plan.chunks.some((c) => c.stamp) ? plan.chunks.filter((c) => c.stamp).map(() => stampText()).join('') : plan.text;
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: text === '' && plan.toolCalls.length > 0 ? null : text,
      refusal: null,
    };
    if (plan.reasoning !== '') {
      if (plan.reasoningField === 'reasoning_content') message.reasoning_content = plan.reasoning;
      else message.reasoning = plan.reasoning;
      if (plan.reasoningField === 'reasoning_details') {
        message.reasoning_details = [{ type: 'reasoning.text', text: plan.reasoning, format: 'unknown', index: 0 }];
      }
    }
    if (plan.toolCalls.length > 0) {
      message.tool_calls = plan.toolCalls.map((tc) => ({
        id: tc.id,
        type: 'function',
        function: { name: tc.name, arguments: tc.arguments },
      }));
    }
    const body: Record<string, unknown> = {
      id: this.ctx.id,
      object: 'chat.completion',
      created: this.ctx.created,
      model: plan.model,
      choices: [{ index: 0, message, finish_reason: plan.finishReason, logprobs: null }],
    };
    // Non-streaming responses always carry usage (with cost), unless the scenario says `usage: false`.
    if (plan.usageAllowed) body.usage = buildUsage(plan, this.tally, true);
    if (!this.end(false, plan.finishReason)) return;
    sendJson(this.res, 200, body, { 'x-generation-id': this.ctx.id });
  }
}
