import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { z } from 'zod';
import {
  AuthSubjects, ClientCredentialsTokenCommand, ClientCredentialsTokenResult, CompleteAuthorizationCommand, CreateApiKeyCommand, CreateApiKeyResult, ListApiKeysCommand, ListApiKeysResult,
  RevokeApiKeyCommand, RevokeApiKeyResult, VerifyApiKeyCommand, VerifyApiKeyResult, CompleteAuthorizationResult, ConnectionStatusCommand, ConnectionStatusResult,
  GetAccessTokenCommand, GetAccessTokenResult, HealthReply, replyOf, RevokeConnectionCommand, RevokeConnectionResult,
  setSubjectNamespace, StartAuthorizationCommand, StartAuthorizationResult, type Reply,
  SignInCommand, SignInResult, VerifySessionCommand, VerifySessionResult, EndSessionCommand, EndAllSessionsCommand, EndSessionsResult,
  GetUserCommand, GetUserResult,
} from '@harness/contracts';
import { startSystem, waitFor, type StartSystemOptions, type System } from '@harness/testing';
import type { OAuthTestServerHandle } from '../../../tools/oauth-test-server/src/index.js';

/**
 * Sends the auth service's NATS commands the way the gateway and the mcp-broker do (Nest's wire format: a JSON packet
 * `{pattern, data, id}`, answered with `{response}`) and checks the replies against libs/contracts.
 */
export class AuthCommands {
  private constructor(private readonly nc: NatsConnection) {}

  /** Connects to the system's NATS as its test user (may send every auth command: the gateway's and the broker's). */
  static async connect(system: Pick<System, 'natsConnectOptions'>): Promise<AuthCommands> {
    const nc = await connect({ ...system.natsConnectOptions('test'), name: 'harness-test-auth-commands' });
    return new AuthCommands(nc);
  }

  /** Waits until `replicas` distinct auth replicas have answered the health subject (the queue group spreads requests). */
  async waitReplicas(replicas: number, timeoutMs = 30_000): Promise<string[]> {
    const seen = new Set<string>();
    await waitFor(
      async () => {
        try {
          const msg = await this.nc.request(AuthSubjects.health, JSON.stringify({ pattern: AuthSubjects.health, data: {}, id: 'health' }), { timeout: 1_000 });
          const reply = HealthReply.safeParse((msg.json() as { response?: unknown }).response);
          if (reply.success) seen.add(reply.data.replicaId);
        } catch {
          // not up yet
        }
        return seen.size >= replicas;
      },
      { timeoutMs, intervalMs: 20, description: `${replicas} auth replica(s) to answer health` },
    );
    return [...seen];
  }

  start(p: z.input<typeof StartAuthorizationCommand>): Promise<Reply<StartAuthorizationResult>> {
    return this.send(AuthSubjects.start, StartAuthorizationCommand, StartAuthorizationResult, p);
  }
  complete(p: z.input<typeof CompleteAuthorizationCommand>): Promise<Reply<CompleteAuthorizationResult>> {
    return this.send(AuthSubjects.complete, CompleteAuthorizationCommand, CompleteAuthorizationResult, p);
  }
  status(p: z.input<typeof ConnectionStatusCommand>): Promise<Reply<ConnectionStatusResult>> {
    return this.send(AuthSubjects.status, ConnectionStatusCommand, ConnectionStatusResult, p);
  }
  revoke(p: z.input<typeof RevokeConnectionCommand>): Promise<Reply<RevokeConnectionResult>> {
    return this.send(AuthSubjects.revoke, RevokeConnectionCommand, RevokeConnectionResult, p);
  }
  accessToken(p: z.input<typeof GetAccessTokenCommand>): Promise<Reply<GetAccessTokenResult>> {
    return this.send(AuthSubjects.accessToken, GetAccessTokenCommand, GetAccessTokenResult, p);
  }
  clientCredentialsToken(p: z.input<typeof ClientCredentialsTokenCommand>): Promise<Reply<ClientCredentialsTokenResult>> {
    return this.send(AuthSubjects.clientCredentialsToken, ClientCredentialsTokenCommand, ClientCredentialsTokenResult, p);
  }

