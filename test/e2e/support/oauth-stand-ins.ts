import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/**
 * Stand-ins for the end-to-end tests of the gateway's MCP OAuth routes and the broker's OAuth integration, usable
 * without the real auth service and authorization server:
 *
 * - `startOAuthGuard`: an HTTP proxy in front of an MCP server that accepts only the bearer tokens it was told to
 *   (401 `invalid_token` otherwise) and answers 403 `insufficient_scope` to a `tools/call` of a tool needing a scope
 *   the token lacks;
 * - `startFakeAuthService`: answers the auth service's NATS commands (Nest's request/reply framing) with a tiny
 *   in-memory model of connections, issuing tokens the guard accepts.
 */

export interface OAuthGuard {
  /** `http://127.0.0.1:PORT/mcp` */
  url: string;
  accept(token: string, scopes?: string[]): void;
  revoke(token: string): void;
  /** Tool name → the scope a call of it needs. */
  toolScopes: Map<string, string>;
  /** Every request's bearer token (undefined: none) and the status the guard gave it (0: passed on). */
  seen: { token: string | undefined; status: number }[];
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

function calledTool(body: Buffer): string | undefined {
  try {
    const msg = JSON.parse(body.toString('utf8')) as { method?: string; params?: { name?: unknown } };
    return msg.method === 'tools/call' && typeof msg.params?.name === 'string' ? msg.params.name : undefined;
  } catch {
    return undefined;
  }
}

export async function startOAuthGuard(upstreamUrl: string): Promise<OAuthGuard> {
  const upstream = new URL(upstreamUrl);
  const tokens = new Map<string, Set<string>>();
  const toolScopes = new Map<string, string>();
  const seen: OAuthGuard['seen'] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const refuse = (status: number, challenge: string) => {
        seen.push({ token, status });
        res.writeHead(status, { 'content-type': 'application/json', 'www-authenticate': challenge });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: status === 401 ? 'unauthorized' : 'forbidden' } }));
      };
      const scopes = token ? tokens.get(token) : undefined;
      if (!scopes) {
        refuse(401, token ? 'Bearer error="invalid_token", error_description="The access token is not valid"' : 'Bearer scope="mcp:read"');
        return;
      }
      const tool = calledTool(body);
      const needed = tool ? toolScopes.get(tool) : undefined;
      if (needed && !scopes.has(needed)) {
        refuse(403, `Bearer error="insufficient_scope", scope="${needed}", error_description="The tool needs more access"`);
        return;
      }
      seen.push({ token, status: 0 });
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
      const up = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method, headers },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      up.end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    accept: (token, scopes = []) => void tokens.set(token, new Set(scopes)),
    revoke: (token) => void tokens.delete(token),
    toolScopes,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Flow {
  userId: string;
  serverUrl: string;
  nonce: string;
  scope?: string;
}

interface Connection {
  token: string;
  scopes: string[];
  version: number;
}

export interface FakeAuthService {
  /** Every command received: its subject's last segment and its payload. */
  received: { command: string; data: any }[];
  /** The state of the authorization URL the fake gave (it is a query parameter of it). */
  stateOf(authorizationUrl: string): string;
  /** The current access token of a connection (undefined: not connected). */
  tokenOf(userId: string, serverUrl: string): string | undefined;
  /** A refresh (after `rejected: true`) fails like an invalid_grant: the connection becomes `expired`. */
  refreshFails: boolean;
  /** Stops answering (as when the auth service is down); `resume` answers again. */
  pause(): Promise<void>;
  resume(): void;
  close(): Promise<void>;
}

/** The fake authorization server's authorize endpoint (never fetched: the tests replay its redirect themselves). */
export const FAKE_AUTHORIZE_URL = 'https://as.example.test/authorize';

