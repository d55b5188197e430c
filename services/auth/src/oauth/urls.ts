import { buildDiscoveryUrls } from '@modelcontextprotocol/sdk/client/auth.js';

/**
 * The canonical form of an MCP server URL (RFC 8707 §2: no fragment); every table keys servers by it, so every
 * command normalizes the same way.
 */
export function canonicalServerUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.hash = '';
  return url.href;
}

/**
 * Where to look for the protected resource metadata (RFC 9728), in order: the URL the server's `WWW-Authenticate`
 * named (`resource_metadata`), then the path-aware well-known URL (`/.well-known/oauth-protected-resource<path>`),
 * then the root one. A server at the root has only the root URL.
 */
export function protectedResourceMetadataUrls(serverUrl: string, headerUrl?: string): string[] {
  const server = new URL(serverUrl);
  const urls: string[] = [];
  if (headerUrl) urls.push(new URL(headerUrl).href);
  let path = server.pathname;
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (path) {
    const pathAware = new URL(`/.well-known/oauth-protected-resource${path}`, server.origin);
    pathAware.search = server.search;
    urls.push(pathAware.href);
  }
  urls.push(new URL('/.well-known/oauth-protected-resource', server.origin).href);
  return [...new Set(urls)];
}

/**
 * Where to look for an authorization server's metadata, in the order of the MCP spec (2025-11-25): for an issuer
 * with a path, OAuth with the path inserted, OpenID Connect with the path inserted, OpenID Connect with the path
 * appended; for an issuer without one, OAuth then OpenID Connect at the root. (The SDK's `buildDiscoveryUrls`.)
 */
export function authorizationServerMetadataUrls(issuer: string): { url: string; type: 'oauth' | 'oidc' }[] {
  return buildDiscoveryUrls(issuer).map(({ url, type }) => ({ url: url.href, type }));
}

/**
 * The 2025-03-26 fallback: no protected resource metadata, so the authorization server is the MCP server's origin
 * and its metadata is at the root well-known URLs; without metadata the default endpoints are these.
 */
export function legacyAuthorizationServer(serverUrl: string): { authServerUrl: string; metadataUrls: { url: string; type: 'oauth' | 'oidc' }[]; defaults: { authorize: string; token: string; register: string } } {
  const origin = new URL(serverUrl).origin;
  return {
    authServerUrl: `${origin}/`,
    metadataUrls: authorizationServerMetadataUrls(`${origin}/`),
    defaults: { authorize: `${origin}/authorize`, token: `${origin}/token`, register: `${origin}/register` },
  };
}

/** Issuer identifiers compared as RFC 8414 asks (identical), tolerating only a lone trailing slash difference. */
export function sameIssuer(a: string, b: string): boolean {
  const strip = (s: string) => (s.endsWith('/') ? s.slice(0, -1) : s);
  return a === b || strip(a) === strip(b);
}
