import { encodeTokenAnswer, githubToken, negotiate, parseScopes, redirectUriAllowed } from '../../src/github/rules.js';

describe('redirectUriAllowed (GitHub: host incl. subdomains, port, path at or below the callback)', () => {
  const cb = 'https://app.example.test/auth/callback';
  test.each([
    [cb, true],
    [`${cb}/github`, true],
    [`${cb}?x=1`, true],
    ['https://eu.app.example.test/auth/callback', true],
    ['https://app.example.test/auth/callbackX', false],
    ['https://app.example.test/auth', false],
    ['https://app.example.test/', false],
    ['https://app.example.test:8443/auth/callback', false],
    ['http://app.example.test/auth/callback', false],
    ['https://example.test/auth/callback', false],
    ['https://app.example.test.evil.test/auth/callback', false],
    ['https://user:pw@app.example.test/auth/callback', false],
    ['not a url', false],
  ])('%s → %s', (uri, ok) => {
    expect(redirectUriAllowed(uri, cb)).toBe(ok);
  });

  test('a loopback callback accepts any port, but not another host or path', () => {
    const loop = 'http://127.0.0.1:3000/cb';
    expect(redirectUriAllowed('http://127.0.0.1:49152/cb', loop)).toBe(true);
    expect(redirectUriAllowed('http://localhost:3000/cb', loop)).toBe(false);
    expect(redirectUriAllowed('http://127.0.0.1:49152/other', loop)).toBe(false);
    expect(redirectUriAllowed('http://sub.127.0.0.1:3000/cb', loop)).toBe(false);
  });
});

test('scopes: space or comma separated, unique, in order', () => {
  expect(parseScopes('read:user user:email,read:user , repo')).toEqual(['read:user', 'user:email', 'repo']);
  expect(parseScopes(null)).toEqual([]);
});

test('content negotiation of the token answer: form by default, JSON or XML on request', () => {
  expect(negotiate(undefined)).toBe('form');
  expect(negotiate('*/*')).toBe('form');
  expect(negotiate('application/json')).toBe('json');
  expect(negotiate('application/xml')).toBe('xml');
  const fields = { access_token: 'gho_x', scope: 'repo,gist', token_type: 'bearer' };
  expect(encodeTokenAnswer('form', fields)).toEqual({ contentType: 'application/x-www-form-urlencoded; charset=utf-8', body: 'access_token=gho_x&scope=repo%2Cgist&token_type=bearer' });
  expect(JSON.parse(encodeTokenAnswer('json', fields).body)).toEqual(fields);
  expect(encodeTokenAnswer('xml', { error: '<&>' }).body).toBe('<OAuth><error>&#60;&#38;&#62;</error></OAuth>');
});

test('tokens look like GitHub OAuth tokens: gho_ and 36 base62 characters', () => {
  const tokens = new Set(Array.from({ length: 50 }, () => githubToken('gho_')));
  expect(tokens.size).toBe(50);
  for (const t of tokens) expect(t).toMatch(/^gho_[A-Za-z0-9]{36}$/);
});
