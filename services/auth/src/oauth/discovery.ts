import type { FetchLike, OutboundPolicy } from '@harness/outbound';
import { checkResourceAllowed, resourceUrlFromServerUrl } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import { OAuthMetadataSchema, OAuthProtectedResourceMetadataSchema, type OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { assertEndpointSchemes, assertIssuer, assertPkceS256, endpointAllowed } from './checks.js';
import { OAuthRefusal, outboundFailure } from './errors.js';
import { authorizationServerMetadataUrls, legacyAuthorizationServer, protectedResourceMetadataUrls } from './urls.js';
import { parseWwwAuthenticate, type WwwAuthenticate } from './www-authenticate.js';

/**
 * Authorization server metadata as fetched (RFC 8414 or OpenID Connect Discovery), every field kept: the checks
 * read `authorization_response_iss_parameter_supported`, revocation reads `revocation_endpoint`.
 */
export type AuthServerMetadata = ReturnType<typeof OAuthMetadataSchema.parse> & {
  authorization_response_iss_parameter_supported?: boolean;
  revocation_endpoint?: string;
  revocation_endpoint_auth_methods_supported?: string[];
};

export interface Discovery {
  /** Canonical server URL. */
  serverUrl: string;
  /** The `resource` parameter (RFC 8707): the PRM's `resource` verbatim; absent on the 2025-03-26 path. */
  resource?: string;
  resourceMetadata?: OAuthProtectedResourceMetadata;
  /** The URL the authorization server was discovered as (PRM `authorization_servers[0]`, or the server origin). */
  authServerUrl: string;
  /** Undefined on the 2025-03-26 path when the server publishes none (default endpoints are used). */
  metadata?: AuthServerMetadata;
  /** The issuer credentials are kept under and `iss` is compared with. */
  issuer: string;
  /** True on the 2025-03-26 compatibility path (no protected resource metadata). */
  legacy: boolean;
  /** The challenge the server answered with (from the probe or the caller). */
  challenge: WwwAuthenticate;
}

export interface DiscoveryOptions {
  fetchFn: FetchLike;
  /** The SSRF guard's policy: authorization server endpoints must be https, or http on a host it allowlists. */
  policy: OutboundPolicy;
  /** The server's `WWW-Authenticate` when the caller already has one (no probe then). */
  wwwAuthenticate?: string;
  /**
   * Refuse an authorization server without PKCE S256 (default true): the authorization code grant needs it; the
   * client credentials grant has no authorization request, so it does not.
   */
  requirePkce?: boolean;
}

const metadataHeaders = { 'MCP-Protocol-Version': LATEST_PROTOCOL_VERSION, Accept: 'application/json' };

/**
 * Probes the MCP server with an unauthenticated `initialize`: a server that requires authorization answers 401 with
 * `WWW-Authenticate` (its `resource_metadata` and `scope`). Any other answer just means no challenge to read.
 */
export async function probeServer(serverUrl: string, fetchFn: FetchLike): Promise<WwwAuthenticate> {
  let res: Response;
  try {
    res = await fetchFn(serverUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'harness-auth', version: '0.1.0' } },
      }),
    });
  } catch (err) {
    throw outboundFailure(`Reaching the MCP server ${serverUrl}`, err);
  }
  await res.body?.cancel().catch(() => undefined);
  return res.status === 401 || res.status === 403 ? parseWwwAuthenticate(res.headers.get('www-authenticate') ?? undefined) : {};
}

async function getJson(url: string, fetchFn: FetchLike, what: string): Promise<{ status: number; body?: unknown }> {
  let res: Response;
  try {
    res = await fetchFn(url, { headers: metadataHeaders });
  } catch (err) {
    throw outboundFailure(`Fetching ${what} from ${url}`, err);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status };
  }
  try {
    return { status: res.status, body: await res.json() };
  } catch {
    throw new OAuthRefusal(`The ${what} at ${url} is not JSON.`);
  }
}

/** RFC 9728 metadata from the first URL that has it (4xx: try the next; 5xx: fail). */
export async function fetchProtectedResourceMetadata(urls: string[], fetchFn: FetchLike): Promise<OAuthProtectedResourceMetadata | undefined> {
  for (const url of urls) {
    const { status, body } = await getJson(url, fetchFn, 'protected resource metadata');
    if (body === undefined) {
      if (status >= 500) throw new OAuthRefusal(`The protected resource metadata at ${url} answered HTTP ${status}.`, 'service_unavailable');
      continue;
    }
    const parsed = OAuthProtectedResourceMetadataSchema.safeParse(body);
    if (!parsed.success) throw new OAuthRefusal(`The protected resource metadata at ${url} is invalid: ${parsed.error.issues[0]?.message ?? 'bad shape'}.`);
    return parsed.data;
  }
  return undefined;
}

