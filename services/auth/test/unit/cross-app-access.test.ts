import { authMethodFor } from '../../src/oauth/cross-app-access/idp.js';

describe('Cross-App Access: client authentication at the IdP', () => {
  test('as at sign-in: the configured method, else basic when offered (or nothing said), else post; none without a secret', () => {
    expect(authMethodFor({ tokenEndpointAuthMethod: 'client_secret_post', clientSecret: 's' }, ['client_secret_basic'])).toBe('client_secret_post');
    expect(authMethodFor({ tokenEndpointAuthMethod: undefined, clientSecret: 's' }, ['client_secret_basic', 'client_secret_post'])).toBe('client_secret_basic');
    expect(authMethodFor({ tokenEndpointAuthMethod: undefined, clientSecret: 's' }, ['client_secret_post'])).toBe('client_secret_post');
    expect(authMethodFor({ tokenEndpointAuthMethod: undefined, clientSecret: 's' }, ['private_key_jwt'])).toBe('client_secret_basic');
    expect(authMethodFor({ tokenEndpointAuthMethod: undefined, clientSecret: undefined }, ['client_secret_basic'])).toBe('none');
  });
});