export async function startFakeAuthService(natsNamespace: string, guard: OAuthGuard): Promise<FakeAuthService> {
  const nc: NatsConnection = await connect({ servers: process.env.NATS_URL || 'nats://127.0.0.1:4222', name: 'e2e-fake-auth' });
  const flows = new Map<string, Flow>();
  const connections = new Map<string, Connection>();
  const key = (userId: string, serverUrl: string) => JSON.stringify([userId, serverUrl]);
  let issued = 0;
  const received: FakeAuthService['received'] = [];

  const startFlow = (userId: string, serverUrl: string, scope?: string) => {
    const state = randomBytes(12).toString('base64url');
    const nonce = randomBytes(12).toString('base64url');
    flows.set(state, { userId, serverUrl, nonce, ...(scope ? { scope } : {}) });
    const url = new URL(FAKE_AUTHORIZE_URL);
    url.searchParams.set('state', state);
    if (scope) url.searchParams.set('scope', scope);
    return { authorizationUrl: url.toString(), nonce };
  };
  const issue = (userId: string, serverUrl: string, scopes: string[]) => {
    const token = `at-${userId}-${++issued}-${randomBytes(6).toString('hex')}`;
    guard.accept(token, scopes);
    const connection = { token, scopes, version: issued };
    connections.set(key(userId, serverUrl), connection);
    return connection;
  };
  const fail = (code: string, message: string) => ({ ok: false, error: { code, message } });

  const handlers: Record<string, (d: any) => unknown> = {
    start: (d) => ({ ok: true, data: startFlow(d.userId, d.serverUrl, d.scope) }),
    complete: (d) => {
      const flow = flows.get(d.state);
      // Echoes the hostile state back, so the test sees the page escape what the auth service says.
      if (!flow) return fail('validation_failed', `unknown or expired authorization state ${d.state}`);
      flows.delete(d.state);
      if (d.error) {
        return {
          ok: true,
          data: { serverUrl: flow.serverUrl, status: 'error', message: `the authorization server said ${d.error}: ${d.errorDescription ?? ''}`, nonce: flow.nonce },
        };
      }
      const previous = connections.get(key(flow.userId, flow.serverUrl));
      const scopes = [...new Set([...(previous?.scopes ?? ['mcp:read']), ...(flow.scope ? flow.scope.split(' ') : [])])];
      issue(flow.userId, flow.serverUrl, scopes);
      return { ok: true, data: { serverUrl: flow.serverUrl, status: 'connected', nonce: flow.nonce } };
    },
    status: (d) => {
      const c = connections.get(key(d.userId, d.serverUrl));
      return { ok: true, data: c ? { status: 'connected', scopes: c.scopes } : { status: 'disconnected' } };
    },
    revoke: (d) => {
      const c = connections.get(key(d.userId, d.serverUrl));
      if (c) guard.revoke(c.token);
      connections.delete(key(d.userId, d.serverUrl));
      return { ok: true, data: { revoked: !!c } };
    },
    'access-token': (d) => {
      const c = connections.get(key(d.userId, d.serverUrl));
      if (!c) return { ok: true, data: { status: 'disconnected', message: 'not connected', ...startFlow(d.userId, d.serverUrl) } };
      if (d.rejected) {
        if (service.refreshFails) {
          connections.delete(key(d.userId, d.serverUrl));
          const { authorizationUrl } = startFlow(d.userId, d.serverUrl);
          return { ok: true, data: { status: 'expired', message: 'the refresh token was refused (invalid_grant)', authorizationUrl } };
        }
        const renewed = issue(d.userId, d.serverUrl, c.scopes);
        return { ok: true, data: { status: 'connected', accessToken: renewed.token, tokenType: 'Bearer', version: renewed.version } };
      }
      return { ok: true, data: { status: 'connected', accessToken: c.token, tokenType: 'bearer', version: c.version } };
    },
  };

  let sub: Subscription | undefined;
  const listen = () => {
    sub = nc.subscribe(`${natsNamespace}.v1.auth.cmd.*`, {
      callback: (err, msg: Msg) => {
        if (err) return;
        const packet = msg.json<{ id?: string; data: any }>();
        const command = msg.subject.split('.').at(-1)!;
        received.push({ command, data: packet.data });
        const handler = handlers[command];
        const response = handler ? handler(packet.data) : fail('internal', `no handler for ${command}`);
        msg.respond(JSON.stringify({ id: packet.id, response, isDisposed: true }));
      },
    });
  };
  listen();

  const service: FakeAuthService = {
    received,
    stateOf: (authorizationUrl) => new URL(authorizationUrl).searchParams.get('state') ?? '',
    tokenOf: (userId, serverUrl) => connections.get(key(userId, serverUrl))?.token,
    refreshFails: false,
    pause: async () => {
      sub?.unsubscribe();
      sub = undefined;
      await nc.flush();
    },
    resume: () => {
      if (!sub) listen();
    },
    close: async () => {
      await nc.drain().catch(() => undefined);
    },
  };
  await nc.flush();
  return service;
}
