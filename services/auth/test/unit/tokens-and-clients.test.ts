import { createKeyring, decryptSecret } from '@harness/crypto';
import { registrationAuthMethod, type ResolvedClient } from '../../src/oauth/clients.js';
import type { OAuthContext } from '../../src/oauth/context.js';
import type { AuthServerMetadata } from '../../src/oauth/discovery.js';
import { toStoredTokens } from '../../src/oauth/tokens.js';
import { revocationRequest } from '../../src/revoke-connection/revoke-connection.usecase.js';

const now = new Date('2026-11-27T12:00:00Z');
const keyring = createKeyring(Buffer.alloc(32, 7));
const ctx = { keyring, now: () => now } as unknown as OAuthContext;

describe('stored tokens', () => {
  test('encrypted, expiry from expires_in, scopes as granted', () => {
    const t = toStoredTokens(ctx, { access_token: 'AT', refresh_token: 'RT', token_type: 'Bearer', expires_in: 3600, scope: 'a b' }, ['x']);
    expect(t.accessTokenEnc).not.toContain('AT');
    expect(decryptSecret(t.accessTokenEnc, keyring)).toBe('AT');
    expect(decryptSecret(t.refreshTokenEnc!, keyring)).toBe('RT');
    expect(t.expiresAt).toEqual(new Date(now.getTime() + 3_600_000));
    expect(t.scopes).toEqual(['a', 'b']);
    expect(t.tokenType).toBe('Bearer');
  });

  test('no scope in the response: as requested; no expires_in: unknown; no refresh token: the previous one is kept', () => {
    const t = toStoredTokens(ctx, { access_token: 'AT2', token_type: '' }, ['x', 'y'], 'previous-ciphertext');
    expect(t.scopes).toEqual(['x', 'y']);
    expect(t.expiresAt).toBeNull();
    expect(t.refreshTokenEnc).toBe('previous-ciphertext');
    expect(t.tokenType).toBe('Bearer');
    expect(toStoredTokens(ctx, { access_token: 'AT3', token_type: 'Bearer' }, []).refreshTokenEnc).toBeNull();
  });
});

describe('client authentication', () => {
  const md = (methods?: string[]) => ({ token_endpoint_auth_methods_supported: methods }) as AuthServerMetadata;

  test('DCR asks for the strongest method the server lists, none when it lists nothing', () => {
    expect(registrationAuthMethod(md(['none', 'client_secret_post', 'client_secret_basic']))).toBe('client_secret_basic');
    expect(registrationAuthMethod(md(['client_secret_post', 'none']))).toBe('client_secret_post');
    expect(registrationAuthMethod(md(['none']))).toBe('none');
    expect(registrationAuthMethod(md(undefined))).toBeUndefined();
    expect(registrationAuthMethod(undefined)).toBeUndefined();
  });

  const client = (info: ResolvedClient['info']): ResolvedClient => ({ issuer: 'https://as.example.com', source: 'dcr', info });
  const form = (init: RequestInit) => new URLSearchParams(String(init.body));

  test('revocation (RFC 7009): Basic for a confidential client, post when only that is supported, client_id only for a public client', () => {
    const basic = revocationRequest(client({ client_id: 'c', client_secret: 's' }), ['client_secret_basic'], 'tok', 'refresh_token');
    expect((basic.headers as Record<string, string>).Authorization).toBe(`Basic ${Buffer.from('c:s').toString('base64')}`);
    expect(form(basic).get('token')).toBe('tok');
    expect(form(basic).get('token_type_hint')).toBe('refresh_token');
    expect(form(basic).get('client_secret')).toBeNull();

    const post = revocationRequest(client({ client_id: 'c', client_secret: 's' }), ['client_secret_post'], 'tok', 'access_token');
    expect((post.headers as Record<string, string>).Authorization).toBeUndefined();
    expect(form(post).get('client_id')).toBe('c');
    expect(form(post).get('client_secret')).toBe('s');

    const pub = revocationRequest(client({ client_id: 'c' }), ['none'], 'tok', 'access_token');
    expect((pub.headers as Record<string, string>).Authorization).toBeUndefined();
    expect(form(pub).get('client_id')).toBe('c');
    expect(form(pub).get('client_secret')).toBeNull();
  });
});
