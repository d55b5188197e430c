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
export { JWT_BEARER_GRANT, type TrustedIdp } from './id-jag.js';
export {
  startGitHubLike,
  type GitHubLikeHandle,
  type GitHubLikeOptions,
  type GitHubLikeKnobs,
  type GitHubUser,
  type GitHubEmail,
  type GitHubOAuthApp,
  type GitHubAuthorizeRecord,
  type GitHubTokenRecord,
  type GitHubApiRecord,
  type GitHubIssuedToken,
} from './github/server.js';
export { redirectUriAllowed } from './github/rules.js';