  createApiKey(p: z.input<typeof CreateApiKeyCommand>): Promise<Reply<CreateApiKeyResult>> {
    return this.send(AuthSubjects.createApiKey, CreateApiKeyCommand, CreateApiKeyResult, p);
  }
  listApiKeys(p: z.input<typeof ListApiKeysCommand>): Promise<Reply<ListApiKeysResult>> {
    return this.send(AuthSubjects.listApiKeys, ListApiKeysCommand, ListApiKeysResult, p);
  }
  revokeApiKey(p: z.input<typeof RevokeApiKeyCommand>): Promise<Reply<RevokeApiKeyResult>> {
    return this.send(AuthSubjects.revokeApiKey, RevokeApiKeyCommand, RevokeApiKeyResult, p);
  }
  verifyApiKey(p: z.input<typeof VerifyApiKeyCommand>): Promise<Reply<VerifyApiKeyResult>> {
    return this.send(AuthSubjects.verifyApiKey, VerifyApiKeyCommand, VerifyApiKeyResult, p);
  }

  signIn(p: z.input<typeof SignInCommand>): Promise<Reply<SignInResult>> {
    return this.send(AuthSubjects.signIn, SignInCommand, SignInResult, p);
  }
  verifySession(p: z.input<typeof VerifySessionCommand>): Promise<Reply<VerifySessionResult>> {
    return this.send(AuthSubjects.verifySession, VerifySessionCommand, VerifySessionResult, p);
  }
  endSession(p: z.input<typeof EndSessionCommand>): Promise<Reply<EndSessionsResult>> {
    return this.send(AuthSubjects.endSession, EndSessionCommand, EndSessionsResult, p);
  }
  endAllSessions(p: z.input<typeof EndAllSessionsCommand>): Promise<Reply<EndSessionsResult>> {
    return this.send(AuthSubjects.endAllSessions, EndAllSessionsCommand, EndSessionsResult, p);
  }
  getUser(p: z.input<typeof GetUserCommand>): Promise<Reply<GetUserResult>> {
    return this.send(AuthSubjects.getUser, GetUserCommand, GetUserResult, p);
  }

  /** Sends `data` as is (not checked against a contract): for malformed commands. The reply's envelope is still checked. */
  async raw(subject: string, data: unknown, timeoutMs = 15_000): Promise<Reply<unknown>> {
    const msg = await this.nc.request(subject, JSON.stringify({ pattern: subject, data, id: randomBytes(8).toString('hex') }), { timeout: timeoutMs });
    const packet = msg.json() as { response?: unknown; err?: unknown };
    if (packet.err !== undefined) throw new Error(`${subject}: transport error ${JSON.stringify(packet.err)}`);
    return replyOf(z.unknown()).parse(packet.response) as Reply<unknown>;
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => undefined);
  }

  private async send<C extends z.ZodType, R extends z.ZodType>(subject: string, command: C, result: R, payload: z.input<C>, timeoutMs = 15_000): Promise<Reply<z.output<R>>> {
    const id = randomBytes(8).toString('hex');
    const msg = await this.nc.request(subject, JSON.stringify({ pattern: subject, data: command.parse(payload), id }), { timeout: timeoutMs });
    const packet = msg.json() as { response?: unknown; err?: unknown };
    if (packet.err !== undefined) throw new Error(`${subject}: transport error ${JSON.stringify(packet.err)}`);
    return replyOf(result).parse(packet.response) as Reply<z.output<R>>;
  }
}

/** A start's answer that must be an authorization to follow (not `connected` at once by Cross-App Access). */
export function authorizationOf(started: StartAuthorizationResult): { authorizationUrl: string; nonce: string } {
  if (!('authorizationUrl' in started)) throw new Error(`start answered ${JSON.stringify(started)}, not an authorization URL`);
  return started;
}

/** The data of an `ok: true` reply, else a failure naming the error. */
export function ok<T>(reply: Reply<T>, what = 'command'): T {
  if (!reply.ok) throw new Error(`${what}: ${reply.error.code} ${reply.error.message}`);
  return reply.data;
}

export interface AuthSystem {
  system: System;
  auth: AuthCommands;
  replicaIds: string[];
  stop(): Promise<void>;
}

/** The auth service alone (no gateway), `replicas` processes, loopback allowed by the SSRF guard, refresh skew 0. */
export async function startAuthSystem(label: string, replicas = 1, opts: Partial<StartSystemOptions> = {}): Promise<AuthSystem> {
  const system = await startSystem({
    label,
    services: ['auth'],
    authReplicas: replicas,
    ...opts,
    env: { HARNESS_OUTBOUND_ALLOWLIST: '127.0.0.0/8,::1,localhost', HARNESS_OAUTH_REFRESH_SKEW_MS: '0', ...opts.env },
  });
  setSubjectNamespace(system.natsNamespace);
  let auth: AuthCommands | undefined;
  try {
    auth = await AuthCommands.connect(system);
    const replicaIds = await auth.waitReplicas(replicas);
    const a = auth;
    return {
      system,
      auth: a,
      replicaIds,
      async stop() {
        await a.close();
        await system.stop();
      },
    };
  } catch (err) {
    await auth?.close();
    await system.stop();
    throw err;
  }
}

