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
}

export interface ConnectedClient {
  client: Client;
  transport: Transport;
}

/** Statuses with which a legacy HTTP+SSE server answers a Streamable HTTP `initialize` POST. */
const LEGACY_STATUSES = new Set([400, 404, 405]);

const isLegacyRefusal = (error: unknown): boolean =>
  error instanceof StreamableHTTPError && error.code !== undefined && LEGACY_STATUSES.has(error.code);

/**
 * The MCP client Harness speaks as: form-mode elicitation is declared with `applyDefaults`, so the SDK fills the
 * requested schema's `default` values into an accepted answer (SEP-1034).
 */
export function createMcpClient(clientInfo: ConnectOptions['clientInfo']): Client {
  const client = new Client(clientInfo, { capabilities: { elicitation: { form: { applyDefaults: true } } } });
  client.setRequestHandler(ElicitRequestSchema, (request) => answerElicitation(request.params));
  return client;
}

type JsonSchemaProperty = { default?: unknown };

/**
 * Harness cannot put a question to the user in the middle of a tool call yet, so an elicitation is answered without
 * one: a form whose every required field has a default is accepted with the defaults (the SDK fills them in, see
 * createMcpClient); a form that needs a value nobody gave, and any other mode (URL), is declined, so the server
 * never receives invented values.
 */
export function answerElicitation(params: ElicitRequest['params']): ElicitResult {
  if (params.mode !== undefined && params.mode !== 'form') return { action: 'decline' };
  const schema = (params as { requestedSchema?: { properties?: Record<string, JsonSchemaProperty>; required?: string[] } }).requestedSchema;
  const properties = schema?.properties ?? {};
  const unanswerable = (schema?.required ?? []).some((name) => properties[name]?.default === undefined);
  return unanswerable ? { action: 'decline' } : { action: 'accept', content: {} };
}

async function connectWith(options: ConnectOptions, transport: Transport): Promise<ConnectedClient> {
  const client = createMcpClient(options.clientInfo);
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
