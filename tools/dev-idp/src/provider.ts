import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import Provider, { type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';
import { claimsFor } from './identity.js';
import { registerIdJagExchange, TOKEN_EXCHANGE_GRANT, type IdJagAudiences } from './id-jag.js';
import { errorPage } from './pages.js';

export interface DevIdpClient {
  clientId: string;
  /** Absent: a public client (`token_endpoint_auth_method: none`). */
  clientSecret?: string;
  redirectUris: string[];
  /** How a confidential client authenticates at the token endpoint; default `client_secret_post` (what passport-oauth2 sends). */
  tokenEndpointAuthMethod?: 'client_secret_post' | 'client_secret_basic';
  /**
   * Cross-App Access (SEP-990): the client may exchange the ID tokens it got for ID-JAGs (RFC 8693 token exchange) for
   * these audiences: authorization server issuer → the client id of the same application at that server.
   */
  crossAppAccess?: { audiences: IdJagAudiences };
}

/** Subject → username of recent sign-ins, for the account lookups of the token and userinfo endpoints. */
export class BoundedAccounts {
  private readonly usernames = new Map<string, string>();
  constructor(private readonly max: number) {}

  remember(sub: string, username: string): void {
    this.usernames.delete(sub);
    this.usernames.set(sub, username);
    if (this.usernames.size > this.max) this.usernames.delete(this.usernames.keys().next().value!);
  }

  usernameOf(sub: string): string | undefined {
    return this.usernames.get(sub);
  }
}

const SCOPES = ['openid', 'profile', 'email'];

function toClientMetadata(client: DevIdpClient): ClientMetadata {
  return {
    client_id: client.clientId,
    ...(client.clientSecret === undefined
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: client.clientSecret, token_endpoint_auth_method: client.tokenEndpointAuthMethod ?? 'client_secret_post' }),
    redirect_uris: client.redirectUris,
    grant_types: client.crossAppAccess ? ['authorization_code', TOKEN_EXCHANGE_GRANT] : ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
  };
}

/** The first-party clients are trusted: the grant covers every scope at once, so there is no consent screen. */
async function loadOrAutoGrant(ctx: KoaContextWithOIDC) {
  const { provider, client, session, result } = ctx.oidc;
  const grantId = (result?.consent as { grantId?: string } | undefined)?.grantId ?? session!.grantIdFor(client!.clientId);
  if (grantId) {
    const existing = await provider.Grant.find(grantId);
    if (existing) return existing;
  }
  const grant = new provider.Grant({ clientId: client!.clientId, accountId: session!.accountId });
  grant.addOIDCScope(SCOPES.join(' '));
  await grant.save();
  return grant;
}

/** `pageCsp`: the Content-Security-Policy of the tool's pages, also sent with the provider's error page. */
export function createProvider(issuer: string, clients: readonly DevIdpClient[], accounts: BoundedAccounts, pageCsp: string): Provider {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };

  const configuration: Configuration = {
    clients: clients.map(toClientMetadata),
    // Storage: the package's in-memory adapter, an LRU of at most 1000 entries (codes, sessions…), one per provider
    // instance (the default one is shared by every instance in the process, and warns on each start).
    adapter: createMemoryAdapter(),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: SCOPES,
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    // The ID token carries the profile and e-mail claims itself: the relying party needs no userinfo call.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: false },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    loadExistingGrant: loadOrAutoGrant,
    findAccount: (_ctx, sub) => {
      const username = accounts.usernameOf(sub);
      if (username === undefined) return undefined;
      return { accountId: sub, claims: () => ({ ...claimsFor(username) }) };
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.set('content-security-policy', pageCsp);
      ctx.set('cache-control', 'no-store');
      ctx.body = errorPage('Sign-in failed', `${out.error}: ${out.error_description ?? ''}`);
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
  };
  const provider = new Provider(issuer, configuration);
  const exchanging = new Map(clients.filter((c) => c.crossAppAccess).map((c) => [c.clientId, c.crossAppAccess!.audiences]));
  registerIdJagExchange(provider, signingKey, (clientId) => exchanging.get(clientId));
  return provider;
}