export interface Authorized {
  /** The authorization URL the auth service built. */
  authorizationUrl: URL;
  /** The authorization server's redirect (to Harness's callback): code, state, iss. */
  callback: URL;
  code: string;
  state: string;
  iss: string | undefined;
  /** The browser binding the flow was started with (the gateway's cookie): the callback must carry it. */
  binding: string;
}

/** A browser binding as the gateway issues them (256 random bits, base64url). */
export const newBinding = (): string => randomBytes(32).toString('base64url');

/**
 * `start` from a browser (a new binding unless given), then play the browser: GET the authorization URL (the test
 * server approves at once) and read the redirect.
 */
export async function authorize(
  auth: AuthCommands,
  userId: string,
  serverUrl: string,
  extra: { scope?: string; wwwAuthenticate?: string; binding?: string } = {},
): Promise<Authorized> {
  const binding = extra.binding ?? newBinding();
  const started = authorizationOf(ok(await auth.start({ userId, serverUrl, ...extra, binding }), 'start'));
  const authorizationUrl = new URL(started.authorizationUrl);
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`GET ${authorizationUrl} → ${res.status} ${await res.text()}`);
  const callback = new URL(location);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`the authorization server answered ${location}`);
  return { authorizationUrl, callback, code, state: callback.searchParams.get('state') ?? '', iss: callback.searchParams.get('iss') ?? undefined, binding };
}

/** The full flow to `connected`; returns the current access token. */
export async function connectUser(auth: AuthCommands, srv: OAuthTestServerHandle, userId: string): Promise<{ authorized: Authorized; accessToken: string; version: number }> {
  const authorized = await authorize(auth, userId, srv.url);
  const done = ok(await auth.complete({ state: authorized.state, code: authorized.code, iss: authorized.iss, binding: authorized.binding }), 'complete');
  if (done.status !== 'connected') throw new Error(`complete: ${done.status} ${done.message ?? ''}`);
  const token = ok(await auth.accessToken({ userId, serverUrl: srv.url }), 'accessToken');
  if (token.status !== 'connected') throw new Error(`accessToken after connecting: ${token.status} ${token.message}`);
  return { authorized, accessToken: token.accessToken, version: token.version };
}

export interface Finding {
  table: string;
  column: string;
  needle: string;
  encoding: string;
}

/**
 * Reads every row of every table of the public schema and reports each column value that contains one of the needles,
 * as is or trivially encoded (base64, base64url, hex): an encoding is not encryption.
 */
export interface DatabaseScan {
  findings: Finding[];
  rowsScanned: number;
  /** Whether any column of any row contains `value`. */
  contains(value: string): boolean;
  /** The rows (as `table: {column: text}`) with a column containing `value`. */
  rowsWith(value: string): { table: string; columns: Record<string, string> }[];
}

export async function scanDatabase(databaseUrl: string, needles: string[]): Promise<DatabaseScan> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const findings: Finding[] = [];
  let rowsScanned = 0;
  const cells: string[] = [];
  const allRows: { table: string; columns: Record<string, string> }[] = [];
  try {
    const tables = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const forms = (n: string): [string, string][] => [
      ['plain', n],
      ['base64', Buffer.from(n).toString('base64').replace(/=+$/, '')],
      ['base64url', Buffer.from(n).toString('base64url')],
      ['hex', Buffer.from(n).toString('hex')],
    ];
    for (const { table_name: table } of tables.rows) {
      const rows = await client.query<Record<string, unknown>>(`SELECT * FROM "${table.replace(/"/g, '""')}"`);
      for (const row of rows.rows) {
        rowsScanned++;
        const columns: Record<string, string> = {};
        allRows.push({ table, columns });
        for (const [column, value] of Object.entries(row)) {
          if (value === null || value === undefined) continue;
          const texts = Buffer.isBuffer(value) ? [value.toString('utf8'), value.toString('latin1')] : [typeof value === 'string' ? value : JSON.stringify(value)];
          columns[column] = texts[0]!;
          cells.push(...texts);
          for (const text of texts) {
            for (const needle of needles) {
              for (const [encoding, form] of forms(needle)) if (text.includes(form)) findings.push({ table, column, needle: `${needle.slice(0, 6)}…`, encoding });
            }
          }
        }
      }
    }
  } finally {
    await client.end();
  }
  return {
    findings,
    rowsScanned,
    contains: (v) => cells.some((c) => c.includes(v)),
    rowsWith: (v) => allRows.filter((r) => Object.values(r.columns).some((c) => c.includes(v))),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
