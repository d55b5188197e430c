import { authorizationServerMetadataUrls, canonicalServerUrl, legacyAuthorizationServer, protectedResourceMetadataUrls, sameIssuer } from '../../src/oauth/urls.js';
import { parseWwwAuthenticate } from '../../src/oauth/www-authenticate.js';

describe('discovery order: protected resource metadata (RFC 9728)', () => {
  test('header URL first, then path-aware, then root', () => {
    expect(protectedResourceMetadataUrls('https://mcp.example.com/public/mcp', 'https://mcp.example.com/prm/custom')).toEqual([
      'https://mcp.example.com/prm/custom',
      'https://mcp.example.com/.well-known/oauth-protected-resource/public/mcp',
      'https://mcp.example.com/.well-known/oauth-protected-resource',
    ]);
  });

  test('no header: path-aware then root; a trailing slash is not doubled; the query is kept on the path-aware URL', () => {
    expect(protectedResourceMetadataUrls('https://mcp.example.com/mcp/')).toEqual([
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
      'https://mcp.example.com/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataUrls('https://mcp.example.com/mcp?tenant=a')[0]).toBe('https://mcp.example.com/.well-known/oauth-protected-resource/mcp?tenant=a');
  });

  test('a server at the root has only the root URL', () => {
    expect(protectedResourceMetadataUrls('https://mcp.example.com')).toEqual(['https://mcp.example.com/.well-known/oauth-protected-resource']);
  });
});

describe('discovery order: authorization server metadata (RFC 8414 + OIDC)', () => {
  test('issuer with a path: OAuth inserted, OIDC inserted, OIDC appended', () => {
    expect(authorizationServerMetadataUrls('https://auth.example.com/tenant1')).toEqual([
      { url: 'https://auth.example.com/.well-known/oauth-authorization-server/tenant1', type: 'oauth' },
      { url: 'https://auth.example.com/.well-known/openid-configuration/tenant1', type: 'oidc' },
      { url: 'https://auth.example.com/tenant1/.well-known/openid-configuration', type: 'oidc' },
    ]);
  });

  test('issuer without a path: OAuth then OIDC at the root', () => {
    expect(authorizationServerMetadataUrls('https://auth.example.com')).toEqual([
      { url: 'https://auth.example.com/.well-known/oauth-authorization-server', type: 'oauth' },
      { url: 'https://auth.example.com/.well-known/openid-configuration', type: 'oidc' },
    ]);
  });

  test('2025-03-26 fallback: the MCP server origin, root metadata, default endpoints', () => {
    const legacy = legacyAuthorizationServer('https://mcp.example.com:8443/v1/mcp');
    expect(legacy.authServerUrl).toBe('https://mcp.example.com:8443/');
    expect(legacy.metadataUrls[0]).toEqual({ url: 'https://mcp.example.com:8443/.well-known/oauth-authorization-server', type: 'oauth' });
    expect(legacy.defaults).toEqual({
      authorize: 'https://mcp.example.com:8443/authorize',
      token: 'https://mcp.example.com:8443/token',
      register: 'https://mcp.example.com:8443/register',
    });
  });
});

describe('URLs and issuers', () => {
  test('canonical server URL drops the fragment and normalizes scheme and host case', () => {
    expect(canonicalServerUrl('HTTPS://MCP.Example.com/mcp#x')).toBe('https://mcp.example.com/mcp');
  });

  test('issuers compare exactly, tolerating a lone trailing slash', () => {
    expect(sameIssuer('https://a.example.com', 'https://a.example.com/')).toBe(true);
    expect(sameIssuer('https://a.example.com/oauth', 'https://a.example.com/oauth')).toBe(true);
    expect(sameIssuer('https://a.example.com/oauth', 'https://a.example.com')).toBe(false);
    expect(sameIssuer('https://A.example.com', 'https://a.example.com')).toBe(false);
  });
});

describe('WWW-Authenticate', () => {
  test('reads resource_metadata, scope and error, quoted or not, in any order', () => {
    expect(parseWwwAuthenticate('Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"')).toEqual({
      error: 'insufficient_scope',
      scope: 'files:read files:write',
      resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    });
    expect(parseWwwAuthenticate('Bearer realm=mcp, scope=read')).toEqual({ scope: 'read' });
  });

  test('other schemes, an empty header and an invalid resource_metadata URL give nothing usable', () => {
    expect(parseWwwAuthenticate('Basic realm="x"')).toEqual({});
    expect(parseWwwAuthenticate(undefined)).toEqual({});
    expect(parseWwwAuthenticate('Bearer resource_metadata="not a url"')).toEqual({});
  });

  test('a Bearer challenge after another scheme is found', () => {
    expect(parseWwwAuthenticate('Basic realm="x", Bearer scope="a"')).toEqual({ scope: 'a' });
  });
});
