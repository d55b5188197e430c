import { ConfigError, loadConfig } from '../../src/index.js';

const corp = { id: 'corp', type: 'oidc', name: 'Corp', issuer: 'https://idp.example.com', clientId: 'harness', clientSecret: 's' };
const gh = { id: 'gh', type: 'github', name: 'GitHub', clientId: 'c', clientSecret: 's' };
const external = { HARNESS_JWT_JWKS_URL: 'https://idp.example.com/jwks', HARNESS_JWT_ISSUER: 'https://idp.example.com', HARNESS_JWT_AUDIENCE: 'harness-api' };

describe('HARNESS_JWT_JWKS_URL (an external IdP\'s access tokens)', () => {
  test('off by default; on with its issuer and audience; optionally mapped through a login provider', () => {
    expect(loadConfig({ NODE_ENV: 'test' }, 'gateway').externalJwt).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', ...external }, 'gateway').externalJwt).toEqual({
      jwksUrl: external.HARNESS_JWT_JWKS_URL, issuer: external.HARNESS_JWT_ISSUER, audience: 'harness-api', loginProviderId: null,
    });
    const mapped = loadConfig({ NODE_ENV: 'test', ...external, HARNESS_JWT_LOGIN_PROVIDER: 'corp', HARNESS_LOGIN_PROVIDERS: JSON.stringify([corp]) }, 'gateway');
    expect(mapped.externalJwt?.loginProviderId).toBe('corp');
  });

  test('refuses an incomplete or inconsistent configuration, naming what is missing', () => {
    const load = (env: Record<string, string>) => () => loadConfig({ NODE_ENV: 'test', ...env }, 'gateway');
    expect(load({ HARNESS_JWT_JWKS_URL: external.HARNESS_JWT_JWKS_URL })).toThrow(/HARNESS_JWT_ISSUER and HARNESS_JWT_AUDIENCE/);
    expect(load({ HARNESS_JWT_JWKS_URL: external.HARNESS_JWT_JWKS_URL, HARNESS_JWT_ISSUER: 'x' })).toThrow(ConfigError);
    expect(load({ HARNESS_JWT_ISSUER: 'x', HARNESS_JWT_AUDIENCE: 'y' })).toThrow(/need HARNESS_JWT_JWKS_URL/);
    expect(load({ ...external, HARNESS_JWT_JWKS_URL: 'ftp://idp/jwks' })).toThrow(/http\(s\) URL/);
    expect(load({ ...external, HARNESS_JWT_LOGIN_PROVIDER: 'nope', HARNESS_LOGIN_PROVIDERS: JSON.stringify([corp]) })).toThrow(/no login provider "nope"/);
    expect(load({ ...external, HARNESS_JWT_LOGIN_PROVIDER: 'gh', HARNESS_LOGIN_PROVIDERS: JSON.stringify([gh]) })).toThrow(/not an OpenID Connect provider/);
    // Services other than the gateway do not verify these tokens and are not given the providers to check against.
    expect(loadConfig({ NODE_ENV: 'test', ...external, HARNESS_JWT_LOGIN_PROVIDER: 'corp' }, 'chat').externalJwt?.loginProviderId).toBe('corp');
  });
});
