import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ElicitResultSchema, ErrorCode, isInitializeRequest, isJSONRPCRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { TINY_PNG_BASE64, TINY_WAV_BASE64 } from './media.js';

/** What `ask` asks: one field of each kind, with defaults (SEP-1034). */
export const ASK_SCHEMA = {
  type: 'object' as const,
  properties: {
    name: { type: 'string' as const, title: 'Name', minLength: 1, maxLength: 100, default: 'Ada' },
    color: { type: 'string' as const, title: 'Colour', enum: ['red', 'green', 'blue'], default: 'green' },
    subscribe: { type: 'boolean' as const, title: 'Subscribe', default: false },
    count: { type: 'integer' as const, title: 'How many', minimum: 1, maximum: 10, default: 3 },
  },
  required: ['name', 'count'],
};

/** What `ask_hostile` asks: nesting and a regex (not even a valid MCP request), or a form far past any sane size. */
const HOSTILE_SCHEMAS = {
  nested: {
    type: 'object',
    properties: { deep: { type: 'object', properties: { deeper: { type: 'object', properties: { x: { type: 'string', pattern: '^(a+)+$' } } } } } },
  },
  huge: { type: 'object', properties: { many: { type: 'string', enum: Array.from({ length: 10_000 }, (_, i) => `v${i}`) } } },
};

export interface McpTestServerOptions {
  /** Default 0: a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, every request must carry `Authorization: Bearer <token>` (this one or one of `bearerTokens`), else 401. */
  bearerToken?: string;
  /** More accepted tokens, so tests can run several users against one server. */
  bearerTokens?: string[];
  /** Sessions without a request for this long are forgotten (their next request gets 404). Default: never. */
  sessionIdleMs?: number;
}

export interface McpTestServerStats {
  /** `initialize` requests that created a session. */
  initializeCount: number;
  /** Sessions currently in the map. */
  sessionsOpen: number;
  /** Sessions ended by an HTTP DELETE. */
  deleteCount: number;
  /** Request ids (as strings) named by `notifications/cancelled`, in arrival order. */
  cancelledNotifications: string[];
  /** Completed-or-not calls per tool name (counted when the call starts). */
  callsByTool: Record<string, number>;
  /** Tool handlers running right now (a cancelled or disconnected `slow`/`endless` leaves this count). */
  inFlight: number;
  /** Standalone GET SSE streams currently open (server-to-client notifications such as list_changed travel on these). */
  standaloneStreams: number;
  /** Requests answered 401. */
  unauthorizedCount: number;
  /** Requests answered 404 because their `Mcp-Session-Id` is unknown (forgotten or expired). */
  unknownSessionCount: number;
  /** Every `tools/call` request that reached a live session, in arrival order: on which session, with which token. */
  toolCalls: McpTestServerCall[];
  /** The bearer token (undefined: none) each session was initialized with, by session id. */
  sessionTokens: Record<string, string | undefined>;
}

export interface McpTestServerCall {
  tool: string;
  sessionId: string;
  /** The bearer token the request carried (undefined: none). */
  token: string | undefined;
}

export interface McpTestServerHandle {
  /** `http://127.0.0.1:PORT/mcp` */
  url: string;
  port: number;
  stats: McpTestServerStats;
  /** Ends every session and open stream, then stops listening. */
  close(): Promise<void>;
  /** Forgets every session: the next request carrying an old `Mcp-Session-Id` gets 404. */
  expireSessions(): Promise<void>;
  /**
   * Forgets every session without closing anything (open streams stay open, as after a server-side session store
   * loss): only the next request carrying an old `Mcp-Session-Id` learns of it, with a 404.
   */
  forgetSessions(): void;
  /** Registers a tool (it echoes its `text` argument) on every session and sends `notifications/tools/list_changed`. */
  addTool(name: string): void;
}

interface Session {
  id: string;
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

const THROW_MESSAGE = 'mcp-test-server: the throw tool always throws';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function anySignal(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  return b ? AbortSignal.any([a, b]) : a;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function bearerOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1] : undefined;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Starts an MCP server (Streamable HTTP, stateful sessions) with tools that misbehave on request. */
export async function startMcpTestServer(opts: McpTestServerOptions = {}): Promise<McpTestServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const acceptedTokens = new Set([...(opts.bearerToken ? [opts.bearerToken] : []), ...(opts.bearerTokens ?? [])]);
  const stats: McpTestServerStats = {
    initializeCount: 0,
    sessionsOpen: 0,
    deleteCount: 0,
    cancelledNotifications: [],
    callsByTool: {},
    inFlight: 0,
    standaloneStreams: 0,
    unauthorizedCount: 0,
    unknownSessionCount: 0,
    toolCalls: [],
    sessionTokens: {},
  };
  /** Sessions dropped by `forgetSessions`, closed at `close()`. */
  const forgotten: Session[] = [];
  const sessions = new Map<string, Session>();
  const extraTools: string[] = [];
  /** `${sessionId}\n${requestId}` → aborted when the HTTP response carrying that request's answer closes. */
  const disconnects = new Map<string, AbortController>();
  let closing = false;

