import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { jwtVerify } from 'jose';
import { z } from 'zod';
import { verifyIdJag, JWT_BEARER_GRANT, type TrustedIdp } from './id-jag.js';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'private_key_jwt';

const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Behaviour that tests may change at any time through `handle.knobs` (read on every request). */
export interface OAuthTestServerKnobs {
  /** Which authorization server metadata documents are served: RFC 8414, OpenID Connect discovery only, or both. Default 'oauth'. */
  metadata: 'oauth' | 'oidc' | 'both';
  /** The metadata `issuer` differs from the issuer its URL was built from. Default false. */
  issuerMismatch: boolean;
  /** `code_challenge_methods_supported`; null omits the field. Default ['S256']. */
  codeChallengeMethods: string[] | null;
  /** Advertise `authorization_response_iss_parameter_supported` and add `iss` to every authorization response (RFC 9207). Default true. */
  issParameter: boolean;
  /** Advertise `client_id_metadata_document_supported` and accept an https(or http) URL as client_id (fetching the document). Default false. */
  clientIdMetadataDocument: boolean;
  /** Serve /register and advertise `registration_endpoint` (RFC 7591). Default true. */
  registration: boolean;
  /** Serve /revoke and advertise `revocation_endpoint` (RFC 7009). Default true. */
  revocation: boolean;
  /**
   * `token_endpoint_auth_methods_supported`, enforced at /register and /token. Default the three secret-or-none ones;
   * add `private_key_jwt` for clients with a `publicKeyPem` (RFC 7523 client assertions).
   */
  tokenEndpointAuthMethods: TokenEndpointAuthMethod[];
  /** `scopes_supported` of both metadata documents; null omits it. Default ['mcp:read', 'mcp:admin', 'offline_access']. */
  scopesSupported: string[] | null;
  /** `scope` of the 401 challenge; null omits it. Default 'mcp:read'. */
  challengeScope: string | null;
  /** Tool name → scope a `tools/call` of it needs; without it the call gets 403 insufficient_scope. Default { admin: 'mcp:admin' }. */
  toolScopes: Record<string, string>;
  /** Scopes the user never grants: /authorize approves without them (the token's `scope` says so). Default []. */
  withheldScopes: string[];
  /** Access token lifetime. Default 3 600 000 (1 h); `expires_in` is this rounded up to seconds. */
  accessTokenTtlMs: number;
  /** Issue refresh tokens. Default true. */
  issueRefreshTokens: boolean;
  /** Each refresh issues a new refresh token and invalidates the old one (a reused old one gets invalid_grant). Default true. */
  rotateRefreshTokens: boolean;
  /** Reusing a rotated-out refresh token also revokes every token of its grant (OAuth 2.1 reuse detection). Default false. */
  revokeGrantOnRefreshReuse: boolean;
  /** Every refresh_token grant fails with invalid_grant. Default false. */
  failRefresh: boolean;
  /** /authorize redirects with `error=access_denied` instead of a code. Default false. */
  denyAuthorization: boolean;
  /** /authorize and /token require `resource` (RFC 8707) equal to the protected resource. Default true. */
  requireResource: boolean;
  /** The protected resource metadata names another resource than the MCP URL. Default false. */
  resourceMismatch: boolean;
  /** Where the protected resource metadata is served: the path-aware well-known URL, the root one, or only via the 401 header. Default 'path'. */
  resourceMetadataAt: 'path' | 'root' | 'header-only';
  /** Put `resource_metadata="…"` in the 401/403 challenges. Default true. */
  challengeResourceMetadata: boolean;
  /** Delay before /token answers (widens race windows in concurrency tests). Default 0. */
  tokenDelayMs: number;
  /**
   * Enterprise IdPs this authorization server trusts for Cross-App Access (SEP-990): with any, the metadata advertises
   * the RFC 7523 jwt-bearer grant and /token accepts an ID-JAG of one of them as its assertion. Default [].
   */
  trustedIdps: TrustedIdp[];
  /** The protected resource metadata names this authorization server instead of its own (a server that moved, or lies). Default null. */
  authorizationServerOverride: string | null;
}

export interface PreRegisteredClient {
  clientId: string;
  clientSecret?: string;
  redirectUris?: string[];
  /** Default: private_key_jwt with a public key, client_secret_basic with a secret, else none. */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** PEM public key (SPKI) that verifies the client's assertions (private_key_jwt). */
  publicKeyPem?: string;
  /** Default ['authorization_code', 'refresh_token']; a service client has ['client_credentials']. */
  grantTypes?: string[];
}

export interface OAuthTestServerOptions extends Partial<OAuthTestServerKnobs> {
  /** Default 0: a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Path of the issuer (e.g. '/oauth' → issuer http://127.0.0.1:P/oauth). Default '' (the origin). */
  issuerPath?: string;
  /** Run the authorization server on its own port (another origin than the MCP resource server). Default false. */
  separateAuthorizationServer?: boolean;
  /** Clients known without registration (any redirect URI is accepted when redirectUris is omitted). */
  preRegisteredClients?: PreRegisteredClient[];
}

export interface AuthorizeRecord {
  clientId: string;
  redirectUri: string | undefined;
  scope: string | undefined;
  resource: string | undefined;
  state: string | undefined;
  codeChallengeMethod: string | undefined;
  /** What /authorize answered: a code, an error redirect, or a 400 page (bad client or redirect URI). */
  outcome: 'code' | 'error-redirect' | 'refused';
  error?: string;
}