/** RFC 8414 / OIDC metadata from the first URL that has it, every field kept. */
export async function fetchAuthServerMetadata(urls: { url: string; type: 'oauth' | 'oidc' }[], fetchFn: FetchLike): Promise<AuthServerMetadata | undefined> {
  for (const { url } of urls) {
    const { status, body } = await getJson(url, fetchFn, 'authorization server metadata');
    if (body === undefined) {
      if (status >= 500) throw new OAuthRefusal(`The authorization server metadata at ${url} answered HTTP ${status}.`, 'service_unavailable');
      continue;
    }
    // The OAuth schema is loose (extra fields kept) and its required fields are also required of OIDC metadata.
    const parsed = OAuthMetadataSchema.safeParse(body);
    if (!parsed.success) throw new OAuthRefusal(`The authorization server metadata at ${url} is invalid: ${parsed.error.issues[0]?.message ?? 'bad shape'}.`);
    return parsed.data as AuthServerMetadata;
  }
  return undefined;
}

/**
 * Full discovery for one MCP server (MCP authorization 2025-11-25, with the 2025-06-18 and 2025-03-26 fallbacks):
 * challenge → protected resource metadata (header URL, path-aware, root) → resource check → authorization server
 * metadata (spec order) → issuer and S256 checks; without resource metadata, the 2025-03-26 path.
 */
export async function discover(serverUrl: string, opts: DiscoveryOptions): Promise<Discovery> {
  const challenge = opts.wwwAuthenticate !== undefined ? parseWwwAuthenticate(opts.wwwAuthenticate) : await probeServer(serverUrl, opts.fetchFn);
  const prm = await fetchProtectedResourceMetadata(protectedResourceMetadataUrls(serverUrl, challenge.resourceMetadata), opts.fetchFn);

  if (!prm) {
    // 2025-03-26: the MCP server's origin is the authorization server; metadata at its root, else default endpoints.
    const legacy = legacyAuthorizationServer(serverUrl);
    const metadata = await fetchAuthServerMetadata(legacy.metadataUrls, opts.fetchFn);
    if (metadata) {
      // Its issuer must be on the MCP server's origin (any path): it keys the client credentials Harness presents.
      assertIssuer(metadata.issuer, serverUrl, true);
      if (opts.requirePkce !== false) assertPkceS256(metadata, true);
      assertEndpointSchemes(metadata, opts.policy);
    } else if (!endpointAllowed(legacy.authServerUrl, opts.policy)) {
      throw new OAuthRefusal(`The default authorization endpoints of ${legacy.authServerUrl} are not https; refusing them.`);
    }
    return {
      serverUrl,
      authServerUrl: legacy.authServerUrl,
      metadata,
      issuer: metadata?.issuer ?? new URL(serverUrl).origin,
      legacy: true,
      challenge,
    };
  }

  assertResourceMatches(serverUrl, prm.resource);
  const authServerUrl = prm.authorization_servers?.[0];
  if (!authServerUrl) throw new OAuthRefusal(`The protected resource metadata of ${serverUrl} names no authorization server.`);
  const metadata = await fetchAuthServerMetadata(authorizationServerMetadataUrls(authServerUrl), opts.fetchFn);
  if (!metadata) throw new OAuthRefusal(`The authorization server ${authServerUrl} publishes no OAuth or OpenID Connect metadata.`);
  assertIssuer(metadata.issuer, authServerUrl, false);
  if (opts.requirePkce !== false) assertPkceS256(metadata, false);
  assertEndpointSchemes(metadata, opts.policy);
  return { serverUrl, resource: prm.resource, resourceMetadata: prm, authServerUrl, metadata, issuer: metadata.issuer, legacy: false, challenge };
}

/**
 * The protected resource metadata must be about this server: same origin, and the server's path within the
 * resource's (the SDK's `checkResourceAllowed`). Otherwise tokens for another resource would be requested.
 */
export function assertResourceMatches(serverUrl: string, resource: string): void {
  let allowed: boolean;
  try {
    allowed = checkResourceAllowed({ requestedResource: resourceUrlFromServerUrl(serverUrl), configuredResource: resource });
  } catch {
    allowed = false;
  }
  if (!allowed) {
    throw new OAuthRefusal(`The protected resource metadata of ${serverUrl} is for another resource (${JSON.stringify(resource)}); refusing to authorize.`);
  }
}