  const count = (tool: string): void => {
    stats.callsByTool[tool] = (stats.callsByTool[tool] ?? 0) + 1;
  };
  const disconnectSignal = (sessionId: string | undefined, requestId: string | number): AbortSignal | undefined =>
    sessionId === undefined ? undefined : disconnects.get(`${sessionId}\n${String(requestId)}`)?.signal;

  const registerExtraTool = (server: McpServer, name: string): void => {
    server.registerTool(
      name,
      { description: `Added at runtime; echoes its text.`, inputSchema: { text: z.string().optional() } },
      async ({ text }) => {
        count(name);
        return { content: [{ type: 'text', text: text ?? name }] };
      },
    );
  };

  const buildServer = (): McpServer => {
    const server = new McpServer(
      { name: 'harness-mcp-test-server', version: '0.1.0' },
      { capabilities: { tools: { listChanged: true } } },
    );

    server.registerTool(
      'echo',
      { description: 'Returns its text.', inputSchema: { text: z.string() } },
      async ({ text }) => {
        count('echo');
        return { content: [{ type: 'text', text }] };
      },
    );

    server.registerTool(
      'add',
      {
        description: 'Adds two numbers; the sum is also in structuredContent.',
        inputSchema: { a: z.number(), b: z.number() },
        outputSchema: { sum: z.number() },
      },
      async ({ a, b }) => {
        count('add');
        const sum = a + b;
        return { content: [{ type: 'text', text: String(sum) }], structuredContent: { sum } };
      },
    );

    server.registerTool(
      'slow',
      { description: 'Waits ms milliseconds (stops when cancelled), then answers "slept <ms>".', inputSchema: { ms: z.number().int().min(0) } },
      async ({ ms }, extra) => {
        count('slow');
        stats.inFlight++;
        try {
          const finished = await sleep(ms, anySignal(extra.signal, disconnectSignal(extra.sessionId, extra.requestId)));
          if (!finished) throw new Error('cancelled');
          return { content: [{ type: 'text', text: `slept ${ms}` }] };
        } finally {
          stats.inFlight--;
        }
      },
    );

    server.registerTool(
      'ask',
      {
        description: 'Asks the user (form elicitation: name, colour, subscribe, count, with defaults) and returns the answer as JSON: {"action", "content"?}.',
        inputSchema: { message: z.string().max(500).optional() },
      },
      async ({ message }, extra) => {
        count('ask');
        const result = await extra.sendRequest(
          { method: 'elicitation/create', params: { message: message ?? 'Tell me about your order', requestedSchema: ASK_SCHEMA } },
          ElicitResultSchema,
          { timeout: 24 * 3_600_000 },
        );
        return { content: [{ type: 'text', text: JSON.stringify({ action: result.action, ...(result.content ? { content: result.content } : {}) }) }] };
      },
    );

    server.registerTool(
      'ask_hostile',
      {
        description: 'Elicits with a schema outside MCP\'s restricted form schema and returns the action the client answered: `nested` (objects in objects, a regex), `huge` (a valid shape with 10,000 enum values).',
        inputSchema: { kind: z.enum(['nested', 'huge']) },
      },
      async ({ kind }, extra) => {
        count('ask_hostile');
        const result = await extra.sendRequest(
          { method: 'elicitation/create', params: { message: 'hostile', requestedSchema: HOSTILE_SCHEMAS[kind] as never } },
          ElicitResultSchema,
        );
        return { content: [{ type: 'text', text: JSON.stringify({ action: result.action }) }] };
      },
    );

    server.registerTool(
      'fail',
      { description: 'Returns a tool error result (isError) with the message.', inputSchema: { message: z.string() } },
      async ({ message }) => {
        count('fail');
        return { isError: true, content: [{ type: 'text', text: message }] };
      },
    );

    server.registerTool('throw', { description: 'Throws: the call ends with a JSON-RPC error.' }, async () => {
      count('throw'); // not reached: calls of `throw` are answered before McpServer sees them (see newSession)
      throw new Error(THROW_MESSAGE);
    });

    server.registerTool(
      'huge',
      { description: 'Returns one text content of exactly `bytes` bytes.', inputSchema: { bytes: z.number().int().min(0).max(64 * 1024 * 1024) } },
      async ({ bytes }) => {
        count('huge');
        return { content: [{ type: 'text', text: 'x'.repeat(bytes) }] };
      },
    );

    server.registerTool(
      'mixed',
      {
        description: 'Returns one content of each type (text, image, audio, resource_link, resource) and structuredContent.',
        outputSchema: { kinds: z.array(z.string()), count: z.number() },
      },
      async () => {
        count('mixed');
        return {
          content: [
            { type: 'text', text: 'mixed text' },
            { type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' },
            { type: 'audio', data: TINY_WAV_BASE64, mimeType: 'audio/wav' },
            { type: 'resource_link', uri: 'test://mixed/linked.txt', name: 'linked.txt', mimeType: 'text/plain' },
            { type: 'resource', resource: { uri: 'test://mixed/embedded.txt', mimeType: 'text/plain', text: 'embedded text' } },
          ],
          structuredContent: { kinds: ['text', 'image', 'audio', 'resource_link', 'resource'], count: 5 },
        };
      },
    );

    server.registerTool(
      'endless',
      { description: 'Never answers; sends a progress notification every 200 ms (with a progressToken) until cancelled or disconnected.' },
      async (extra) => {
        count('endless');
        stats.inFlight++;
        try {
          const signal = anySignal(extra.signal, disconnectSignal(extra.sessionId, extra.requestId));
          const progressToken = extra._meta?.progressToken;
          let progress = 0;
          while (await sleep(200, signal)) {
            if (progressToken === undefined) continue;
            progress++;
            try {
              await extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken, progress, message: `still working (${progress})` },
              });
            } catch {
              break; // the stream is gone
            }
          }
          throw new Error('endless: stopped');
        } finally {
          stats.inFlight--;
        }
      },
    );

    server.registerTool(
      'whoami',
      {
        description: 'Returns the last 4 characters of the bearer token (or "anonymous") and the session id.',
        outputSchema: { token: z.string(), sessionId: z.string() },
      },
      async (extra) => {
        count('whoami');
        const token = extra.authInfo?.token;
        const who = token ? token.slice(-4) : 'anonymous';
        const sessionId = extra.sessionId ?? '';
        return { content: [{ type: 'text', text: `${who} ${sessionId}` }], structuredContent: { token: who, sessionId } };
      },
    );

    for (const name of extraTools) registerExtraTool(server, name);
    return server;
  };

  const dropSession = (id: string): void => {
    if (sessions.delete(id)) stats.sessionsOpen = sessions.size;
  };

  const closeSession = async (s: Session): Promise<void> => {
    dropSession(s.id);
    await s.server.close().catch(() => undefined); // also closes the transport and its SSE streams
  };

  const newSession = async (token: string | undefined): Promise<StreamableHTTPServerTransport> => {
    const server = buildServer();
    let session: Session | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        stats.initializeCount++;
        stats.sessionTokens[id] = token;
        session = { id, transport, server, lastSeen: Date.now() };
        sessions.set(id, session);
        stats.sessionsOpen = sessions.size;
      },
      onsessionclosed: (id) => {
        stats.deleteCount++;
        dropSession(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) dropSession(transport.sessionId);
    };
    await server.connect(transport);
    // Record cancellations as they arrive, then let the SDK abort the handler.
    const onmessage = transport.onmessage;
    transport.onmessage = (message: JSONRPCMessage, extra) => {
      if ('method' in message && message.method === 'notifications/cancelled') {
        const requestId = (message.params as { requestId?: string | number } | undefined)?.requestId;
        if (requestId !== undefined) stats.cancelledNotifications.push(String(requestId));
      }
      // McpServer turns every exception of a tool into an isError result, so `throw` is answered here, before it,
      // with a real JSON-RPC error.
      if (isJSONRPCRequest(message) && message.method === 'tools/call' && (message.params as { name?: unknown } | undefined)?.name === 'throw') {
        count('throw');
        transport
          .send({ jsonrpc: '2.0', id: message.id, error: { code: ErrorCode.InternalError, message: THROW_MESSAGE } })
          .catch(() => undefined);
        return;
      }
      onmessage?.(message, extra);
    };
    return transport;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (closing) {
      sendJsonRpcError(res, 503, -32000, 'server closing');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/mcp') {
      sendJsonRpcError(res, 404, -32000, 'not found');
      return;
    }
    const token = bearerOf(req);
    if (acceptedTokens.size > 0 && (!token || !acceptedTokens.has(token))) {
      stats.unauthorizedCount++;
      const challenge = token ? 'Bearer error="invalid_token"' : 'Bearer';
      sendJsonRpcError(res, 401, -32001, 'unauthorized', { 'www-authenticate': challenge });
      return;
    }
    const authed = req as IncomingMessage & { auth?: { token: string; clientId: string; scopes: string[] } };
    if (token) authed.auth = { token, clientId: 'mcp-test-client', scopes: [] };

    let body: unknown;
    if (req.method === 'POST') {
      const text = await readBody(req);
      try {
        body = JSON.parse(text);
      } catch {
        sendJsonRpcError(res, 400, -32700, 'parse error');
        return;
      }
    }

    const sessionId = headerValue(req, 'mcp-session-id');
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) {
        stats.unknownSessionCount++;
        sendJsonRpcError(res, 404, -32001, 'session not found');
        return;
      }
      session.lastSeen = Date.now();
      if (req.method === 'POST') {
        recordToolCalls(sessionId, token, body);
        trackDisconnects(sessionId, body, res);
      }
      if (req.method === 'GET') {
        stats.standaloneStreams++;
        res.once('close', () => stats.standaloneStreams--);
      }
      await session.transport.handleRequest(authed, res, body);
      return;
    }

    const messages = Array.isArray(body) ? body : [body];
    if (req.method === 'POST' && messages.some((m) => isInitializeRequest(m))) {
      const transport = await newSession(token);
      await transport.handleRequest(authed, res, body);
      if (!transport.sessionId) await transport.close().catch(() => undefined); // initialize was refused
      return;
    }
    sendJsonRpcError(res, 400, -32000, 'Bad Request: no valid session id (send initialize first)');
  };

  const recordToolCalls = (sessionId: string, token: string | undefined, body: unknown): void => {
    for (const m of Array.isArray(body) ? body : [body]) {
      if (isJSONRPCRequest(m) && m.method === 'tools/call') {
        const name = (m.params as { name?: unknown } | undefined)?.name;
        stats.toolCalls.push({ tool: typeof name === 'string' ? name : '', sessionId, token });
      }
    }
  };

  const trackDisconnects = (sessionId: string, body: unknown, res: ServerResponse): void => {
    const messages = Array.isArray(body) ? body : [body];
    const keys: string[] = [];
    for (const m of messages) {
      if (m && typeof m === 'object' && 'method' in m && 'id' in m) {
        const key = `${sessionId}\n${String((m as { id: string | number }).id)}`;
        disconnects.set(key, new AbortController());
        keys.push(key);
      }
    }
    if (keys.length === 0) return;
    res.once('close', () => {
      for (const key of keys) {
        disconnects.get(key)?.abort();
        disconnects.delete(key);
      }
    });
  };

  const httpServer = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      sendJsonRpcError(res, status, -32603, (e as Error)?.message ?? String(e));
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port ?? 0, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;

  let idleTimer: NodeJS.Timeout | undefined;
  if (opts.sessionIdleMs !== undefined && opts.sessionIdleMs > 0) {
    const idleMs = opts.sessionIdleMs;
    idleTimer = setInterval(
      () => {
        const now = Date.now();
        for (const s of [...sessions.values()]) if (now - s.lastSeen >= idleMs) void closeSession(s);
      },
      Math.max(10, Math.min(1000, Math.floor(idleMs / 4))),
    );
    idleTimer.unref();
  }

  const expireSessions = async (): Promise<void> => {
    await Promise.all([...sessions.values()].map((s) => closeSession(s)));
  };

  const forgetSessions = (): void => {
    for (const s of [...sessions.values()]) {
      dropSession(s.id);
      forgotten.push(s);
    }
  };

  return {
    url: `http://${host}:${port}/mcp`,
    port,
    stats,
    expireSessions,
    forgetSessions,
    addTool(name: string): void {
      extraTools.push(name);
      // registerTool sends notifications/tools/list_changed on each connected server.
      for (const s of sessions.values()) registerExtraTool(s.server, name);
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      if (idleTimer) clearInterval(idleTimer);
      for (const c of disconnects.values()) c.abort();
      await expireSessions();
      await Promise.all(forgotten.splice(0).map((s) => s.server.close().catch(() => undefined)));
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}