export interface TokenRecord {
  grantType: string;
  clientId: string | undefined;
  /** How the client authenticated. */
  authMethod: TokenEndpointAuthMethod | undefined;
  resource: string | undefined;
  scope: string | undefined;
  /** 'ok' or the OAuth error code answered. */
  outcome: string;
}

export interface RevocationRecord {
  token: string;
  tokenTypeHint: string | undefined;
  /** What the token was (unknown tokens are accepted too, as RFC 7009 says). */
  kind: 'access_token' | 'refresh_token' | 'unknown';
  clientId: string | undefined;
}

export interface OAuthTestServerStats {
  /** GET /authorize requests (any outcome). */
  authorizeCalls: number;
  /** POST /token requests by grant type (any outcome). */
  tokenCalls: { authorization_code: number; refresh_token: number; client_credentials: number; other: number };
  /** Successful refresh_token grants. */
  refreshes: number;
  /** Successful registrations (RFC 7591). */
  registrations: number;
  /** Client ID Metadata Documents fetched. */
  cimdFetches: number;
  /** Every /revoke request that passed client authentication, in order. */
  revocations: RevocationRecord[];
  /** `invalid_grant` answers of /token. */
  invalidGrants: number;
  /** Access tokens currently valid (issued, not expired, not revoked). */
  readonly accessTokensValid: number;
  /** Refresh tokens currently usable. */
  readonly refreshTokensValid: number;
  /** Every /authorize request, in order. */
  authorizeRequests: AuthorizeRecord[];
  /** Every /token request, in order. */
  tokenRequests: TokenRecord[];
  /** Successful jwt-bearer grants (Cross-App Access), in order. */
  jwtBearerGrants: { clientId: string; subject: string; issuer: string; resource: string; jti: string }[];
  /** Requests to the MCP endpoint answered 401 / 403. */
  unauthorized: number;
  forbidden: number;
  /** MCP requests let through. */
  mcpRequests: number;
}

export interface RegisteredClient {
  clientId: string;
  clientSecret: string | undefined;
  redirectUris: string[] | undefined;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  grantTypes: string[];
  /** private_key_jwt: the key that verifies its assertions. */
  publicKey?: KeyObject;
  source: 'registration' | 'pre-registered' | 'metadata-document';
}

export interface OAuthTestServerHandle {
  /** The MCP endpoint (protected resource): `http://127.0.0.1:PORT/mcp`. */
  url: string;
  /** The authorization server's issuer identifier. */
  issuer: string;
  /** The protected resource metadata URL named in the 401 challenge. */
  resourceMetadataUrl: string;
  /** Endpoints, for tests that talk to the authorization server directly. */
  endpoints: { authorization: string; token: string; registration: string; revocation: string; metadata: string };
  stats: OAuthTestServerStats;
  /** Live behaviour switches (see OAuthTestServerKnobs). */
  knobs: OAuthTestServerKnobs;
  /** Every client known (registered, pre-registered, from a metadata document), with its secret. */
  clients(): RegisteredClient[];
  /** Every access / refresh token ever issued (valid or not), oldest first. */
  issuedAccessTokens(): string[];
  issuedRefreshTokens(): string[];
  /** Whether an access token is currently accepted by the MCP endpoint. */
  isAccessTokenValid(token: string): boolean;
  /** The user an access token was issued for by a jwt-bearer grant (undefined for other grants and unknown tokens). */
  accessTokenSubject(token: string): string | undefined;
  /** Makes every access token issued so far expire now (refresh tokens stay usable). */
  expireAccessTokens(): void;
  /** Revokes every access and refresh token (as if the user revoked the grant at the server). */
  revokeAllTokens(): void;
  /** Forgets every registered client (as after a server-side reset): their next request gets invalid_client. */
  forgetRegisteredClients(): void;
  /** Gives a known client another secret (the operator rotated it): the old one gets invalid_client from now on. */
  setClientSecret(clientId: string, secret: string): void;
  close(): Promise<void>;
}

interface Grant {
  id: string;
  clientId: string;
  scopes: string[];
  resource: string | undefined;
  revoked: boolean;
  /** The user of a jwt-bearer grant (the ID-JAG's `sub`). */
  subject?: string;
}
interface AccessToken {
  token: string;
  grant: Grant;
  expiresAt: number;
  revoked: boolean;
}
interface RefreshToken {
  token: string;
  grant: Grant;
  /** Rotated out (a newer one replaced it) or revoked. */
  used: boolean;
  revoked: boolean;
}
interface AuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  redirectUriGiven: boolean;
  codeChallenge: string;
  scopes: string[];
  resource: string | undefined;
  expiresAt: number;
  used: boolean;
  grant?: Grant;
}

const DEFAULT_KNOBS: OAuthTestServerKnobs = {
  metadata: 'oauth',
  issuerMismatch: false,
  codeChallengeMethods: ['S256'],
  issParameter: true,
  clientIdMetadataDocument: false,
  registration: true,
  revocation: true,
  tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  scopesSupported: ['mcp:read', 'mcp:admin', 'offline_access'],
  challengeScope: 'mcp:read',
  toolScopes: { admin: 'mcp:admin' },
  withheldScopes: [],
  accessTokenTtlMs: 3_600_000,
  issueRefreshTokens: true,
  rotateRefreshTokens: true,
  revokeGrantOnRefreshReuse: false,
  failRefresh: false,
  denyAuthorization: false,
  requireResource: true,
  resourceMismatch: false,
  resourceMetadataAt: 'path',
  challengeResourceMetadata: true,
  tokenDelayMs: 0,
  trustedIdps: [],
  authorizationServerOverride: null,
};

