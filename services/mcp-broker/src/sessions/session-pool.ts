import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { guardedFetch, type OutboundPolicy } from '@harness/outbound';
import { connectClient, type ConnectedClient, type ElicitationHandler } from './connect-client.js';
import { CredentialRefusedError } from './credential-refused-error.js';
import { answerOversizedEvents } from './oversized-response.js';
import { ServerBackoff } from './server-backoff.js';
import { sessionKeyId, type SessionKey } from './session-key.js';
import { SessionPoolError } from './session-pool-error.js';

export type HeadersProvider = () => Promise<Record<string, string>>;

export interface SessionPoolLogger {
  warn(obj: object, msg: string): void;
}

export interface SessionPoolOptions {
  policy: OutboundPolicy;
  idleTtlMs: number;
  maxPerServer: number;
  maxTotal: number;
  /** Sessions of one user (so one user cannot fill the pool): their least recently used idle one is closed first. */
  maxPerUser: number;
  /**
   * Most bytes of one server response after decompression: a JSON body in total, an SSE stream per event (it may stay
   * open). Past it the request fails with the reason (OutboundRefusedError, or an McpError for an SSE response).
   */
  maxResponseBytes: number;
  clientInfo: { name: string; version: string };
  connectTimeoutMs: number;
  /** How long `acquire` waits for a session slot when every session is busy. Default: `connectTimeoutMs`. */
  acquireWaitMs?: number;
  logger?: SessionPoolLogger;
  /** Puts a server's elicitations to the user; without one they are declined. */
  onElicitation?: ElicitationHandler;
  /**
   * Runs a session's connect outside the scope of the tool call that needed it (see CallContexts): the session's GET
   * stream, opened while connecting, outlives that call and must not be taken for it.
   */
  outsideCallScope?: <T>(fn: () => T) => T;
}

interface PoolEntry {
  id: string;
  key: SessionKey;
  /** Settles once; a failed connect removes the entry before it rejects. */
  ready: Promise<ConnectedClient>;
  connected?: ConnectedClient;
  lastUsed: number;
  /** Calls running on this session right now. */
  active: number;
  /** The `WWW-Authenticate` of the last 401/403 this session's requests got. */
  challenge?: string;
}

