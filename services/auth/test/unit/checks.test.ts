import { DomainError } from '@harness/contracts';
import { createOutboundPolicy } from '@harness/outbound';
import {
  assertAttemptAllowed,
  assertEndpointSchemes,
  endpointAllowed,
  assertIssuer,
  assertPkceS256,
  checkIssParameter,
  checkState,
  assertPendingAllowed,
  MAX_AUTHORIZATION_ATTEMPTS,
  nextAttempt,
} from '../../src/oauth/checks.js';
import { assertResourceMatches } from '../../src/oauth/discovery.js';
import { parsePreRegisteredClients, serverAllowed } from '../../src/oauth/preregistered.js';
import { noRegistrationRefusal, selectPreRegistered } from '../../src/oauth/clients.js';
import { hashBinding, hashState } from '../../src/oauth/context.js';
import { needsRefresh } from '../../src/oauth/tokens.js';

const now = new Date('2026-11-27T12:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

describe('state checks', () => {
  const browser = hashBinding('browser-a');
  const row = { userId: 'alice', expiresAt: later(60_000), usedAt: null, bindingHash: browser };
  const refusal = (r: ReturnType<typeof checkState>) => r?.refused;

  test('a fresh state of the same user and browser passes (also when the callback does not name a user)', () => {
    expect(checkState(row, { now, userId: 'alice', bindingHash: browser })).toBeNull();
    expect(checkState(row, { now, bindingHash: browser })).toBeNull();
  });

  test('unknown, reused, expired and another user\'s states are rejected', () => {
    expect(checkState(undefined, { now })).toEqual({ refused: 'unknown', message: expect.stringMatching(/unknown/) });
    expect(checkState({ ...row, usedAt: now }, { now, userId: 'alice', bindingHash: browser })).toEqual({ refused: 'used', message: expect.stringMatching(/already completed/) });
    expect(checkState({ ...row, expiresAt: now }, { now, userId: 'alice', bindingHash: browser })).toEqual({ refused: 'expired', message: expect.stringMatching(/expired/) });
    expect(refusal(checkState({ ...row, expiresAt: later(-1) }, { now, bindingHash: browser }))).toBe('expired');
    expect(checkState(row, { now, userId: 'mallory', bindingHash: browser })).toEqual({ refused: 'other_user', message: expect.stringMatching(/another user/) });
  });

  test('a callback without the binding the state was bound to, or a state never bound, is another browser\'s', () => {
    expect(checkState(row, { now })).toEqual({ refused: 'other_browser', message: expect.stringMatching(/not started in this browser/) });
    expect(refusal(checkState(row, { now, bindingHash: hashBinding('browser-b') }))).toBe('other_browser');
    expect(refusal(checkState({ ...row, bindingHash: null }, { now, bindingHash: browser }))).toBe('other_browser');
    expect(refusal(checkState({ ...row, bindingHash: null }, { now }))).toBe('other_browser');
    // Checked before the expiry: an expired state is reported as merely expired only to its own browser.
    expect(refusal(checkState({ ...row, expiresAt: later(-1) }, { now, bindingHash: hashBinding('browser-b') }))).toBe('other_browser');
  });

  test('the per-user cap on authorizations in flight: refused at the cap, with the seconds until the first runs out', () => {
    expect(() => assertPendingAllowed({ count: 9, freeAt: later(1_000) }, 10, now)).not.toThrow();
    let err: unknown;
    try {
      assertPendingAllowed({ count: 10, freeAt: later(90_500) }, 10, now);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: 91 } });
    expect((err as Error).message).toMatch(/10 authorizations in progress/);
  });

  test('states are stored hashed (sha256 hex), never as sent', () => {
    const h = hashState('abc');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).not.toContain('abc');
    expect(hashState('abc')).toBe(h);
  });
});

describe('RFC 9207 iss', () => {
  const expectedIssuer = 'https://auth.example.com';

  test('advertised: iss must be present and equal (exact string)', () => {
    expect(checkIssParameter({ advertised: true, iss: expectedIssuer, expectedIssuer })).toBeNull();
    expect(checkIssParameter({ advertised: true, iss: undefined, expectedIssuer })).toMatch(/no iss/);
    expect(checkIssParameter({ advertised: true, iss: 'https://evil.example.com', expectedIssuer })).toMatch(/not the expected/);
    expect(checkIssParameter({ advertised: true, iss: `${expectedIssuer}/`, expectedIssuer })).toMatch(/not the expected/);
  });

  test('not advertised: absent is fine, present must still match', () => {
    expect(checkIssParameter({ advertised: false, iss: undefined, expectedIssuer })).toBeNull();
    expect(checkIssParameter({ advertised: false, iss: expectedIssuer, expectedIssuer })).toBeNull();
    expect(checkIssParameter({ advertised: false, iss: 'https://evil.example.com', expectedIssuer })).toMatch(/not the expected/);
  });
});