const CODE_TTL_MS = 60_000;
const MAX_BODY_BYTES = 1024 * 1024;

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

const random = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;
const s256 = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');
const quote = (v: string): string => `"${v.replace(/["\\]/g, '\\$&')}"`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Resource identifiers compare equal up to one trailing slash (RFC 8707 canonical URIs). */
const sameResource = (a: string, b: string): boolean => a.replace(/\/$/, '') === b.replace(/\/$/, '');

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new OAuthError(413, 'invalid_request', 'request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function sendOAuthError(res: ServerResponse, e: OAuthError): void {
  sendJson(res, e.status, { error: e.code, error_description: e.message }, e.headers);
}

function decodeBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const m = header ? /^Basic\s+(\S+)$/i.exec(header.trim()) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) };
}

const splitScopes = (scope: string | null | undefined): string[] => (scope ?? '').split(' ').filter((s) => s.length > 0);

/**
 * Starts an OAuth 2.1 authorization server for MCP (metadata, /authorize auto-approving, /token, /register, /revoke)
 * and the MCP resource server it protects (`/mcp`, stateless Streamable HTTP, tools `echo`, `whoami`, `admin`), on
 * 127.0.0.1. Everything is in memory; `knobs` change behaviour live.
 */
export async function startOAuthTestServer(opts: OAuthTestServerOptions = {}): Promise<OAuthTestServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const knobs: OAuthTestServerKnobs = { ...DEFAULT_KNOBS };
  for (const k of Object.keys(DEFAULT_KNOBS) as (keyof OAuthTestServerKnobs)[]) {
    if (opts[k] !== undefined) (knobs as unknown as Record<string, unknown>)[k] = opts[k];
  }
  const issuerPath = (opts.issuerPath ?? '').replace(/\/+$/, '');
  if (issuerPath && !issuerPath.startsWith('/')) throw new Error('issuerPath must start with /');

  const clients = new Map<string, RegisteredClient>();
  for (const c of opts.preRegisteredClients ?? []) {
    clients.set(c.clientId, {
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      redirectUris: c.redirectUris,
      tokenEndpointAuthMethod: c.tokenEndpointAuthMethod ?? (c.publicKeyPem ? 'private_key_jwt' : c.clientSecret ? 'client_secret_basic' : 'none'),
      grantTypes: c.grantTypes ?? ['authorization_code', 'refresh_token'],
      ...(c.publicKeyPem ? { publicKey: createPublicKey(c.publicKeyPem) } : {}),
      source: 'pre-registered',
    });
  }
  const codes = new Map<string, AuthCode>();
  /** `jti`s of the ID-JAGs redeemed (replays are refused), oldest first; bounded. */
  const usedJtis = new Map<string, number>();
  const accessTokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, RefreshToken>();
  const now = (): number => Date.now();
  const accessValid = (t: AccessToken): boolean => !t.revoked && !t.grant.revoked && t.expiresAt > now();
  const refreshValid = (t: RefreshToken): boolean => !t.used && !t.revoked && !t.grant.revoked;

  const stats: OAuthTestServerStats = {
    authorizeCalls: 0,
    tokenCalls: { authorization_code: 0, refresh_token: 0, client_credentials: 0, other: 0 },
    refreshes: 0,
    registrations: 0,
    cimdFetches: 0,
    revocations: [],
    invalidGrants: 0,
    get accessTokensValid() {
      return [...accessTokens.values()].filter(accessValid).length;
    },
    get refreshTokensValid() {
      return [...refreshTokens.values()].filter(refreshValid).length;
    },
    authorizeRequests: [],
    tokenRequests: [],
    jwtBearerGrants: [],
    unauthorized: 0,
    forbidden: 0,
    mcpRequests: 0,
  };

  // ---------- listening first: URLs depend on the ports ----------
  const servers: Server[] = [];
  const listen = async (): Promise<{ server: Server; origin: string }> => {
    const server = createServer((req, res) => {
      route(req, res, server).catch((e: unknown) => {
        if (e instanceof OAuthError) sendOAuthError(res, e);
        else sendJson(res, 500, { error: 'server_error', error_description: (e as Error)?.message ?? String(e) });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(servers.length === 0 ? (opts.port ?? 0) : 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    servers.push(server);
    return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}` };
  };

  const rs = await listen();
  const as = opts.separateAuthorizationServer ? await listen() : rs;
  const issuer = `${as.origin}${issuerPath}`;
  const mcpUrl = `${rs.origin}/mcp`;
  const prmPathAware = `${rs.origin}/.well-known/oauth-protected-resource/mcp`;
  const prmRoot = `${rs.origin}/.well-known/oauth-protected-resource`;
  const prmHeaderOnly = `${rs.origin}/mcp-resource-metadata.json`;
  const prmUrl = (): string =>
    knobs.resourceMetadataAt === 'path' ? prmPathAware : knobs.resourceMetadataAt === 'root' ? prmRoot : prmHeaderOnly;
  const endpoints = {
    authorization: `${issuer}/authorize`,
    token: `${issuer}/token`,
    registration: `${issuer}/register`,
    revocation: `${issuer}/revoke`,
    metadata: issuerPath ? `${as.origin}/.well-known/oauth-authorization-server${issuerPath}` : `${as.origin}/.well-known/oauth-authorization-server`,
  };

  // ---------- metadata ----------
  const asMetadata = (oidc: boolean): Record<string, unknown> => {
    const m: Record<string, unknown> = {
      issuer: knobs.issuerMismatch ? `${issuer}/not-this-issuer` : issuer,
      authorization_endpoint: endpoints.authorization,
      token_endpoint: endpoints.token,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', ...(knobs.trustedIdps.length ? [JWT_BEARER_GRANT] : [])],
      token_endpoint_auth_methods_supported: knobs.tokenEndpointAuthMethods,
    };
    if (knobs.tokenEndpointAuthMethods.includes('private_key_jwt')) m.token_endpoint_auth_signing_alg_values_supported = ['RS256', 'ES256', 'ES384'];
    if (knobs.codeChallengeMethods) m.code_challenge_methods_supported = knobs.codeChallengeMethods;
    if (knobs.scopesSupported) m.scopes_supported = knobs.scopesSupported;
    if (knobs.registration) m.registration_endpoint = endpoints.registration;
    if (knobs.revocation) {
      m.revocation_endpoint = endpoints.revocation;
      m.revocation_endpoint_auth_methods_supported = knobs.tokenEndpointAuthMethods;
    }
    if (knobs.issParameter) m.authorization_response_iss_parameter_supported = true;
    if (knobs.clientIdMetadataDocument) m.client_id_metadata_document_supported = true;
    if (oidc) {
      m.jwks_uri = `${issuer}/jwks`;
      m.subject_types_supported = ['public'];
      m.id_token_signing_alg_values_supported = ['RS256'];
    }
    return m;
  };

  const prm = (): Record<string, unknown> => ({
    resource: knobs.resourceMismatch ? `${rs.origin}/not-this-resource` : mcpUrl,
    authorization_servers: [knobs.authorizationServerOverride ?? issuer],
    bearer_methods_supported: ['header'],
    resource_name: 'Harness OAuth test server',
    ...(knobs.scopesSupported ? { scopes_supported: knobs.scopesSupported } : {}),
  });

  /** Well-known paths of the authorization server metadata on the AS origin, by document. */
  const asMetadataPaths = (): Map<string, boolean> => {
    const paths = new Map<string, boolean>(); // path → oidc?
    if (knobs.metadata !== 'oidc') paths.set(`/.well-known/oauth-authorization-server${issuerPath}`, false);
    if (knobs.metadata !== 'oauth') {
      paths.set(`/.well-known/openid-configuration${issuerPath}`, true);
      if (issuerPath) paths.set(`${issuerPath}/.well-known/openid-configuration`, true);
    }
    return paths;
  };

  // ---------- clients ----------
  const getClient = async (clientId: string): Promise<RegisteredClient | undefined> => {
    const known = clients.get(clientId);
    if (known) return known;
    if (!knobs.clientIdMetadataDocument || !/^https?:\/\//.test(clientId)) return undefined;
    try {
      stats.cimdFetches++;
      const res = await fetch(clientId, { signal: AbortSignal.timeout(3_000), redirect: 'error' });
      if (!res.ok) return undefined;
      const doc = (await res.json()) as { client_id?: unknown; redirect_uris?: unknown; token_endpoint_auth_method?: unknown; grant_types?: unknown };
      if (doc.client_id !== clientId || !Array.isArray(doc.redirect_uris)) return undefined;
      const method = (doc.token_endpoint_auth_method as TokenEndpointAuthMethod | undefined) ?? 'none';
      const client: RegisteredClient = {
        clientId,
        clientSecret: undefined,
        redirectUris: doc.redirect_uris.filter((u): u is string => typeof u === 'string'),
        tokenEndpointAuthMethod: method,
        grantTypes: Array.isArray(doc.grant_types) ? doc.grant_types.filter((g): g is string => typeof g === 'string') : ['authorization_code'],
        source: 'metadata-document',
      };
      clients.set(clientId, client);
      return client;
    } catch {
      return undefined;
    }
  };

  /** Client authentication at /token and /revoke, per the client's registered method. */
  const authenticateClient = async (req: IncomingMessage, params: URLSearchParams): Promise<{ client: RegisteredClient; method: TokenEndpointAuthMethod }> => {
    const basic = decodeBasic(req.headers.authorization);
    const bodyId = params.get('client_id') ?? undefined;
    const bodySecret = params.get('client_secret') ?? undefined;
    const assertion = params.get('client_assertion') ?? undefined;
    const unauthorized = (why: string) => new OAuthError(401, 'invalid_client', why, basic ? { 'www-authenticate': 'Basic realm="oauth-test-server"' } : {});
    if (assertion !== undefined) return authenticateAssertion(params, assertion, bodyId, unauthorized);
    const method: TokenEndpointAuthMethod = basic ? 'client_secret_basic' : bodySecret !== undefined ? 'client_secret_post' : 'none';
    const clientId = basic?.id ?? bodyId;
    if (!clientId) throw unauthorized('no client authentication');
    if (basic && bodyId !== undefined && bodyId !== basic.id) throw unauthorized('client_id in the body differs from the Basic credentials');
    const client = await getClient(clientId);
    if (!client) throw unauthorized('unknown client');
    if (!knobs.tokenEndpointAuthMethods.includes(method)) throw unauthorized(`${method} is not supported`);
    if (method !== client.tokenEndpointAuthMethod) throw unauthorized(`the client is registered for ${client.tokenEndpointAuthMethod}, not ${method}`);
    if (method !== 'none') {
      const secret = basic?.secret ?? bodySecret ?? '';
      if (!client.clientSecret || !safeEqual(secret, client.clientSecret)) throw unauthorized('wrong client secret');
    }
    return { client, method };
  };

  /** Assertion `jti`s already presented (RFC 7523 §3: a replayed assertion is refused), bounded. */
  const seenAssertionIds = new Set<string>();
  /**
   * private_key_jwt (RFC 7523 §2.2, §3): a JWT signed by the client's key, `iss` = `sub` = its client id, `aud` the
   * issuer or the token endpoint, `exp` in the future, a `jti` not seen before.
   */
  const authenticateAssertion = async (
    params: URLSearchParams, assertion: string, bodyId: string | undefined, unauthorized: (why: string) => OAuthError,
  ): Promise<{ client: RegisteredClient; method: TokenEndpointAuthMethod }> => {
    if (params.get('client_assertion_type') !== JWT_BEARER_ASSERTION) throw unauthorized('client_assertion_type must be the jwt-bearer type');
    let claimedId: string | undefined;
    try {
      claimedId = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')).iss;
    } catch {
      throw unauthorized('the client assertion is not a JWT');
    }
    const client = typeof claimedId === 'string' ? await getClient(claimedId) : undefined;
    if (!client?.publicKey) throw unauthorized('unknown client, or a client without a key');
    if (bodyId !== undefined && bodyId !== client.clientId) throw unauthorized('client_id differs from the assertion');
    if (!knobs.tokenEndpointAuthMethods.includes('private_key_jwt')) throw unauthorized('private_key_jwt is not supported');
    if (client.tokenEndpointAuthMethod !== 'private_key_jwt') throw unauthorized(`the client is registered for ${client.tokenEndpointAuthMethod}, not private_key_jwt`);
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, client.publicKey, { audience: [issuer, endpoints.token], issuer: client.clientId, subject: client.clientId, requiredClaims: ['exp', 'jti'] }));
    } catch (err) {
      throw unauthorized(`the client assertion is invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (seenAssertionIds.has(payload.jti!)) throw unauthorized('the client assertion was already used (jti)');
    if (seenAssertionIds.size >= 10_000) seenAssertionIds.clear();
    seenAssertionIds.add(payload.jti!);
    return { client, method: 'private_key_jwt' };
  };

  // ---------- tokens ----------
  const issueTokens = (grant: Grant, withRefresh: boolean): Record<string, unknown> => {
    const access: AccessToken = { token: random('at'), grant, expiresAt: now() + knobs.accessTokenTtlMs, revoked: false };
    accessTokens.set(access.token, access);
    const body: Record<string, unknown> = {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: Math.max(1, Math.ceil(knobs.accessTokenTtlMs / 1000)),
      scope: grant.scopes.join(' '),
    };
    if (withRefresh) {
      const refresh: RefreshToken = { token: random('rt'), grant, used: false, revoked: false };
      refreshTokens.set(refresh.token, refresh);
      body.refresh_token = refresh.token;
    }
    return body;
  };

  const checkResource = (resource: string | null): string | undefined => {
    if (resource === null) {
      if (knobs.requireResource) throw new OAuthError(400, 'invalid_target', 'resource is required (RFC 8707)');
      return undefined;
    }
    if (!sameResource(resource, mcpUrl)) throw new OAuthError(400, 'invalid_target', `unknown resource ${resource}`);
    return resource;
  };

  const revokeGrant = (grant: Grant): void => {
    grant.revoked = true;
  };

  // ---------- endpoints ----------
  const authorize = async (url: URL, res: ServerResponse): Promise<void> => {
    stats.authorizeCalls++;
    const p = url.searchParams;
    const record: AuthorizeRecord = {
      clientId: p.get('client_id') ?? '',
      redirectUri: p.get('redirect_uri') ?? undefined,
      scope: p.get('scope') ?? undefined,
      resource: p.get('resource') ?? undefined,
      state: p.get('state') ?? undefined,
      codeChallengeMethod: p.get('code_challenge_method') ?? undefined,
      outcome: 'refused',
    };
    stats.authorizeRequests.push(record);
    // Errors about the client or the redirect URI are shown, never redirected (RFC 6749 §4.1.2.1).
    const refuse = (why: string): void => {
      record.error = why;
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`authorization refused: ${why}`);
    };
    const client = record.clientId ? await getClient(record.clientId) : undefined;
    if (!client) return refuse('unknown client_id');
    let redirectUri = record.redirectUri;
    if (redirectUri === undefined) {
      if (client.redirectUris?.length !== 1) return refuse('redirect_uri is required');
      redirectUri = client.redirectUris[0]!;
    } else if (client.redirectUris && !client.redirectUris.includes(redirectUri)) {
      return refuse('redirect_uri is not registered for this client');
    }
    const target = new URL(redirectUri);
    const redirect = (params: Record<string, string | undefined>): void => {
      for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.set(k, v);
      if (record.state !== undefined) target.searchParams.set('state', record.state);
      if (knobs.issParameter) target.searchParams.set('iss', issuer);
      res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store' });
      res.end();
    };
    const fail = (error: string, description: string): void => {
      record.outcome = 'error-redirect';
      record.error = error;
      redirect({ error, error_description: description });
    };
    if (p.get('response_type') !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    const challenge = p.get('code_challenge');
    if (!challenge) return fail('invalid_request', 'code_challenge is required (PKCE)');
    if (record.codeChallengeMethod !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return fail('invalid_request', 'code_challenge is not a S256 challenge');
    let resource: string | undefined;
    try {
      resource = checkResource(p.get('resource'));
    } catch (e) {
      return fail((e as OAuthError).code, (e as Error).message);
    }
    const scopes = splitScopes(record.scope);
    if (knobs.scopesSupported) {
      const unknown = scopes.filter((s) => !knobs.scopesSupported!.includes(s));
      if (unknown.length > 0) return fail('invalid_scope', `unknown scope ${unknown.join(' ')}`);
    }
    if (knobs.denyAuthorization) return fail('access_denied', 'the user denied the request');
    const code: AuthCode = {
      code: random('code'),
      clientId: client.clientId,
      redirectUri,
      redirectUriGiven: record.redirectUri !== undefined,
      codeChallenge: challenge,
      scopes: scopes.filter((sc) => !knobs.withheldScopes.includes(sc)),
      resource,
      expiresAt: now() + CODE_TTL_MS,
      used: false,
    };
    codes.set(code.code, code);
    record.outcome = 'code';
    redirect({ code: code.code });
  };

  const token = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const params = new URLSearchParams(await readBody(req));
    const grantType = params.get('grant_type') ?? '';
    const key = grantType === 'authorization_code' || grantType === 'refresh_token' || grantType === 'client_credentials' ? grantType : 'other';
    stats.tokenCalls[key]++;
    const record: TokenRecord = {
      grantType,
      clientId: undefined,
      authMethod: undefined,
      resource: params.get('resource') ?? undefined,
      scope: params.get('scope') ?? undefined,
      outcome: 'ok',
    };
    stats.tokenRequests.push(record);
    if (knobs.tokenDelayMs > 0) await sleep(knobs.tokenDelayMs);
    try {
      const { client, method } = await authenticateClient(req, params);
      record.clientId = client.clientId;
      record.authMethod = method;
      const invalidGrant = (why: string): OAuthError => new OAuthError(400, 'invalid_grant', why);
      let body: Record<string, unknown>;
      if (grantType === 'authorization_code') {
        const code = codes.get(params.get('code') ?? '');
        if (!code || code.clientId !== client.clientId) throw invalidGrant('unknown authorization code');
        if (code.used) {
          if (code.grant) revokeGrant(code.grant); // a replayed code revokes what it gave (OAuth 2.1 §4.1.3)
          throw invalidGrant('authorization code already used');
        }
        code.used = true;
        if (code.expiresAt <= now()) throw invalidGrant('authorization code expired');
        const redirectUri = params.get('redirect_uri');
        if (code.redirectUriGiven && redirectUri !== code.redirectUri) throw invalidGrant('redirect_uri differs from the authorization request');
        const verifier = params.get('code_verifier');
        if (!verifier) throw new OAuthError(400, 'invalid_request', 'code_verifier is required (PKCE)');
        if (!safeEqual(s256(verifier), code.codeChallenge)) throw invalidGrant('PKCE verification failed');
        const resource = checkResource(params.get('resource'));
        if (code.resource !== undefined && resource !== undefined && !sameResource(resource, code.resource)) {
          throw new OAuthError(400, 'invalid_target', 'resource differs from the authorization request');
        }
        const grant: Grant = { id: random('grant'), clientId: client.clientId, scopes: code.scopes, resource: resource ?? code.resource, revoked: false };
        code.grant = grant;
        body = issueTokens(grant, knobs.issueRefreshTokens && client.grantTypes.includes('refresh_token'));
      } else if (grantType === 'refresh_token') {
        if (!client.grantTypes.includes('refresh_token')) throw new OAuthError(400, 'unauthorized_client', 'the client did not register the refresh_token grant type');
        const presented = params.get('refresh_token') ?? '';
        const rt = refreshTokens.get(presented);
        if (!rt || rt.grant.clientId !== client.clientId) throw invalidGrant('unknown refresh token');
        if (rt.used && !rt.revoked && knobs.revokeGrantOnRefreshReuse) revokeGrant(rt.grant);
        if (!refreshValid(rt)) throw invalidGrant(rt.used ? 'refresh token already used (rotated)' : 'refresh token revoked');
        if (knobs.failRefresh) throw invalidGrant('refresh refused (failRefresh)');
        const resource = params.get('resource');
        if (resource !== null && !sameResource(resource, rt.grant.resource ?? mcpUrl)) throw new OAuthError(400, 'invalid_target', 'resource differs from the grant');
        const scope = params.get('scope');
        if (scope !== null && splitScopes(scope).some((s) => !rt.grant.scopes.includes(s))) throw new OAuthError(400, 'invalid_scope', 'a refresh cannot widen the scope');
        if (knobs.rotateRefreshTokens) rt.used = true;
        stats.refreshes++;
        body = issueTokens(rt.grant, knobs.rotateRefreshTokens);
      } else if (grantType === JWT_BEARER_GRANT && knobs.trustedIdps.length > 0) {
        const assertion = params.get('assertion');
        if (!assertion) throw new OAuthError(400, 'invalid_request', 'assertion is required');
        let jag;
        try {
          jag = await verifyIdJag(assertion, { trusted: knobs.trustedIdps, issuer, resource: mcpUrl, clientId: client.clientId, usedJtis });
        } catch (e) {
          throw invalidGrant(`the ID-JAG is refused: ${(e as Error).message}`);
        }
        const scopes = splitScopes(params.get('scope') ?? jag.scope);
        if (knobs.scopesSupported) {
          const unknown = scopes.filter((sc) => !knobs.scopesSupported!.includes(sc));
          if (unknown.length > 0) throw new OAuthError(400, 'invalid_scope', `unknown scope ${unknown.join(' ')}`);
        }
        const grant: Grant = { id: random('grant'), clientId: client.clientId, scopes: scopes.filter((sc) => !knobs.withheldScopes.includes(sc)), resource: jag.resource, revoked: false, subject: jag.subject };
        stats.jwtBearerGrants.push({ clientId: client.clientId, subject: jag.subject, issuer: jag.issuer, resource: jag.resource, jti: jag.jti });
        // No refresh token: the client obtains a new ID-JAG from the IdP instead (the IdP stays in control).
        body = issueTokens(grant, false);
      } else if (grantType === 'client_credentials') {
        // The client acts as itself (a service identity): no user, no refresh token (RFC 6749 §4.4.3).
        if (!client.grantTypes.includes('client_credentials')) throw new OAuthError(400, 'unauthorized_client', 'the client may not use the client_credentials grant');
        const resource = checkResource(params.get('resource'));
        const scopes = splitScopes(params.get('scope'));
        if (knobs.scopesSupported) {
          const unknown = scopes.filter((sc) => !knobs.scopesSupported!.includes(sc));
          if (unknown.length) throw new OAuthError(400, 'invalid_scope', `unknown scope ${unknown.join(' ')}`);
        }
        const grant: Grant = { id: random('grant'), clientId: client.clientId, scopes: scopes.filter((sc) => !knobs.withheldScopes.includes(sc)), resource, revoked: false };
        body = issueTokens(grant, false);
      } else {
        throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${grantType || '(none)'} is not supported`);
      }
      sendJson(res, 200, body, { pragma: 'no-cache' });
    } catch (e) {
      if (e instanceof OAuthError) {
        record.outcome = e.code;
        if (e.code === 'invalid_grant') stats.invalidGrants++;
      }
      throw e;
    }
  };

  const register = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      throw new OAuthError(400, 'invalid_client_metadata', 'the body is not JSON');
    }
    if (!meta || typeof meta !== 'object') throw new OAuthError(400, 'invalid_client_metadata', 'the body is not an object');
    const redirectUris = meta.redirect_uris;
    if (!Array.isArray(redirectUris) || redirectUris.length === 0 || !redirectUris.every((u) => typeof u === 'string' && URL.canParse(u))) {
      throw new OAuthError(400, 'invalid_redirect_uri', 'redirect_uris must be a non-empty array of URLs');
    }
    const method = (meta.token_endpoint_auth_method ?? 'client_secret_basic') as TokenEndpointAuthMethod;
    if (!knobs.tokenEndpointAuthMethods.includes(method)) {
      throw new OAuthError(400, 'invalid_client_metadata', `token_endpoint_auth_method ${String(method)} is not supported`);
    }
    const grantTypes = Array.isArray(meta.grant_types) ? meta.grant_types.filter((g): g is string => typeof g === 'string') : ['authorization_code'];
    const client: RegisteredClient = {
      clientId: random('client'),
      clientSecret: method === 'none' ? undefined : random('cs'),
      redirectUris: redirectUris as string[],
      tokenEndpointAuthMethod: method,
      grantTypes,
      source: 'registration',
    };
    clients.set(client.clientId, client);
    stats.registrations++;
    sendJson(res, 201, {
      ...meta,
      client_id: client.clientId,
      ...(client.clientSecret ? { client_secret: client.clientSecret, client_secret_expires_at: 0 } : {}),
      client_id_issued_at: Math.floor(now() / 1000),
      token_endpoint_auth_method: method,
      grant_types: grantTypes,
    });
  };

  const revoke = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const params = new URLSearchParams(await readBody(req));
    const { client } = await authenticateClient(req, params);
    const value = params.get('token');
    if (!value) throw new OAuthError(400, 'invalid_request', 'token is required');
    const at = accessTokens.get(value);
    const rt = refreshTokens.get(value);
    let kind: RevocationRecord['kind'] = 'unknown';
    if (at && at.grant.clientId === client.clientId) {
      kind = 'access_token';
      at.revoked = true;
    } else if (rt && rt.grant.clientId === client.clientId) {
      kind = 'refresh_token';
      rt.revoked = true;
      revokeGrant(rt.grant); // RFC 7009 §2.1: revoking a refresh token also invalidates the access tokens of its grant
    }
    stats.revocations.push({ token: value, tokenTypeHint: params.get('token_type_hint') ?? undefined, kind, clientId: client.clientId });
    res.writeHead(200, { 'cache-control': 'no-store' });
    res.end();
  };

  // ---------- the MCP resource server ----------
  const challenge = (extra: Record<string, string | null | undefined>): string => {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null) parts.push(`${k}=${quote(v)}`);
    if (knobs.challengeResourceMetadata) parts.push(`resource_metadata=${quote(prmUrl())}`);
    return parts.length ? `Bearer ${parts.join(', ')}` : 'Bearer';
  };

  const buildMcpServer = (auth: AccessToken): McpServer => {
    const server = new McpServer({ name: 'harness-oauth-test-server', version: '0.1.0' }, { capabilities: { tools: {} } });
    server.registerTool('echo', { description: 'Returns its text.', inputSchema: { text: z.string() } }, async ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    server.registerTool(
      'whoami',
      { description: 'The client and scopes of the access token.', outputSchema: { clientId: z.string(), scopes: z.array(z.string()) } },
      async () => ({
        content: [{ type: 'text', text: `${auth.grant.clientId} ${auth.grant.scopes.join(' ')}` }],
        structuredContent: { clientId: auth.grant.clientId, scopes: auth.grant.scopes },
      }),
    );
    server.registerTool('admin', { description: 'Needs the mcp:admin scope (by default).' }, async () => ({
      content: [{ type: 'text', text: 'admin ok' }],
    }));
    return server;
  };

  const mcp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '');
    const at = m ? accessTokens.get(m[1]!) : undefined;
    if (!m) {
      stats.unauthorized++;
      sendJson(res, 401, { jsonrpc: '2.0', error: { code: -32001, message: 'unauthorized' }, id: null }, { 'www-authenticate': challenge({ scope: knobs.challengeScope }) });
      return;
    }
    if (!at || !accessValid(at) || (at.grant.resource !== undefined && !sameResource(at.grant.resource, mcpUrl))) {
      stats.unauthorized++;
      const why = !at ? 'unknown token' : at.expiresAt <= now() ? 'token expired' : 'token revoked';
      sendJson(res, 401, { jsonrpc: '2.0', error: { code: -32001, message: why }, id: null }, {
        'www-authenticate': challenge({ error: 'invalid_token', error_description: why, scope: knobs.challengeScope }),
      });
      return;
    }
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'parse error' }, id: null });
        return;
      }
      for (const msg of Array.isArray(body) ? body : [body]) {
        if (!isJSONRPCRequest(msg) || msg.method !== 'tools/call') continue;
        const name = (msg.params as { name?: unknown } | undefined)?.name;
        const needed = typeof name === 'string' ? knobs.toolScopes[name] : undefined;
        if (needed && !at.grant.scopes.includes(needed)) {
          stats.forbidden++;
          sendJson(res, 403, { jsonrpc: '2.0', error: { code: -32001, message: `insufficient scope: ${needed}` }, id: null }, {
            'www-authenticate': challenge({ error: 'insufficient_scope', scope: needed, error_description: `the ${name} tool needs ${needed}` }),
          });
          return;
        }
      }
    } else if (req.method !== 'GET' && req.method !== 'DELETE') {
      sendJson(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'method not allowed' }, id: null });
      return;
    }
    if (req.method !== 'POST') {
      // Stateless server: no standalone stream, no session to delete.
      sendJson(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'method not allowed (stateless server)' }, id: null }, { allow: 'POST' });
      return;
    }
    stats.mcpRequests++;
    const server = buildMcpServer(at);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.once('close', () => {
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    });
    await server.connect(transport);
    const authed = req as IncomingMessage & { auth?: { token: string; clientId: string; scopes: string[] } };
    authed.auth = { token: at.token, clientId: at.grant.clientId, scopes: at.grant.scopes };
    await transport.handleRequest(authed, res, body);
  };

  // ---------- routing ----------
  const route = async (req: IncomingMessage, res: ServerResponse, server: Server): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const onAs = server === as.server;
    const onRs = server === rs.server;
    const method = req.method ?? 'GET';

    if (onRs) {
      if (path === '/mcp') return mcp(req, res);
      const prmPath = new URL(prmUrl()).pathname;
      if (method === 'GET' && path === prmPath) return sendJson(res, 200, prm());
    }
    if (onAs) {
      const oidc = asMetadataPaths().get(path);
      if (method === 'GET' && oidc !== undefined) return sendJson(res, 200, asMetadata(oidc));
      const sub = issuerPath ? (path.startsWith(`${issuerPath}/`) ? path.slice(issuerPath.length) : undefined) : path;
      if (sub === '/authorize' && method === 'GET') return authorize(url, res);
      if (sub === '/token' && method === 'POST') return token(req, res);
      if (sub === '/register' && method === 'POST' && knobs.registration) return register(req, res);
      if (sub === '/revoke' && method === 'POST' && knobs.revocation) return revoke(req, res);
      if (sub === '/jwks' && method === 'GET') return sendJson(res, 200, { keys: [] });
    }
    sendJson(res, 404, { error: 'not_found', error_description: `${method} ${path}` });
  };

  return {
    url: mcpUrl,
    issuer,
    get resourceMetadataUrl() {
      return prmUrl();
    },
    endpoints,
    stats,
    knobs,
    clients: () => [...clients.values()].map((c) => ({ ...c })),
    setClientSecret: (clientId, secret) => {
      const client = clients.get(clientId);
      if (!client) throw new Error(`no client ${clientId}`);
      client.clientSecret = secret;
    },
    issuedAccessTokens: () => [...accessTokens.keys()],
    issuedRefreshTokens: () => [...refreshTokens.keys()],
    accessTokenSubject: (t) => accessTokens.get(t)?.grant.subject,
    isAccessTokenValid: (t) => {
      const at = accessTokens.get(t);
      return at !== undefined && accessValid(at);
    },
    expireAccessTokens: () => {
      const t = now() - 1;
      for (const at of accessTokens.values()) at.expiresAt = Math.min(at.expiresAt, t);
    },
    revokeAllTokens: () => {
      for (const at of accessTokens.values()) at.revoked = true;
      for (const rt of refreshTokens.values()) rt.revoked = true;
    },
    forgetRegisteredClients: () => {
      for (const [id, c] of clients) if (c.source === 'registration') clients.delete(id);
    },
    async close(): Promise<void> {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
