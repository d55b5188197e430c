import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createOutboundPolicy, OutboundRefusedError } from '@harness/outbound';
import { tooLargeMessage } from '../../src/sessions/oversized-response.js';
import type { SessionKey } from '../../src/sessions/session-key.js';
import { SessionPool } from '../../src/sessions/session-pool.js';
import { listAllPages, ListingTooLargeError } from '../../src/tools/list-tools/list-all-pages.js';
import { startHostileMcpServer, type HostileMcpServerHandle } from '../../../../tools/mcp-test-server/src/index.js';

const LIMIT = 1024 * 1024;
const TIMEOUT_MS = 20_000;
let hostile: HostileMcpServerHandle;
let pool: SessionPool;

const keyOf = (serverUrl: string): SessionKey => ({ userId: 'mallory', serverUrl, credentialVersion: 'none' });
const noHeaders = async () => ({});
const call = (client: Client, name: string) => client.callTool({ name, arguments: { text: 'still here' } }, undefined, { timeout: TIMEOUT_MS });
const textOf = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as { text: string }[])[0]!.text;

/** The rejection of `promise` (it must reject), and how long it took. */
async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  // 256 MiB of "A" once decoded; about 270 KiB on the wire.
  hostile = await startHostileMcpServer();
  pool = new SessionPool({
    policy: createOutboundPolicy({ allowlist: ['127.0.0.0/8'] }),
    idleTtlMs: 60_000, maxPerServer: 10, maxTotal: 100, maxPerUser: 10, maxResponseBytes: LIMIT,
    clientInfo: { name: 'harness-test', version: '0.0.0' }, connectTimeoutMs: 5_000,
  });
});

afterAll(async () => {
  await pool?.close();
  await hostile?.close();
});

describe('MCP responses over the size limit (a hostile server, real HTTP)', () => {
  it('a gzip bomb as a JSON response fails the call at the limit, and the session still serves the next call', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const { error } = await failure(pool.call(keyOf(hostile.url), noHeaders, (client) => call(client, 'bomb_json')));
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect(tooLargeMessage(error)).toMatch(new RegExp(`^The response body from 127\\.0\\.0\\.1:\\d+ is larger than ${LIMIT} bytes\\.$`));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    expect(textOf(await pool.call(keyOf(hostile.url), noHeaders, (client) => call(client, 'echo')))).toBe('still here');
    expect(hostile.stats['tools/call:bomb_json']).toBe(1);
  });

  it('a gzip bomb as one SSE event fails the call at once (not at its timeout) with the reason', async () => {
    const { error, ms } = await failure(pool.call(keyOf(hostile.url), noHeaders, (client) => call(client, 'bomb_sse')));
    expect(ms).toBeLessThan(TIMEOUT_MS / 2);
    expect(tooLargeMessage(error)).toMatch(new RegExp(`^An SSE event from 127\\.0\\.0\\.1:\\d+ is larger than ${LIMIT} bytes\\.$`));
    expect(textOf(await pool.call(keyOf(hostile.url), noHeaders, (client) => call(client, 'echo')))).toBe('still here');
  });

  it('a gzip bomb answering tools/list fails the listing with the reason', async () => {
    const deadline = Date.now() + TIMEOUT_MS;
    const { error } = await failure(
      pool.call(keyOf(hostile.bombListingUrl), noHeaders, (client) => listAllPages(client, { maxPages: 50, maxBytes: 100 * LIMIT, deadline })),
    );
    expect(tooLargeMessage(error)).toMatch(new RegExp(`is larger than ${LIMIT} bytes\\.$`));
  });

  it('a listing whose pages are each small but together too large ends at the listing bound', async () => {
    const deadline = Date.now() + TIMEOUT_MS;
    const listing = (maxBytes: number) =>
      pool.call(keyOf(hostile.hugeListingUrl), noHeaders, (client) => listAllPages(client, { maxPages: 50, maxBytes, deadline }));
    const pagesBefore = hostile.stats['tools/list'] ?? 0;
    const { error } = await failure(listing(256 * 1024));
    expect(error).toBeInstanceOf(ListingTooLargeError);
    expect((error as Error).message).toBe(`the MCP server's tool list is larger than ${256 * 1024} bytes (all its tools/list pages together)`);
    // It stopped at the page that went over (each page is about 110 KiB), not after all 20.
    expect((hostile.stats['tools/list'] ?? 0) - pagesBefore).toBe(3);
    // Within a larger bound the same server lists all its 20 pages of 50 tools.
    expect(await listing(8 * LIMIT)).toHaveLength(1_000);
  });
});
