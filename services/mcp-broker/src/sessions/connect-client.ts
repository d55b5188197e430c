import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';

export interface ConnectOptions {
  url: string;
  fetch: FetchLike;
  headers: Record<string, string>;
  clientInfo: { name: string; version: string };
  timeoutMs: number;
  onElicitation?: ElicitationHandler;
  /** A server's `elicitation/create` that is not even a valid MCP request was declined (logged by the caller). */
  onRefusedElicitation?: (reason: string) => void;
}

export interface ConnectedClient {
  client: Client;
  transport: Transport;
}

/** Statuses with which a legacy HTTP+SSE server answers a Streamable HTTP `initialize` POST. */
const LEGACY_STATUSES = new Set([400, 404, 405]);

const isLegacyRefusal = (error: unknown): boolean =>
  error instanceof StreamableHTTPError && error.code !== undefined && LEGACY_STATUSES.has(error.code);

/** Answers a server's `elicitation/create` on `client` (never throws: every outcome is an ElicitResult). */
export type ElicitationHandler = (client: Client, params: ElicitRequest['params'], signal: AbortSignal) => Promise<ElicitResult>;

/** Without a handler nobody can be asked: every elicitation is declined, so a server never gets invented values. */
const declineAll: ElicitationHandler = async () => ({ action: 'decline' });

/**
 * The MCP client Harness speaks as: form-mode elicitation is declared with `applyDefaults`, so the SDK fills the
 * requested schema's `default` values into an accepted answer that leaves fields out (SEP-1034). The question goes
 * to the user through `onElicitation` (services/mcp-broker/src/elicitation).
 */
export function createMcpClient(
  clientInfo: ConnectOptions['clientInfo'],
  onElicitation: ElicitationHandler = declineAll,
  onRefusedElicitation: (reason: string) => void = () => undefined,
): Client {
  const client = new Client(clientInfo, { capabilities: { elicitation: { form: { applyDefaults: true } } } });
  client.setRequestHandler(ElicitRequestSchema, (request, extra) => onElicitation(client, request.params, extra.signal));
  declineMalformedElicitations(client, onRefusedElicitation);
  return client;
}

type RequestHandler = (request: unknown, extra: unknown) => Promise<unknown>;

/**
 * The SDK checks an `elicitation/create` against its own schema before our handler sees it, and answers a request
 * that fails (a nested or otherwise non-form schema) with a JSON-RPC error (-32603 or -32602). Harness declines such a request instead,
 * as it declines a form it will not show: the server gets a normal answer, and the refusal is logged. (The SDK keeps
 * its wrapped handler in `_requestHandlers`; the unit test pins this.)
 */
function declineMalformedElicitations(client: Client, onRefused: (reason: string) => void): void {
  const handlers = (client as unknown as { _requestHandlers?: Map<string, RequestHandler> })._requestHandlers;
  const sdkHandler = handlers?.get('elicitation/create');
  if (!handlers || !sdkHandler) throw new Error('the MCP SDK no longer keeps request handlers where Harness expects them');
  handlers.set('elicitation/create', async (request, extra) => {
    try {
      return await sdkHandler(request, extra);
    } catch (error) {
      // Our handler never throws: what does is the SDK's check of the request (a ZodError or an InvalidParams McpError).
      onRefused((error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 300));
      return { action: 'decline' } satisfies ElicitResult;
    }
  });
}

async function connectWith(options: ConnectOptions, transport: Transport): Promise<ConnectedClient> {
  const client = createMcpClient(options.clientInfo, options.onElicitation, options.onRefusedElicitation);
  try {
    await client.connect(transport, { timeout: options.timeoutMs });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return { client, transport };
}

/** Connects over Streamable HTTP, falling back to the legacy HTTP+SSE transport when `initialize` is refused. */
export async function connectClient(options: ConnectOptions): Promise<ConnectedClient> {
  const url = new URL(options.url);
  const transportOptions = { fetch: options.fetch, requestInit: { headers: options.headers } };
  try {
    return await connectWith(options, new StreamableHTTPClientTransport(url, transportOptions));
  } catch (error) {
    if (!isLegacyRefusal(error)) throw error;
    return connectWith(options, new SSEClientTransport(url, transportOptions));
  }
}
