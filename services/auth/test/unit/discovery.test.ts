import { createOutboundPolicy, type FetchLike } from '@harness/outbound';
import { discover } from '../../src/oauth/discovery.js';

const policy = createOutboundPolicy({ allowlist: ['127.0.0.0/8', '::1', 'localhost'] });

/** A fake fetch answering JSON documents by URL (anything else: 404), recording what was asked. */
function fakeFetch(docs: Record<string, unknown>): FetchLike & { urls: string[] } {
  const urls: string[] = [];
  const fn = (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    urls.push(url);
    const doc = docs[url];
    return doc === undefined ? new Response('not found', { status: 404 }) : Response.json(doc);
  }) as FetchLike & { urls: string[] };
  fn.urls = urls;
  return fn;
}

const asMetadata = (issuer: string, base: string, over: Record<string, unknown> = {}) => ({
  issuer,
  authorization_endpoint: `${base}/authorize`,
  token_endpoint: `${base}/token`,
  registration_endpoint: `${base}/register`,
  response_types_supported: ['code'],
  code_challenge_methods_supported: ['S256'],
  ...over,
});

// No protected resource metadata anywhere: the 2025-03-26 path (a 401 without resource_metadata is passed in).
const noChallenge = 'Bearer';

describe('discovery, 2025-03-26 path (no protected resource metadata)', () => {
  test('root metadata claiming another origin\'s issuer (e.g. GitHub) is refused before any client is chosen', async () => {
    const fetchFn = fakeFetch({
      'https://evil.example/.well-known/oauth-authorization-server': asMetadata('https://github.com/login/oauth', 'https://evil.example'),
    });
    await expect(discover('https://evil.example/mcp', { fetchFn, policy, wwwAuthenticate: noChallenge })).rejects.toThrow(/not on the MCP server's origin/);
  });

  test('an issuer on the server\'s origin with a path (the conformance backcompat scenario) is accepted as is', async () => {
    const fetchFn = fakeFetch({
      'http://localhost:3001/.well-known/oauth-authorization-server': asMetadata('http://localhost:3001/oauth', 'http://localhost:3001/oauth'),
    });
    const d = await discover('http://localhost:3001/mcp', { fetchFn, policy, wwwAuthenticate: noChallenge });
    expect(d).toMatchObject({ legacy: true, issuer: 'http://localhost:3001/oauth', authServerUrl: 'http://localhost:3001/' });
  });

  test('no metadata at all: the issuer is the server\'s origin (default endpoints)', async () => {
    const d = await discover('http://127.0.0.1:3002/mcp', { fetchFn: fakeFetch({}), policy, wwwAuthenticate: noChallenge });
    expect(d).toMatchObject({ legacy: true, issuer: 'http://127.0.0.1:3002', metadata: undefined });
  });

  test('an authorization endpoint that is plain http on a host the allowlist does not name is refused', async () => {
    const fetchFn = fakeFetch({
      'https://mcp.example.com/.well-known/oauth-authorization-server': asMetadata('https://mcp.example.com', 'https://mcp.example.com', {
        authorization_endpoint: 'http://mcp.example.com/authorize',
      }),
    });
    await expect(discover('https://mcp.example.com/mcp', { fetchFn, policy, wwwAuthenticate: noChallenge })).rejects.toThrow(/authorization_endpoint .* not https/);
  });
});

describe('discovery, protected resource metadata path: endpoint schemes', () => {
  const prm = (server: string, as: string) => ({ resource: server, authorization_servers: [as] });

  test.each([
    ['authorization_endpoint', 'http://auth.example.com/authorize'],
    ['token_endpoint', 'http://auth.example.com/token'],
    ['registration_endpoint', 'http://auth.example.com/register'],
    ['revocation_endpoint', 'http://auth.example.com/revoke'],
  ])('%s over plain http to a public host is refused', async (field, value) => {
    const fetchFn = fakeFetch({
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp': prm('https://mcp.example.com/mcp', 'https://auth.example.com'),
      'https://auth.example.com/.well-known/oauth-authorization-server': asMetadata('https://auth.example.com', 'https://auth.example.com', { [field]: value }),
    });
    await expect(discover('https://mcp.example.com/mcp', { fetchFn, policy, wwwAuthenticate: noChallenge })).rejects.toThrow(new RegExp(`${field} .* not https`));
  });

  test('https endpoints, and http endpoints on allowlisted loopback hosts, are accepted', async () => {
    const fetchFn = fakeFetch({
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp': prm('https://mcp.example.com/mcp', 'https://auth.example.com'),
      'https://auth.example.com/.well-known/oauth-authorization-server': asMetadata('https://auth.example.com', 'https://auth.example.com'),
      'http://127.0.0.1:4000/.well-known/oauth-protected-resource/mcp': prm('http://127.0.0.1:4000/mcp', 'http://localhost:4001'),
      'http://localhost:4001/.well-known/oauth-authorization-server': asMetadata('http://localhost:4001', 'http://localhost:4001'),
    });
    await expect(discover('https://mcp.example.com/mcp', { fetchFn, policy, wwwAuthenticate: noChallenge })).resolves.toMatchObject({ issuer: 'https://auth.example.com', legacy: false });
    await expect(discover('http://127.0.0.1:4000/mcp', { fetchFn, policy, wwwAuthenticate: noChallenge })).resolves.toMatchObject({ issuer: 'http://localhost:4001', legacy: false });
  });
});