describe('authorization server checks', () => {
  test('issuer mismatch is refused, except on the 2025-03-26 path', () => {
    expect(() => assertIssuer('https://auth.example.com', 'https://auth.example.com/', false)).not.toThrow();
    expect(() => assertIssuer('https://other.example.com', 'https://auth.example.com', false)).toThrow(/issuer/);
    expect(() => assertIssuer('https://mcp.example.com/oauth', 'https://mcp.example.com/', true)).not.toThrow();
  });

  test('2025-03-26 path: the issuer may have any path, but must be on the MCP server\'s origin', () => {
    expect(() => assertIssuer('http://localhost:3001/oauth', 'http://localhost:3001/mcp', true)).not.toThrow();
    expect(() => assertIssuer('https://mcp.example.com', 'https://mcp.example.com/v1/mcp', true)).not.toThrow();
    expect(() => assertIssuer('https://github.com/login/oauth', 'https://evil.example/mcp', true)).toThrow(/not on the MCP server's origin/);
    expect(() => assertIssuer('https://mcp.example.com:8443/oauth', 'https://mcp.example.com/mcp', true)).toThrow(/origin/);
    expect(() => assertIssuer('http://mcp.example.com/oauth', 'https://mcp.example.com/mcp', true)).toThrow(/origin/);
    expect(() => assertIssuer('not a url', 'https://mcp.example.com/mcp', true)).toThrow(/origin/);
  });

  test('endpoints: https, or http only on hosts the outbound allowlist names (as the SSRF guard decides)', () => {
    const policy = createOutboundPolicy({ allowlist: ['127.0.0.0/8', '::1', 'localhost'] });
    expect(endpointAllowed('https://auth.example.com/authorize', policy)).toBe(true);
    expect(endpointAllowed('http://127.0.0.1:4000/authorize', policy)).toBe(true);
    expect(endpointAllowed('http://[::1]:4000/authorize', policy)).toBe(true);
    expect(endpointAllowed('http://localhost:4000/token', policy)).toBe(true);
    expect(endpointAllowed('http://auth.example.com/authorize', policy)).toBe(false);
    expect(endpointAllowed('http://10.0.0.1/authorize', policy)).toBe(false);
    expect(endpointAllowed('javascript:alert(1)', policy)).toBe(false);
    expect(endpointAllowed('ftp://auth.example.com/x', policy)).toBe(false);
    expect(endpointAllowed('custom-app://callback', policy)).toBe(false);
    expect(endpointAllowed('not a url', policy)).toBe(false);
    expect(endpointAllowed('http://auth.example.com/authorize', createOutboundPolicy({ allowlist: [], requireHttps: false }))).toBe(true);

    const md = (over: Record<string, unknown>) => ({
      issuer: 'https://auth.example.com',
      authorization_endpoint: 'https://auth.example.com/authorize',
      token_endpoint: 'https://auth.example.com/token',
      ...over,
    });
    expect(() => assertEndpointSchemes(md({}), policy)).not.toThrow();
    expect(() => assertEndpointSchemes(md({ authorization_endpoint: 'http://auth.example.com/authorize' }), policy)).toThrow(/authorization_endpoint .* not https/);
    expect(() => assertEndpointSchemes(md({ token_endpoint: 'http://auth.example.com/token' }), policy)).toThrow(/token_endpoint/);
    expect(() => assertEndpointSchemes(md({ registration_endpoint: 'http://auth.example.com/register' }), policy)).toThrow(/registration_endpoint/);
    expect(() => assertEndpointSchemes(md({ revocation_endpoint: 'http://auth.example.com/revoke' }), policy)).toThrow(/revocation_endpoint/);
    expect(() => assertEndpointSchemes(md({ authorization_endpoint: 'http://127.0.0.1:9/authorize' }), policy)).not.toThrow();
  });

  test('S256: a missing list is refused (except legacy), a list without S256 always', () => {
    const md = (methods?: string[]) => ({ issuer: 'https://auth.example.com', code_challenge_methods_supported: methods });
    expect(() => assertPkceS256(md(['S256']), false)).not.toThrow();
    expect(() => assertPkceS256(md(['plain', 'S256']), false)).not.toThrow();
    expect(() => assertPkceS256(md(undefined), false)).toThrow(/S256/);
    expect(() => assertPkceS256(md(['plain']), false)).toThrow(/S256/);
    expect(() => assertPkceS256(md(undefined), true)).not.toThrow();
    expect(() => assertPkceS256(md(['plain']), true)).toThrow(/S256/);
  });

  test('the protected resource metadata must be about this server', () => {
    expect(() => assertResourceMatches('https://mcp.example.com/mcp', 'https://mcp.example.com/mcp')).not.toThrow();
    expect(() => assertResourceMatches('https://mcp.example.com/mcp', 'https://mcp.example.com')).not.toThrow();
    expect(() => assertResourceMatches('https://mcp.example.com/mcp', 'https://evil.example.com/mcp')).toThrow(/another resource/);
    expect(() => assertResourceMatches('https://mcp.example.com/mcp', 'https://mcp.example.com/other')).toThrow(/another resource/);
    expect(() => assertResourceMatches('https://mcp.example.com/mcp', 'not a url')).toThrow(/another resource/);
  });
});

describe('step-up attempt cap', () => {
  const windowMs = 600_000;

  test('three attempts per window are allowed, the fourth is refused as rate_limited', () => {
    let stored: { attempts: number; windowStartsAt: Date } | undefined;
    for (let i = 1; i <= MAX_AUTHORIZATION_ATTEMPTS; i++) {
      stored = nextAttempt(stored, later(i * 1000), windowMs);
      expect(stored.attempts).toBe(i);
      expect(() => assertAttemptAllowed(stored!.attempts, 'https://mcp.example.com/mcp', windowMs)).not.toThrow();
    }
    stored = nextAttempt(stored, later(5000), windowMs);
    expect(stored.attempts).toBe(4);
    let refused: unknown;
    try {
      assertAttemptAllowed(stored.attempts, 'https://mcp.example.com/mcp', windowMs);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('rate_limited');
    expect((refused as DomainError).message).toMatch(/3 times/);
    // With the window's start: the seconds until it ends (the gateway's Retry-After).
    expect(() => assertAttemptAllowed(4, 'https://mcp.example.com/mcp', windowMs, { windowStartsAt: later(1000), now: later(5000) })).toThrow(
      expect.objectContaining({ code: 'rate_limited', details: { retryAfterSeconds: 596 } }),
    );
  });

  test('a new window starts the count again', () => {
    const first = nextAttempt(undefined, now, windowMs);
    const third = nextAttempt(nextAttempt(first, later(1), windowMs), later(2), windowMs);
    expect(third.attempts).toBe(3);
    expect(nextAttempt(third, later(windowMs), windowMs)).toEqual({ attempts: 1, windowStartsAt: later(windowMs) });
  });
});

describe('token expiry', () => {
  test('refresh within the skew of expiry; no expiry known: never by time', () => {
    expect(needsRefresh(later(30_000), now, 60_000)).toBe(true);
    expect(needsRefresh(later(120_000), now, 60_000)).toBe(false);
    expect(needsRefresh(later(-1), now, 0)).toBe(true);
    expect(needsRefresh(null, now, 60_000)).toBe(false);
  });
});

describe('pre-registered clients (HARNESS_OAUTH_CLIENTS)', () => {
  test('valid JSON is parsed; nothing set is an empty list', () => {
    expect(parsePreRegisteredClients(undefined)).toEqual([]);
    expect(
      parsePreRegisteredClients(
        '[{"issuer":"https://github.com/login/oauth","servers":["https://api.githubcopilot.com/mcp/"],"clientId":"abc","clientSecret":"s","tokenEndpointAuthMethod":"client_secret_post","scopes":["repo"]}]',
      ),
    ).toEqual([
      {
        issuer: 'https://github.com/login/oauth',
        servers: ['https://api.githubcopilot.com/mcp/'],
        clientId: 'abc',
        clientSecret: 's',
        tokenEndpointAuthMethod: 'client_secret_post',
        scopes: ['repo'],
      },
    ]);
  });

  test('bad JSON, a bad field or a repeated issuer stops the boot, without echoing the secret', () => {
    expect(() => parsePreRegisteredClients('{')).toThrow(/not valid JSON/);
    expect(() => parsePreRegisteredClients('[{"issuer":"nope","servers":["https://m.example.com"],"clientId":"a","clientSecret":"hunter2"}]')).toThrow(/0\.issuer/);
    expect(() => parsePreRegisteredClients('[{"issuer":"nope","servers":["https://m.example.com"],"clientId":"a","clientSecret":"hunter2"}]')).not.toThrow(/hunter2/);
    expect(() =>
      parsePreRegisteredClients('[{"issuer":"https://a.example.com","servers":["https://m.example.com"],"clientId":"a"},{"issuer":"https://a.example.com","servers":["https://n.example.com"],"clientId":"b"}]'),
    ).toThrow(/twice/);
  });

  test('servers is required, non-empty, and made of http(s) URLs; the error names the field', () => {
    expect(() => parsePreRegisteredClients('[{"issuer":"https://a.example.com","clientId":"a","clientSecret":"hunter2"}]')).toThrow(
      /0\.servers: required: a non-empty array of the MCP server URLs or origins/,
    );
    expect(() => parsePreRegisteredClients('[{"issuer":"https://a.example.com","clientId":"a","servers":[]}]')).toThrow(/0\.servers: required/);
    expect(() => parsePreRegisteredClients('[{"issuer":"https://a.example.com","clientId":"a","servers":["ftp://m.example.com"]}]')).toThrow(/0\.servers\.0: must be an http\(s\) URL/);
    expect(() => parsePreRegisteredClients('[{"issuer":"https://a.example.com","clientId":"a","servers":["not a url"]}]')).toThrow(/0\.servers\.0/);
    expect(() => parsePreRegisteredClients('[{"issuer":"https://a.example.com","clientId":"a","clientSecret":"hunter2"}]')).not.toThrow(/hunter2/);
  });
});

describe('pre-registered clients are tied to MCP servers (servers)', () => {
  const github = {
    issuer: 'https://github.com/login/oauth',
    servers: ['https://api.githubcopilot.com/mcp/', 'https://tools.example.com'],
    clientId: 'gh-app',
    clientSecret: 'gh-secret',
  };

  test('a server URL entry matches that canonical URL exactly; an origin entry matches every server at the origin', () => {
    expect(serverAllowed(github, 'https://api.githubcopilot.com/mcp/')).toBe(true);
    expect(serverAllowed(github, 'HTTPS://API.githubcopilot.com:443/mcp/#frag')).toBe(true);
    expect(serverAllowed(github, 'https://api.githubcopilot.com/mcp')).toBe(false);
    expect(serverAllowed(github, 'https://api.githubcopilot.com/other')).toBe(false);
    expect(serverAllowed(github, 'https://tools.example.com/')).toBe(true);
    expect(serverAllowed(github, 'https://tools.example.com/any/path?x=1')).toBe(true);
    expect(serverAllowed(github, 'http://tools.example.com/mcp')).toBe(false);
    expect(serverAllowed(github, 'https://tools.example.com:8443/mcp')).toBe(false);
    expect(serverAllowed(github, 'https://evil.example/mcp')).toBe(false);
  });

  test('the client is selected only for its issuer and a listed server; otherwise none (CIMD / DCR as if it did not exist)', () => {
    expect(selectPreRegistered([github], 'https://github.com/login/oauth', 'https://api.githubcopilot.com/mcp/')).toBe(github);
    expect(selectPreRegistered([github], 'https://github.com/login/oauth/', 'https://tools.example.com/mcp')).toBe(github);
    // A malicious server whose protected resource metadata names GitHub as its authorization server.
    expect(selectPreRegistered([github], 'https://github.com/login/oauth', 'https://evil.example/mcp')).toBeUndefined();
    expect(selectPreRegistered([github], 'https://other.example.com', 'https://api.githubcopilot.com/mcp/')).toBeUndefined();
  });

  test('no CIMD nor DCR at an issuer whose only client is pre-registered for other servers: a clear refusal', () => {
    const refusal = noRegistrationRefusal([github], 'https://github.com/login/oauth', 'https://evil.example/mcp');
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal.code).toBe('validation_failed');
    expect(refusal.message).toMatch(/pre-registered OAuth client for https:\/\/github\.com\/login\/oauth .* not configured for the MCP server https:\/\/evil\.example\/mcp/);
    expect(refusal.message).not.toMatch(/gh-secret|gh-app/);
    expect(noRegistrationRefusal([github], 'https://as.example.com', 'https://m.example.com/mcp').message).toMatch(/neither Client ID Metadata Documents nor dynamic client registration/);
  });
});
