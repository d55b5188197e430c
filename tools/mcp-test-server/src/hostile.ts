import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

/**
 * A hostile MCP server (Streamable HTTP, stateless, JSON-RPC answered by hand) for abuse tests. Its answers are
 * valid MCP in shape and far too large in size:
 *   - `url` (`/mcp`): lists `echo`, `bomb_json` and `bomb_sse`. `bomb_json` answers with a gzip bomb as a JSON body,
 *     `bomb_sse` with a gzip bomb as one SSE event; both a tool result whose text is `bombBytes` of "A" after decoding
 *     (a few hundred KiB on the wire).
 *   - `hugeListingUrl` (`/huge-listing/mcp`): `tools/list` answers page after page (`listingPages` pages of
 *     `toolsPerPage` tools, each with a description of `descriptionBytes`), each page small enough on its own.
 *   - `bombListingUrl` (`/bomb-listing/mcp`): `tools/list` answers with a gzip bomb.
 */
export interface HostileMcpServerOptions {
  /** Decoded size of each bomb (default 256 MiB). */
  bombBytes?: number;
  listingPages?: number;
  toolsPerPage?: number;
  descriptionBytes?: number;
}

export interface HostileMcpServerHandle {
  url: string;
  hugeListingUrl: string;
  bombListingUrl: string;
  /** Requests by JSON-RPC method, and tool calls by tool name (`tools/call:<name>`). */
  stats: Record<string, number>;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 1024 * 1024;
const TOOL_SCHEMA = { type: 'object', properties: { text: { type: 'string' } } };

interface JsonRpcRequest {
  id?: string | number;
  method?: string;
  params?: { name?: string; cursor?: string; arguments?: { text?: string }; protocolVersion?: string };
}

/** gzip of `bytes` bytes of "A", compressed 1 MiB at a time (never held decoded in memory). */
function gzipOfRepeated(bytes: number): Buffer {
  // Concatenated gzip members are one valid gzip stream: one member per MiB, all identical, compressed once.
  const mib = 1024 * 1024;
  const whole = gzipSync(Buffer.alloc(mib, 'A'), { level: 9 });
  const members = Array.from({ length: Math.floor(bytes / mib) }, () => whole);
  const rest = bytes % mib;
  if (rest > 0) members.push(gzipSync(Buffer.alloc(rest, 'A'), { level: 9 }));
  return Buffer.concat(members);
}

export async function startHostileMcpServer(opts: HostileMcpServerOptions = {}): Promise<HostileMcpServerHandle> {
  const bombBytes = opts.bombBytes ?? 256 * 1024 * 1024;
  const listingPages = opts.listingPages ?? 20;
  const toolsPerPage = opts.toolsPerPage ?? 50;
  const descriptionBytes = opts.descriptionBytes ?? 2_048;
  const bombMiddle = gzipOfRepeated(bombBytes);
  const stats: Record<string, number> = {};
  const count = (key: string) => (stats[key] = (stats[key] ?? 0) + 1);

  /** A JSON-RPC result whose middle is the bomb: `{"jsonrpc":"2.0","id":…,"result":{…"text":"AAAA…"}]}}`. */
  const bombBody = (id: string | number | undefined, prefix: string, suffix: string, result: 'tool' | 'listing'): Buffer => {
    const open = result === 'tool' ? '{"content":[{"type":"text","text":"' : '{"tools":[{"name":"big","inputSchema":{"type":"object"},"description":"';
    const close = result === 'tool' ? '"}]}}' : '"}]}}';
    return Buffer.concat([
      gzipSync(`${prefix}{"jsonrpc":"2.0","id":${JSON.stringify(id ?? null)},"result":${open}`),
      bombMiddle,
      gzipSync(`${close}${suffix}`),
    ]);
  };

  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const listing = (path: string, cursor: string | undefined) => {
    if (path !== '/huge-listing/mcp') {
      return {
        tools: ['echo', 'bomb_json', 'bomb_sse'].map((name) => ({ name, description: `hostile ${name}`, inputSchema: TOOL_SCHEMA })),
      };
    }
    const page = Math.max(0, Number(cursor ?? 0) || 0);
    const tools = Array.from({ length: toolsPerPage }, (_, i) => ({
      name: `tool_${page}_${i}`,
      description: 'x'.repeat(descriptionBytes),
      inputSchema: TOOL_SCHEMA,
    }));
    return page + 1 < listingPages ? { tools, nextCursor: String(page + 1) } : { tools };
  };

  const answer = (req: IncomingMessage, res: ServerResponse, message: JsonRpcRequest): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const { id, method = '' } = message;
    count(method === 'tools/call' ? `tools/call:${message.params?.name ?? ''}` : method);
    if (id === undefined) {
      res.writeHead(202).end();
      return;
    }
    if (method === 'initialize') {
      json(res, {
        jsonrpc: '2.0', id,
        result: { protocolVersion: message.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'hostile', version: '0.0.0' } },
      });
    } else if (method === 'tools/list' && path === '/bomb-listing/mcp') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bombBody(id, '', '', 'listing'));
    } else if (method === 'tools/list') {
      json(res, { jsonrpc: '2.0', id, result: listing(path, message.params?.cursor) });
    } else if (method === 'tools/call' && message.params?.name === 'bomb_json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bombBody(id, '', '', 'tool'));
    } else if (method === 'tools/call' && message.params?.name === 'bomb_sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      res.end(bombBody(id, 'event: message\ndata: ', '\n\n', 'tool'));
    } else if (method === 'tools/call') {
      json(res, { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: message.params?.arguments?.text ?? 'echo' }] } });
    } else if (method === 'ping') {
      json(res, { jsonrpc: '2.0', id, result: {} });
    } else {
      json(res, { jsonrpc: '2.0', id, error: { code: -32601, message: `no method ${method}` } });
    }
  };

  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      let message: JsonRpcRequest;
      try {
        message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonRpcRequest;
      } catch {
        res.writeHead(400).end();
        return;
      }
      answer(req, res, message);
    });
    res.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/mcp`,
    hugeListingUrl: `${base}/huge-listing/mcp`,
    bombListingUrl: `${base}/bomb-listing/mcp`,
    stats,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
