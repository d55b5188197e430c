import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { signingAlgOf, toPkcs8Pem } from '@harness/crypto';
import type { AuthServerMetadata } from '../oauth/discovery.js';
import { OAuthRefusal } from '../oauth/errors.js';

/** The harness owner's client for one server, decrypted (only in memory, only for one token request). */
export type ServiceClient = { clientId: string; clientSecret: string } | { clientId: string; privateKeyPem: string };

const CLIENT_NAME = 'Harness';

/**
 * The SDK's client credentials providers (`@modelcontextprotocol/sdk/client/auth-extensions`): a secret →
 * `ClientCredentialsProvider` (client_secret_basic, or client_secret_post when the server only offers that); a key →
 * `PrivateKeyJwtProvider` (RFC 7523: a JWT with iss = sub = client id, aud = the issuer, jti, exp in 5 min, signed
 * with RS256/ES256/ES384 as the key allows). Both send `grant_type=client_credentials` and the scope. The metadata
 * is checked first so that a mismatch is a sentence the user can act on instead of an `invalid_client`.
 */
export function serviceProvider(client: ServiceClient, metadata: AuthServerMetadata | undefined, issuer: string, authServerUrl: string, scope: string | undefined): OAuthClientProvider {
  const grants = metadata?.grant_types_supported;
  if (grants && !grants.includes('client_credentials')) {
    throw new OAuthRefusal(`The authorization server ${issuer} does not offer the client_credentials grant (grant_types_supported), so a service identity cannot be used with it.`);
  }
  const methods = metadata?.token_endpoint_auth_methods_supported;
  if ('privateKeyPem' in client) {
    if (methods && !methods.includes('private_key_jwt')) {
      throw new OAuthRefusal(`The authorization server ${issuer} does not accept private_key_jwt client authentication (it offers ${methods.join(', ') || 'none'}); use a client secret.`);
    }
    const algorithm = signingAlgOf(client.privateKeyPem);
    const algs = metadata?.token_endpoint_auth_signing_alg_values_supported;
    if (algs && !algs.includes(algorithm)) {
      throw new OAuthRefusal(`The authorization server ${issuer} accepts client assertions signed with ${algs.join(', ')}, not ${algorithm} (the configured key's algorithm).`);
    }
    return new PrivateKeyJwtProvider({ clientId: client.clientId, privateKey: toPkcs8Pem(client.privateKeyPem), algorithm, clientName: CLIENT_NAME, scope, expectedIssuer: authServerUrl });
  }
  if (methods && !methods.includes('client_secret_basic') && !methods.includes('client_secret_post')) {
    throw new OAuthRefusal(`The authorization server ${issuer} does not accept a client secret (it offers ${methods.join(', ') || 'none'}); use a private key (private_key_jwt).`);
  }
  return new ClientCredentialsProvider({ clientId: client.clientId, clientSecret: client.clientSecret, clientName: CLIENT_NAME, scope, expectedIssuer: authServerUrl });
}
