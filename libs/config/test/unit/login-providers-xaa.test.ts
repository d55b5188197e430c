import { parseLoginProviders } from '../../src/index.js';

const corp = { id: 'corp', type: 'oidc', name: 'Corp', issuer: 'https://idp.example.com', clientId: 'harness', clientSecret: 's' };

describe('HARNESS_LOGIN_PROVIDERS crossAppAccess (SEP-990)', () => {
  test('off unless enabled; on for an OIDC provider with {enabled: true}', () => {
    const [plain, off, on] = parseLoginProviders(JSON.stringify([
      corp, { ...corp, id: 'off', crossAppAccess: { enabled: false } }, { ...corp, id: 'on', crossAppAccess: { enabled: true } },
    ]));
    expect(plain).toMatchObject({ crossAppAccess: false });
    expect(off).toMatchObject({ crossAppAccess: false });
    expect(on).toMatchObject({ crossAppAccess: true });
  });

  test('refused on a GitHub provider, and with unknown fields or a non-boolean', () => {
    const gh = { id: 'gh', type: 'github', name: 'GitHub', clientId: 'c', clientSecret: 's' };
    expect(() => parseLoginProviders(JSON.stringify([{ ...gh, crossAppAccess: { enabled: true } }]))).toThrow(/0\.crossAppAccess: Cross-App Access needs an OIDC provider/);
    expect(() => parseLoginProviders(JSON.stringify([{ ...corp, crossAppAccess: { enabled: true, extra: 1 } }]))).toThrow(/0\.crossAppAccess/);
    expect(() => parseLoginProviders(JSON.stringify([{ ...corp, crossAppAccess: { enabled: 'yes' } }]))).toThrow(/0\.crossAppAccess\.enabled/);
    expect(() => parseLoginProviders(JSON.stringify([{ ...corp, crossAppAccess: true }]))).toThrow(/0\.crossAppAccess/);
  });
});
