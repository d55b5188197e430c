import { parseBearerChallenge } from '../../src/auth/www-authenticate.js';

describe('parseBearerChallenge', () => {
  it('reads quoted and token parameters of a Bearer challenge', () => {
    expect(parseBearerChallenge('Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="https://x/.well-known/oauth-protected-resource/mcp"')).toEqual({
      error: 'insufficient_scope',
      scope: 'mcp:read mcp:admin',
      resource_metadata: 'https://x/.well-known/oauth-protected-resource/mcp',
    });
    expect(parseBearerChallenge('bearer realm=example,error=invalid_token')).toEqual({ realm: 'example', error: 'invalid_token' });
  });

  it('unescapes quoted-pairs and keeps the first of a repeated parameter', () => {
    expect(parseBearerChallenge('Bearer error_description="a \\"quoted\\" word", scope="a", scope="b"')).toEqual({ error_description: 'a "quoted" word', scope: 'a' });
  });

  it('finds the Bearer challenge among others and stops at the next scheme', () => {
    expect(parseBearerChallenge('Basic realm="x", Bearer scope="s1", DPoP algs="ES256"')).toEqual({ scope: 's1' });
  });

  it('is empty without a header or a Bearer challenge', () => {
    expect(parseBearerChallenge(undefined)).toEqual({});
    expect(parseBearerChallenge('Basic realm="x"')).toEqual({});
    expect(parseBearerChallenge('Bearer')).toEqual({});
  });
});
