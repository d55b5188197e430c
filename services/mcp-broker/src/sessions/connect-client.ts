import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

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

async function connectWith(options: ConnectOptions, transport: Transport): Promise<ConnectedClient> {
  const client = new Client(options.clientInfo);
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
