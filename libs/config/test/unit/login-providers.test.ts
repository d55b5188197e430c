import { ConfigError, loadConfig, parseLoginProviders } from '../../src/index.js';

const production = {
  NODE_ENV: 'production', HARNESS_JWT_SECRET: 'x'.repeat(32), HARNESS_ENCRYPTION_KEY: 'a'.repeat(64), NATS_USER: 'gateway', NATS_PASSWORD: 'pw',
  HARNESS_METRICS_TOKEN: 'm'.repeat(20),
} as const;
const corp = { id: 'corp', type: 'oidc', name: 'Corp', issuer: 'https://idp.example.com/realms/x', clientId: 'harness', clientSecret: 's' };

describe('HARNESS_LOGIN_PROVIDERS', () => {
  test('applies the defaults: OIDC scopes (openid always), GitHub endpoints and scopes', () => {
    const [oidc, gh] = parseLoginProviders(JSON.stringify([
      { ...corp, scopes: ['email'] },
      { id: 'gh', type: 'github', name: 'GitHub', clientId: 'c', clientSecret: 's' },
    ]));
    expect(oidc).toMatchObject({ type: 'oidc', scopes: ['openid', 'email'], dev: false, tokenEndpointAuthMethod: undefined });
    expect(gh).toMatchObject({
      type: 'github', authorizationUrl: 'https://github.com/login/oauth/authorize', tokenUrl: 'https://github.com/login/oauth/access_token',
      apiUrl: 'https://api.github.com', scopes: ['read:user', 'user:email'],
    });
    expect(parseLoginProviders(undefined)).toEqual([]);
    expect(parseLoginProviders(' ')).toEqual([]);
  });

  test('refuses bad entries, naming the field', () => {
    expect(() => parseLoginProviders('{')).toThrow(/not valid JSON/);
    expect(() => parseLoginProviders(JSON.stringify([{ ...corp, issuer: undefined }]))).toThrow(/HARNESS_LOGIN_PROVIDERS\.0\.issuer/);
    expect(() => parseLoginProviders(JSON.stringify([{ ...corp, id: 'Bad Id' }]))).toThrow(/0\.id/);
    expect(() => parseLoginProviders(JSON.stringify([{ ...corp, issuer: 'ftp://x' }]))).toThrow(/0\.issuer/);
    expect(() => parseLoginProviders(JSON.stringify([{ ...corp, extra: 1 }]))).toThrow(ConfigError);
    expect(() => parseLoginProviders(JSON.stringify([{ id: 'gh', type: 'github', name: 'G', clientId: 'c' }]))).toThrow(/0\.clientSecret/);
    expect(() => parseLoginProviders(JSON.stringify([corp, corp]))).toThrow(/used twice/);
    expect(() => parseLoginProviders(JSON.stringify([{ ...corp, clientSecret: undefined, tokenEndpointAuthMethod: 'client_secret_post' }]))).toThrow(/needs a clientSecret/);
  });

  test('production: the gateway refuses to start with no provider or with the dev IdP; other services do not care', () => {
    expect(() => loadConfig({ ...production }, 'gateway')).toThrow(/at least one login provider/);
    expect(() => loadConfig({ ...production, HARNESS_LOGIN_PROVIDERS: '[]' }, 'gateway')).toThrow(/at least one login provider/);
    const dev = JSON.stringify([corp, { ...corp, id: 'dev', dev: true }]);
    expect(() => loadConfig({ ...production, HARNESS_LOGIN_PROVIDERS: dev }, 'gateway')).toThrow(/"dev" is the development IdP/);
    expect(loadConfig({ ...production, HARNESS_LOGIN_PROVIDERS: JSON.stringify([corp]) }, 'gateway').login.providers).toHaveLength(1);
    expect(() => loadConfig({ ...production }, 'auth')).not.toThrow();
    expect(loadConfig({ NODE_ENV: 'development', HARNESS_LOGIN_PROVIDERS: dev }, 'gateway').login.providers[1]?.dev).toBe(true);
  });
});
