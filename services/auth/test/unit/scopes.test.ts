import { parseScopes, scopeKey, selectScopes, stepUpScopes, unionScopes } from '../../src/oauth/scopes.js';

describe('scope selection (MCP scope selection strategy)', () => {
  test('the challenge scope wins over scopes_supported', () => {
    expect(selectScopes({ challenge: 'mcp:basic', resourceScopesSupported: ['mcp:basic', 'mcp:write'] })).toEqual(['mcp:basic']);
  });

  test('no challenge: every scopes_supported of the protected resource', () => {
    expect(selectScopes({ resourceScopesSupported: ['mcp:basic', 'mcp:read', 'mcp:write'] })).toEqual(['mcp:basic', 'mcp:read', 'mcp:write']);
  });

  test('neither: omitted (empty), even when the authorization server lists offline_access', () => {
    expect(selectScopes({})).toEqual([]);
    expect(selectScopes({ authServerScopesSupported: ['offline_access'] })).toEqual([]);
  });

  test('offline_access is added only when the authorization server lists it', () => {
    expect(selectScopes({ resourceScopesSupported: ['mcp:basic'], authServerScopesSupported: ['mcp:basic', 'offline_access'] })).toEqual(['mcp:basic', 'offline_access']);
    expect(selectScopes({ resourceScopesSupported: ['mcp:basic', 'mcp:read'], authServerScopesSupported: ['mcp:basic', 'mcp:read'] })).toEqual(['mcp:basic', 'mcp:read']);
  });

  test('a pre-registered client\'s configured scopes are the last fallback', () => {
    expect(selectScopes({ configuredScopes: ['repo', 'read:user'] })).toEqual(['repo', 'read:user']);
    expect(selectScopes({ resourceScopesSupported: ['a'], configuredScopes: ['repo'] })).toEqual(['a']);
  });
});

describe('step-up and scope sets', () => {
  test('step-up asks for the union of earlier and challenged scopes', () => {
    expect(stepUpScopes(['mcp:basic', 'mcp:write'], ['mcp:basic'])).toEqual(['mcp:basic', 'mcp:write']);
    expect(stepUpScopes(['files:write'], ['files:read', 'offline_access'])).toEqual(['files:read', 'offline_access', 'files:write']);
  });

  test('parse splits on any whitespace and drops duplicates; union keeps first-seen order', () => {
    expect(parseScopes('  a b\tb  c ')).toEqual(['a', 'b', 'c']);
    expect(parseScopes(undefined)).toEqual([]);
    expect(unionScopes(['b', 'a'], undefined, ['a', 'c'])).toEqual(['b', 'a', 'c']);
  });

  test('the scope key ignores order and duplicates', () => {
    expect(scopeKey(['b', 'a', 'b'])).toBe(scopeKey(['a', 'b']));
    expect(scopeKey([])).toBe('');
  });
});
