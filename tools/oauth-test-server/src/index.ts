export {
  startOAuthTestServer,
  type OAuthTestServerHandle,
  type OAuthTestServerOptions,
  type OAuthTestServerKnobs,
  type OAuthTestServerStats,
  type AuthorizeRecord,
  type TokenRecord,
  type RevocationRecord,
  type RegisteredClient,
  type PreRegisteredClient,
  type TokenEndpointAuthMethod,
} from './server.js';
