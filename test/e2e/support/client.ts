import { readSse, sseJson, isSseEvent, type SseItem, type SseStream, type System } from '@harness/testing';

/** A user's view of the public API, for end-to-end tests: plain fetch, the way any client would call it. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface StreamEvent {
  seq: number;
  chunk: { type: string; [k: string]: any };
}

export class Client {
  constructor(readonly system: System, readonly token: string) {}

  static async as(system: System, userId: string) {
    return new Client(system, await system.token(userId));
  }

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await fetch(`${this.system.gatewayUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async createHarness(fields: Record<string, unknown> = {}) {
    const r = await this.call('POST', '/v1/harnesses', { name: 'Test harness', model: 'sim/echo', systemPrompt: 'You are a test.', ...fields });
    if (r.status !== 201) throw new Error(`create harness: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { id: string; model: string };
  }

  async createConversation(harnessId: string, title?: string) {
    const r = await this.call('POST', '/v1/conversations', { harnessId, ...(title ? { title } : {}) });
    if (r.status !== 201) throw new Error(`create conversation: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { id: string };
  }

  /** A new harness and conversation. */
  async newConversation(model = 'sim/echo', systemPrompt = 'You are a test.') {
    const h = await this.createHarness({ model, systemPrompt });
    const c = await this.createConversation(h.id);
    return c.id;
  }

  async send(conversationId: string, content: string, clientMessageId?: string) {
    const r = await this.call('POST', `/v1/conversations/${conversationId}/messages`, { content, ...(clientMessageId ? { clientMessageId } : {}) });
    if (r.status !== 202) throw new Error(`send: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { messageId: string; status: 'started' | 'queued'; runId?: string; queueItemId?: string };
  }

  events(conversationId: string, opts: { after?: number; lastEventId?: number; signal?: AbortSignal } = {}): Promise<SseStream> {
    const q = opts.after !== undefined ? `?after=${opts.after}` : '';
    return readSse(`${this.system.gatewayUrl}/v1/conversations/${conversationId}/events${q}`, {
      token: this.token,
      lastEventId: opts.lastEventId,
      signal: opts.signal,
    });
  }

  async messages(conversationId: string) {
    const r = await this.call('GET', `/v1/conversations/${conversationId}/messages`);
    if (r.status !== 200) throw new Error(`messages: ${r.status} ${JSON.stringify(r.body)}`);
    return (r.body as { items: any[] }).items;
  }

  async conversation(conversationId: string) {
    return (await this.call('GET', `/v1/conversations/${conversationId}`)).body as { activeRunId: string | null; queue: any[] };
  }
}

export const toStreamEvent = (item: SseItem): StreamEvent | null =>
  isSseEvent(item) && item.id !== undefined ? { seq: Number(item.id), chunk: sseJson(item) } : null;

export const eventsOf = (items: readonly SseItem[]): StreamEvent[] => items.map(toStreamEvent).filter((e): e is StreamEvent => e !== null);

export const isTerminal = (e: StreamEvent | null) => !!e && ['finish', 'abort', 'error'].includes(e.chunk.type);

/** Reads until the stream has delivered `count` terminal chunks in all; returns every event received so far. */
export async function readUntilTerminals(stream: SseStream, count = 1, timeoutMs = 20_000): Promise<StreamEvent[]> {
  const terminals = () => eventsOf(stream.received).filter(isTerminal).length;
  if (terminals() < count) await stream.collectUntil(() => terminals() >= count, { timeoutMs });
  return eventsOf(stream.received);
}

/** The text of all text-delta chunks of the given events. */
export const textOf = (events: StreamEvent[]) => events.filter((e) => e.chunk.type === 'text-delta').map((e) => e.chunk.delta).join('');

/** A user message that scripts the LLM simulator's behaviour. */
export const sim = (text: string, scenario: Record<string, unknown>) => `${text}\n@sim ${JSON.stringify(scenario)}`;

/** Asserts strictly increasing seqs, AI SDK bracketing, and exactly one terminal per run start. */
export function assertWellFormed(events: StreamEvent[]) {
  for (let i = 1; i < events.length; i++) {
    if (!(events[i].seq > events[i - 1].seq)) throw new Error(`seq not increasing at ${i}: ${events[i - 1].seq} then ${events[i].seq}`);
  }
  const open = new Set<string>();
  let inRun = false;
  for (const e of events) {
    const c = e.chunk;
    if (c.type === 'start') {
      if (inRun) throw new Error(`start at seq ${e.seq} while a run is open`);
      inRun = true;
    }
    if (['finish', 'abort', 'error'].includes(c.type)) {
      if (!inRun) throw new Error(`${c.type} at seq ${e.seq} outside a run`);
      if (open.size) throw new Error(`${c.type} at seq ${e.seq} with open parts ${[...open]}`);
      inRun = false;
    }
    if (c.type === 'text-start' || c.type === 'reasoning-start') open.add(c.id);
    if (c.type === 'text-end' || c.type === 'reasoning-end') open.delete(c.id);
    if ((c.type === 'text-delta' || c.type === 'reasoning-delta') && !open.has(c.id)) throw new Error(`delta outside its part at seq ${e.seq}`);
  }
}
