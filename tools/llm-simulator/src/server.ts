import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GenerationIds, GenerationStore, RequestLog, type GenerationStats } from './generations.js';
import { buildPlan, completionTokens, computeCost, type ResponsePlan } from './plan.js';
import { parseChatRequest, RequestError } from './scenario.js';
import {
  CompletionRun,
  sendError,
  sendJson,
  StreamRun,
  type ActiveGeneration,
  type GenerationContext,
  type GenerationOutcome,
} from './stream-writer.js';

export interface SimulatorOptions {
  /** 0 = a random free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Pace when a scenario does not set `tokensPerSecond` (0 = as fast as possible). Default 500. */
  defaultTokensPerSecond?: number;
}

export interface SimulatorHandle {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:4010/v1`. */
  url: string;
  port: number;
  /** Stops listening, ends every open stream (destroys sockets) and resolves when the server is closed. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const MODELS_CREATED = 1_735_689_600; // 2025-01-01, fixed so the listing is deterministic

const MODELS = [
  { id: 'sim/echo', name: 'Simulator: Echo', supports_reasoning: false },
  { id: 'sim/reasoning', name: 'Simulator: Reasoning', supports_reasoning: true },
  { id: 'sim/tools', name: 'Simulator: Tools', supports_reasoning: false },
].map((m) => ({
  id: m.id,
  object: 'model',
  created: MODELS_CREATED,
  owned_by: 'harness-simulator',
  name: m.name,
  pricing: { prompt: '0.000001', completion: '0.000002' },
  supports_reasoning: m.supports_reasoning,
}));

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      parts.push(b);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const host = opts.host ?? '127.0.0.1';
  const defaultTokensPerSecond = opts.defaultTokensPerSecond ?? 500;
  const ids = new GenerationIds();
  const generations = new GenerationStore(10_000);
  const requests = new RequestLog(200);
  const active = new Set<ActiveGeneration>();
  let closing = false;
  /** Every POST /v1/chat/completions received since start, valid or not (never reset: tests compare before and after). */
  let chatCompletions = 0;

  function record(id: string, plan: ResponsePlan, created: number, startedAt: number, o: GenerationOutcome): void {
    const { completion, reasoning } = completionTokens(o.tally);
    const stats: GenerationStats = {
      id,
      model: plan.model,
      tokens_prompt: plan.promptTokens,
      tokens_completion: completion,
      native_tokens_prompt: plan.promptTokens,
      native_tokens_completion: completion,
      native_tokens_reasoning: reasoning,
      total_cost: computeCost(plan.promptTokens, completion, plan.costOverride),
      streamed: plan.stream,
      cancelled: o.cancelled,
      finish_reason: o.finishReason,
      created_at: new Date(created * 1000).toISOString(),
      generation_time: Date.now() - startedAt,
    };
    generations.set(id, stats);
  }

  async function handleChat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: string;
    try {
      raw = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLarge) sendError(res, 413, 'Request body too large');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      sendError(res, 400, 'Invalid JSON body', 'invalid_request_error');
      return;
    }
    requests.add(body);

    let plan: ResponsePlan;
    try {
      plan = buildPlan(parseChatRequest(body), { defaultTokensPerSecond });
    } catch (e) {
      if (e instanceof RequestError) sendError(res, 400, e.message, 'invalid_request_error');
      else sendError(res, 500, `Simulator error: ${(e as Error).message}`);
      return;
    }
    if (plan.status !== undefined) {
      sendError(res, plan.status, `Simulated HTTP ${plan.status} error`);
      return;
    }
    if (res.destroyed || req.socket.destroyed) return; // client already gone

    const id = ids.next();
    const startedAt = Date.now();
    const created = Math.floor(startedAt / 1000);
    const ctx: GenerationContext = {
      id,
      created,
      plan,
      onEnd: (o) => record(id, plan, created, startedAt, o),
    };
    const settle = (run: ActiveGeneration): void => {
      active.delete(run);
    };
    const run = plan.stream ? new StreamRun(res, ctx, settle) : new CompletionRun(res, ctx, settle);
    active.add(run);
    run.start();
  }

  function handleGeneration(url: URL, res: ServerResponse): void {
    const id = url.searchParams.get('id');
    const stats = id ? generations.get(id) : undefined;
    if (!stats) {
      sendJson(res, 404, { error: { message: 'not found' } });
      return;
    }
    sendJson(res, 200, { data: stats });
  }

  function handleRequestsLog(req: IncomingMessage, url: URL, res: ServerResponse): void {
    if (req.method === 'DELETE') {
      requests.clear();
      sendJson(res, 200, { ok: true });
      return;
    }
    const limitParam = url.searchParams.get('limit');
    const parsed = limitParam === null ? NaN : Number(limitParam);
    const limit = Number.isFinite(parsed) && parsed >= 0 ? Math.floor(parsed) : 20;
    sendJson(res, 200, { object: 'list', data: requests.last(limit) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (closing) {
      sendError(res, 503, 'Simulator is shutting down');
      return;
    }
    if (path === '/v1/chat/completions' && method === 'POST') {
      chatCompletions++;
      return handleChat(req, res);
    }
    if (path === '/v1/models' && method === 'GET') return sendJson(res, 200, { object: 'list', data: MODELS });
    if (path === '/v1/generation' && method === 'GET') return handleGeneration(url, res);
    if (path === '/__sim/requests' && (method === 'GET' || method === 'DELETE')) {
      return handleRequestsLog(req, url, res);
    }
    if (path === '/__sim/stats' && method === 'GET') return sendJson(res, 200, { chatCompletions });
    if (path === '/__sim/health' && method === 'GET') return sendJson(res, 200, { ok: true });
    sendError(res, 404, `No route for ${method} ${url.pathname}`, 'not_found_error');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      try {
        sendError(res, 500, `Simulator error: ${(e as Error)?.message ?? String(e)}`);
      } catch {
        res.destroy();
      }
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    close(): Promise<void> {
      if (closed) return closed;
      closing = true;
      closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const run of [...active]) run.abort();
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
