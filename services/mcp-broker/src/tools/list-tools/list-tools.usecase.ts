import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import {
  DomainError, type ListToolsCommand, type ListToolsResult, type McpAuthRequired, type McpServerListError, type McpToolItem,
} from '@harness/contracts';
import type { Database } from '@harness/db';
import { errorFields, type Logger } from '@harness/logging';
import { OutboundRefusedError } from '@harness/outbound';
import { ServerAccess, ServerAccessError, type Credential, type ServerRow } from '../../auth/server-access.js';
import { tooLargeMessage } from '../../sessions/oversized-response.js';
import { SessionPoolError } from '../../sessions/session-pool-error.js';
import { DATABASE, LIST_TOOLS_OPTIONS, LOGGER } from '../../tokens.js';
import { assignToolNames } from '../tool-names.js';
import { listAllPages, ListingTooLargeError } from './list-all-pages.js';
import { fitReply, REPLY_RESERVE_BYTES } from './fit-reply.js';
import { ToolListCache } from './tool-list-cache.js';

export interface ListToolsOptions {
  /** Per server: connecting plus every page of `tools/list`. Below the gateway's 10 s wait, so a slow server is an `errors` entry, not a 503. */
  serverTimeoutMs: number;
  /** How long a successful listing is reused (0: never). */
  cacheTtlMs: number;
  /** Most `tools/list` pages followed per server. */
  maxPages: number;
  /**
   * Most bytes of one server's tools (as JSON, all pages): past it the server is an `errors` entry. The reply of a
   * whole harness is held to it too (less REPLY_RESERVE_BYTES), so it fits one NATS message (fitReply).
   */
  maxListingBytes: number;
  /** Most bytes of listings cached. */
  cacheMaxBytes: number;
}

export const DEFAULT_LIST_TOOLS_OPTIONS: ListToolsOptions = {
  serverTimeoutMs: 8_000, cacheTtlMs: 60_000, maxPages: 50, maxListingBytes: 1024 * 1024, cacheMaxBytes: 64 * 1024 * 1024,
};

/** A listed tool mapped back to its server (the credential is resolved when the call runs, by ServerAccess). */
export interface ResolvedTool {
  serverId: string;
  serverUrl: string;
  originalName: string;
  server: ServerRow;
  /** The credential the listing was made with (OAuth: the token asked for just now), for the call to reuse. */
  credential?: Credential;
}
type Outcome = { server: ServerRow; tools: Tool[] } | { server: ServerRow; error: string; authRequired?: McpAuthRequired };
type Prepared = { server: ServerRow; credential: Credential } | { server: ServerRow; failure: unknown };

class ServerTimeoutError extends Error {}

/**
 * The tools of every MCP server of a user's harness, under unique provider-valid names. Servers are asked in parallel
 * through the session pool, each within its own deadline: one slow or failing server is reported in `errors` and
 * does not hold back the others.
 */
