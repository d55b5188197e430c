import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

export interface ListingLimits {
  /** Most `tools/list` pages followed. */
  maxPages: number;
  /** Most bytes of the listed tools (as JSON), all pages together. */
  maxBytes: number;
  /** `Date.now()` by which every page must have arrived. */
  deadline: number;
}

/** A server's tool list over the listing's byte bound. */
export class ListingTooLargeError extends Error {
  override readonly name = 'ListingTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the MCP server's tool list is larger than ${maxBytes} bytes (all its tools/list pages together)`);
  }
}

/**
 * Every page of a server's `tools/list` (a repeated cursor ends it), within the page count, byte and time bounds.
 * Each page is also bounded on its own by the session pool's response limit.
 */
export async function listAllPages(client: Client, limits: ListingLimits): Promise<Tool[]> {
  const tools: Tool[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  let cursor: string | undefined;
  for (let page = 0; page < limits.maxPages; page++) {
    const timeout = Math.max(1, limits.deadline - Date.now());
    const res = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout });
    bytes += Buffer.byteLength(JSON.stringify(res.tools));
    if (bytes > limits.maxBytes) throw new ListingTooLargeError(limits.maxBytes);
    tools.push(...res.tools);
    cursor = res.nextCursor;
    if (cursor === undefined || seen.has(cursor)) break;
    seen.add(cursor);
  }
  return tools;
}