export class SessionPool {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly backoff = new ServerBackoff();
  private readonly fetch: FetchLike;
  private readonly sweepTimer: NodeJS.Timeout;
  private slotWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly options: SessionPoolOptions) {
    this.fetch = guardedFetch(options.policy, { maxBodyBytes: options.maxResponseBytes, maxEventBytes: options.maxResponseBytes });
    const sweepEveryMs = Math.max(25, Math.min(options.idleTtlMs / 2, 30_000));
    this.sweepTimer = setInterval(() => {
      this.sweepIdle();
      this.backoff.sweep();
    }, sweepEveryMs);
    this.sweepTimer.unref();
  }

  /** A connected client for `key`, opening a session on first use; concurrent callers share one connect. */
  async acquire(key: SessionKey, headers: HeadersProvider): Promise<Client> {
    const entry = await this.entryFor(key, headers);
    const { client } = await entry.ready;
    entry.lastUsed = Date.now();
    return client;
  }

  /**
   * Runs `fn` on the pooled session; when the server has forgotten the session (404), reconnects and retries once.
   * A refused credential (401/403, at connect or on this request) is thrown as a CredentialRefusedError carrying the
   * server's challenge; on a 401 the session is dropped (its credential is no good any more).
   */
  async call<T>(key: SessionKey, headers: HeadersProvider, fn: (client: Client) => Promise<T>): Promise<T> {
    const first = await this.entryFor(key, headers);
    try {
      return await this.runOn(first, fn);
    } catch (error) {
      if (first.connected && isExpiredSession(error, first.connected)) {
        this.drop(first, false);
        const second = await this.entryFor(key, headers);
        try {
          return await this.runOn(second, fn);
        } catch (again) {
          throw this.refusal(second, again);
        }
      }
      throw this.refusal(first, error);
    }
  }

  /** Closes every session (with DELETE where the transport has a session id). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    const entries = [...this.entries.values()];
    this.entries.clear();
    this.notifySlotWaiters();
    await Promise.all(entries.map((entry) => this.closeEntry(entry, true)));
  }

  get size(): number {
    return this.entries.size;
  }

  private async runOn<T>(entry: PoolEntry, fn: (client: Client) => Promise<T>): Promise<T> {
    entry.active++;
    try {
      const { client } = await entry.ready;
      return await fn(client);
    } finally {
      entry.active--;
      entry.lastUsed = Date.now();
      this.notifySlotWaiters();
    }
  }

  private async entryFor(key: SessionKey, headers: HeadersProvider): Promise<PoolEntry> {
    if (this.closed) throw new SessionPoolError('pool_closed', 'The session pool is closed');
    const id = sessionKeyId(key);
    const existing = this.entries.get(id);
    if (existing) return existing;

    // A server that failed backs off for everyone; a refused credential only for its own session key.
    const waitMs = Math.max(this.backoff.remainingMs(key.serverUrl), this.backoff.remainingMs(id));
    if (waitMs > 0) {
      throw new SessionPoolError('server_backoff', `The MCP server failed to connect; retry in ${waitMs} ms`, waitMs);
    }
    await this.makeRoom(key);
    // Another caller may have opened this key while we waited for room.
    const opened = this.entries.get(id);
    if (opened) return opened;

    const entry: PoolEntry = { id, key, ready: undefined as never, lastUsed: Date.now(), active: 0 };
    entry.ready = this.open(entry, headers);
    // Callers await `ready` themselves; this only keeps a failure nobody awaits from being unhandled.
    entry.ready.catch(() => undefined);
    this.entries.set(id, entry);
    return entry;
  }

  /** A credential refusal as a CredentialRefusedError with the entry's challenge (a 401 drops the session); others unchanged. */
  private refusal(entry: PoolEntry, error: unknown): unknown {
    if (error instanceof CredentialRefusedError) return error;
    const status = refusalStatus(error);
    if (!status) return error;
    if (status === 401 && this.entries.get(entry.id) === entry) this.drop(entry, false);
    return new CredentialRefusedError(status, entry.challenge, error);
  }

  /** The pool's guarded fetch, noting the challenge of a 401/403 on the entry. */
  private fetchFor(entry: PoolEntry): FetchLike {
    return answerOversizedEvents(async (url, init) => {
      const response = await this.fetch(url, init);
      if (response.status === 401 || response.status === 403) entry.challenge = response.headers.get('www-authenticate') ?? undefined;
      return response;
    });
  }

  private async open(entry: PoolEntry, headers: HeadersProvider): Promise<ConnectedClient> {
    const { serverUrl } = entry.key;
    let resolvedHeaders: Record<string, string>;
    try {
      resolvedHeaders = await headers();
    } catch (error) {
      this.forget(entry);
      throw error;
    }
    try {
      const outside = this.options.outsideCallScope ?? ((fn) => fn());
      const connected = await outside(() => connectClient({
        url: serverUrl,
        fetch: this.fetchFor(entry),
        headers: resolvedHeaders,
        clientInfo: this.options.clientInfo,
        timeoutMs: this.options.connectTimeoutMs,
        ...(this.options.onElicitation ? { onElicitation: this.options.onElicitation } : {}),
        onRefusedElicitation: (reason) => this.options.logger?.warn({ serverUrl, reason }, 'declined an elicitation request that is not a valid MCP form request'),
      }));
      this.backoff.recordSuccess(serverUrl);
      this.backoff.recordSuccess(entry.id);
      entry.connected = connected;
      connected.client.onerror = (error) => this.options.logger?.warn({ serverUrl, err: error }, 'MCP session error');
      connected.client.onclose = () => {
        if (this.entries.get(entry.id) === entry) this.forget(entry);
      };
      if (this.entries.get(entry.id) !== entry) {
        // Closed or evicted while connecting.
        await this.closeEntry(entry, true);
        throw new SessionPoolError('pool_closed', 'The session was closed while connecting');
      }
      return connected;
    } catch (error) {
      if (!(error instanceof SessionPoolError)) {
        // A 401/403 says the server is up and this user's credential is refused: backing off the whole server would
        // let one user's wrong token lock every other user of that server out.
        const retryInMs = this.backoff.recordFailure(isCredentialRefusal(error) ? entry.id : serverUrl);
        this.options.logger?.warn({ serverUrl, err: error, retryInMs }, 'MCP server connect failed');
      }
      if (this.entries.get(entry.id) === entry) this.forget(entry);
      const status = refusalStatus(error);
      throw status ? new CredentialRefusedError(status, entry.challenge, error) : error;
    }
  }

  /**
   * Evicts least recently used idle sessions until a new one for `key` fits: the user's own first (a user at their
   * limit with every session busy is refused at once), then the server's or the pool's, waiting (bounded) if all
   * those are busy.
   */
  private async makeRoom(key: SessionKey): Promise<void> {
    const { serverUrl, userId } = key;
    const deadline = Date.now() + (this.options.acquireWaitMs ?? this.options.connectTimeoutMs);
    for (;;) {
      if (this.closed) throw new SessionPoolError('pool_closed', 'The session pool is closed');
      const all = [...this.entries.values()];
      const sameUser = all.filter((entry) => entry.key.userId === userId);
      if (sameUser.length >= this.options.maxPerUser) {
        const victim = leastRecentlyUsedIdle(sameUser);
        if (!victim) {
          throw new SessionPoolError(
            'user_session_limit',
            `Too many MCP sessions of this user are in use at once (at most ${this.options.maxPerUser}); try again when a tool call has finished`,
          );
        }
        this.drop(victim, true);
        continue;
      }
      const sameServer = all.filter((entry) => entry.key.serverUrl === serverUrl);
      const scope =
        sameServer.length >= this.options.maxPerServer ? sameServer : all.length >= this.options.maxTotal ? all : undefined;
      if (!scope) return;
      const victim = leastRecentlyUsedIdle(scope);
      if (victim) {
        this.drop(victim, true);
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new SessionPoolError('pool_exhausted', 'Every MCP session is busy; the pool is at its limit');
      }
      await this.waitForSlot(remaining);
    }
  }

  private waitForSlot(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.slotWaiters.push(done);
    });
  }

  private notifySlotWaiters(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
  }

  private sweepIdle(): void {
    const cutoff = Date.now() - this.options.idleTtlMs;
    for (const entry of this.entries.values()) {
      if (entry.connected && entry.active === 0 && entry.lastUsed <= cutoff) this.drop(entry, true);
    }
  }

  /** Removes the entry now and closes its session in the background. */
  private drop(entry: PoolEntry, terminate: boolean): void {
    this.forget(entry);
    void this.closeEntry(entry, terminate);
  }

  private forget(entry: PoolEntry): void {
    if (this.entries.get(entry.id) === entry) this.entries.delete(entry.id);
    this.notifySlotWaiters();
  }

  private async closeEntry(entry: PoolEntry, terminate: boolean): Promise<void> {
    const connected = entry.connected;
    if (!connected) return;
    const { client, transport } = connected;
    client.onclose = undefined;
    if (terminate && transport instanceof StreamableHTTPClientTransport) {
      await transport.terminateSession().catch((error: unknown) => {
        this.options.logger?.warn({ serverUrl: entry.key.serverUrl, err: error }, 'MCP session DELETE failed');
      });
    }
    await client.close().catch(() => undefined);
  }
}

function leastRecentlyUsedIdle(entries: PoolEntry[]): PoolEntry | undefined {
  let victim: PoolEntry | undefined;
  for (const entry of entries) {
    if (!entry.connected || entry.active > 0) continue;
    if (!victim || entry.lastUsed < victim.lastUsed) victim = entry;
  }
  return victim;
}

const isCredentialRefusal = (error: unknown): boolean => refusalStatus(error) !== undefined;

/** 401/403 when `error` is the server refusing the request's credential. */
function refusalStatus(error: unknown): 401 | 403 | undefined {
  if (error instanceof CredentialRefusedError) return error.status;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof StreamableHTTPError && (error.code === 401 || error.code === 403)) return error.code;
  return undefined;
}

/** A 404 on a request that carried a session id: the server has forgotten the session. */
function isExpiredSession(error: unknown, connected: ConnectedClient): boolean {
  return (
    error instanceof StreamableHTTPError &&
    error.code === 404 &&
    connected.transport instanceof StreamableHTTPClientTransport &&
    connected.transport.sessionId !== undefined
  );
}
