import { DomainError } from '@harness/contracts';
import {
  assertAttemptAllowed,
  assertIssuer,
  assertPkceS256,
  checkIssParameter,
  checkState,
  MAX_AUTHORIZATION_ATTEMPTS,
  nextAttempt,
} from '../../src/oauth/checks.js';
import { assertResourceMatches } from '../../src/oauth/discovery.js';
import { parsePreRegisteredClients } from '../../src/oauth/preregistered.js';
import { hashState } from '../../src/oauth/context.js';
import { needsRefresh } from '../../src/oauth/tokens.js';

const now = new Date('2026-11-27T12:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

describe('state checks', () => {
  const row = { userId: 'alice', expiresAt: later(60_000), usedAt: null };

  test('a fresh state of the same user passes (also when the callback does not name a user)', () => {
    expect(checkState(row, { now, userId: 'alice' })).toBeNull();
    expect(checkState(row, { now })).toBeNull();
  });

  test('unknown, reused, expired and another user\'s states are rejected', () => {
    expect(checkState(undefined, { now })).toMatch(/unknown/);
    expect(checkState({ ...row, usedAt: now }, { now, userId: 'alice' })).toMatch(/already completed/);
    expect(checkState({ ...row, expiresAt: now }, { now, userId: 'alice' })).toMatch(/expired/);
    expect(checkState({ ...row, expiresAt: later(-1) }, { now })).toMatch(/expired/);
    expect(checkState(row, { now, userId: 'mallory' })).toMatch(/another user/);
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
    expect(parsePreRegisteredClients('[{"issuer":"https://github.com/login/oauth","clientId":"abc","clientSecret":"s","tokenEndpointAuthMethod":"client_secret_post","scopes":["repo"]}]')).toEqual([
      { issuer: 'https://github.com/login/oauth', clientId: 'abc', clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_post', scopes: ['repo'] },
    ]);
  });

  test('bad JSON, a bad field or a repeated issuer stops the boot, without echoing the secret', () => {
    expect(() => parsePreRegisteredClients('{')).toThrow(/not valid JSON/);
    expect(() => parsePreRegisteredClients('[{"issuer":"nope","clientId":"a","clientSecret":"hunter2"}]')).toThrow(/0\.issuer/);
    expect(() => parsePreRegisteredClients('[{"issuer":"nope","clientId":"a","clientSecret":"hunter2"}]')).not.toThrow(/hunter2/);
    expect(() => parsePreRegisteredClients('[{"issuer":"https://a.example.com","clientId":"a"},{"issuer":"https://a.example.com","clientId":"b"}]')).toThrow(/twice/);
  });
});