@Injectable()
export class ListTools {
  private readonly cache: ToolListCache;
  /** Pooled clients that already invalidate the cache on `notifications/tools/list_changed`. */
  private readonly watched = new WeakSet<Client>();

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(ServerAccess) private readonly access: ServerAccess,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(LIST_TOOLS_OPTIONS) private readonly options: ListToolsOptions,
  ) {
    this.cache = new ToolListCache(options.cacheTtlMs, { maxBytes: options.cacheMaxBytes });
  }

  async execute(cmd: ListToolsCommand): Promise<ListToolsResult> {
    return (await this.list(cmd, await this.loadServers(cmd.userId, cmd.harnessId))).result;
  }

  /**
   * The server and original name of the tool listed as `name` for this harness (through the same cached listing the
   * model was offered), or undefined when no such tool is listed now.
   */
  async resolveTool(userId: string, harnessId: string, name: string): Promise<ResolvedTool | undefined> {
    const servers = await this.loadServers(userId, harnessId);
    const { result, prepared } = await this.list({ userId, harnessId }, servers);
    const item = result.items.find((t) => t.name === name);
    const server = item && servers.find((s) => s.id === item.serverId);
    if (!item || !server) return undefined;
    const ready = prepared.find((p) => p.server.id === server.id);
    return {
      serverId: server.id, serverUrl: server.url, originalName: item.originalName, server,
      ...(ready && 'credential' in ready ? { credential: ready.credential } : {}),
    };
  }

  /** The listing, and the credentials it was made with (asked for once per listing, cached or not). */
  private async list(cmd: ListToolsCommand, servers: ServerRow[]): Promise<{ result: ListToolsResult; prepared: Prepared[] }> {
    const deadline = Date.now() + this.options.serverTimeoutMs;
    // The credentials first (OAuth: the auth service's current token), so a listing made with a token that has since
    // been refreshed, revoked or disconnected is not reused.
    const prepared = await Promise.all(
      servers.map((server): Promise<Prepared> =>
        withTimeout(this.access.credential(cmd.userId, server), this.options.serverTimeoutMs).then(
          (credential) => ({ server, credential }),
          (failure: unknown) => ({
            server,
            failure: failure instanceof ServerTimeoutError
              ? new ServerAccessError('could not get an access token for this server: the auth service did not answer in time')
              : failure,
          }),
        ),
      ),
    );
    const versions = prepared.map((p) => ('credential' in p ? p.credential.key.credentialVersion : null));
    const cacheKey = JSON.stringify([cmd.userId, cmd.harnessId, fingerprint(servers), versions]);
    const cached = this.cache.get(cacheKey);
    if (cached) return { result: cached, prepared };

    const mark = this.cache.mark();
    const outcomes = await Promise.all(prepared.map((p) => this.listServer(cmd.userId, p, deadline)));

    const errors: McpServerListError[] = [];
    const listed: { server: ServerRow; tools: Tool[] }[] = [];
    for (const outcome of outcomes) {
      if ('error' in outcome) {
        errors.push({
          serverId: outcome.server.id, serverName: outcome.server.name, message: outcome.error,
          ...(outcome.authRequired ? { authRequired: outcome.authRequired } : {}),
        });
      }
      else listed.push(outcome);
    }

    const assigned = assignToolNames(listed.map(({ server, tools }) => ({ serverId: server.id, serverName: server.name, tools })));
    const byServer = new Map(listed.map(({ server, tools }) => [server.id, firstByName(tools)]));
    const position = new Map(servers.map((s, i) => [s.id, i]));
    const items: McpToolItem[] = assigned.entries
      .map((entry) => {
        const tool = byServer.get(entry.serverId)!.get(entry.originalName)!;
        return {
          name: entry.name,
          originalName: entry.originalName,
          serverId: entry.serverId,
          description: tool.description ?? '',
          inputSchema: { ...tool.inputSchema },
        };
      })
      .sort((a, b) => position.get(a.serverId)! - position.get(b.serverId)!);

    const fitted = fitReply(items, servers, Math.max(0, this.options.maxListingBytes - REPLY_RESERVE_BYTES));
    const result: ListToolsResult = { items: fitted.items, errors: [...errors, ...fitted.errors] };
    // A failure may be passing (a server restarting): only complete listings are reused.
    if (errors.length === 0) this.cache.set(cacheKey, mark, cmd.userId, servers.map((s) => s.url), result);
    return { result, prepared };
  }

  private async loadServers(userId: string, harnessId: string): Promise<ServerRow[]> {
    const harness = await this.db.pool.query('SELECT 1 FROM harnesses WHERE id = $1 AND user_id = $2', [harnessId, userId]);
    if (harness.rowCount === 0) throw new DomainError('not_found', 'harness not found');
    const { rows } = await this.db.pool.query<ServerRow>(
      `SELECT id, name, url, auth_type, auth_token_enc, client_id FROM mcp_servers
        WHERE harness_id = $1 AND user_id = $2 ORDER BY position`,
      [harnessId, userId],
    );
    return rows;
  }

  private async listServer(userId: string, prepared: Prepared, deadline: number): Promise<Outcome> {
    const { server } = prepared;
    try {
      if ('failure' in prepared) throw prepared.failure;
      const tools = await withTimeout(
        this.access.run(userId, server, (client) => {
          this.watch(client, userId, server.url);
          return listAllPages(client, { maxPages: this.options.maxPages, maxBytes: this.options.maxListingBytes, deadline });
        }, prepared.credential),
        Math.max(1, deadline - Date.now()),
      );
      return { server, tools };
    } catch (err) {
      if (err instanceof ServerAccessError) {
        this.logger.debug({ serverId: server.id, serverUrl: server.url, message: err.message }, 'MCP server not usable for this user');
        return { server, error: err.message, ...(err.authRequired ? { authRequired: err.authRequired } : {}) };
      }
      // The error names the server and what went wrong, never the headers.
      this.logger.warn({ serverId: server.id, serverUrl: server.url, ...errorFields(err) }, 'MCP tools/list failed');
      return { server, error: describeFailure(err, this.options.serverTimeoutMs) };
    }
  }

  private watch(client: Client, userId: string, serverUrl: string): void {
    if (this.watched.has(client)) return;
    this.watched.add(client);
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      this.logger.debug({ serverUrl }, 'MCP tool list changed');
      this.cache.invalidate(userId, serverUrl);
    });
  }
}

/** What identifies the listing: a change of any server (added, removed, renamed, new URL or token) is a new key. */
function fingerprint(servers: ServerRow[]): string {
  const material = JSON.stringify(servers.map((s) => [s.id, s.name, s.url, s.auth_type, s.auth_token_enc, s.client_id]));
  return createHash('sha256').update(material).digest('hex').slice(0, 32);
}

function firstByName(tools: Tool[]): Map<string, Tool> {
  const map = new Map<string, Tool>();
  for (const tool of tools) if (!map.has(tool.name)) map.set(tool.name, tool);
  return map;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServerTimeoutError()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof ServerTimeoutError) return `the server did not answer within ${Math.round(timeoutMs / 1000)} s`;
  const tooLarge = tooLargeMessage(err);
  if (tooLarge) return tooLarge;
  if (err instanceof SessionPoolError || err instanceof OutboundRefusedError || err instanceof ListingTooLargeError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return `could not list the server's tools: ${message}`.slice(0, 500);
}
