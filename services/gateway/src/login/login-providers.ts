import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import passport from 'passport';
import OAuth2Strategy, { type VerifyCallback } from 'passport-oauth2';
import type { Config, GitHubLoginProvider, LoginProvider, OidcLoginProvider } from '@harness/config';
import type { IdentityProfile } from '@harness/contracts';
import type { Keyring } from '@harness/crypto';
import { errorFields, type Logger } from '@harness/logging';
import { CONFIG, KEYRING, LOGGER, REDIS } from '../core/tokens.js';
import type { HttpRequest } from '../http/types.js';
import { fetchGitHubIdentity } from './github-profile.js';
import { LoginRefused, profileOfClaims, remoteKeys, verifyIdToken } from './id-token.js';
import { LoginStateStore, loadedLoginState } from './login-state-store.js';
import { discover, idTokenAlgorithms, type OidcMetadata } from './oidc-discovery.js';
import { providerFetch } from './provider-fetch.js';
import { useGuardedTokenExchange, type TokenEndpointAuth } from './token-exchange.js';

/** Who the provider says signed in: what the callback hands to the auth service's sign-in. */
export interface VerifiedIdentity {
  providerId: string;
  subject: string;
  profile: IdentityProfile;
  /** OIDC only. */
  idToken?: string;
}

/** The callback path of a provider (the redirect URI registered at the provider is PUBLIC_URL + this). */
export const callbackPath = (providerId: string): string => `/auth/callback/${providerId}`;

/** The client authentication at the token endpoint: configured, else basic when offered (the spec's default), else post; none without a secret. */
export function tokenEndpointAuth(provider: OidcLoginProvider, metadata: OidcMetadata): TokenEndpointAuth {
  if (!provider.clientSecret) return 'none';
  if (provider.tokenEndpointAuthMethod) return provider.tokenEndpointAuthMethod;
  const offered = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  return offered.includes('client_secret_basic') || !offered.includes('client_secret_post') ? 'client_secret_basic' : 'client_secret_post';
}

/**
 * The configured login providers as passport-oauth2 strategies on a Passport instance of the gateway's own (no
 * sessions: `session: false`; the state lives in Redis, LoginStateStore). An OIDC provider's strategy is built at its
 * first sign-in from its discovery document (a failed discovery is tried again at the next sign-in).
 */
@Injectable()
export class LoginProviders {
  readonly passport = new passport.Passport();
  private readonly providers: Map<string, LoginProvider>;
  private readonly strategies = new Map<string, Promise<void>>();
  private readonly store: LoginStateStore;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(REDIS) redis: Redis,
    @Inject(KEYRING) keyring: Keyring,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.providers = new Map(config.login.providers.map((p) => [p.id, p]));
    const secure = new URL(config.gateway.publicUrl).protocol === 'https:';
    this.store = new LoginStateStore(redis, keyring, config.natsNamespace, secure);
  }

  list(): { id: string; name: string }[] {
    return [...this.providers.values()].map((p) => ({ id: p.id, name: p.name }));
  }

  get(id: string): LoginProvider | undefined {
    return this.providers.get(id);
  }

  /** Registers the provider's strategy (named by the provider id) once. */
  async ready(provider: LoginProvider): Promise<void> {
    let pending = this.strategies.get(provider.id);
    if (!pending) {
      pending = (provider.type === 'oidc' ? this.oidcStrategy(provider) : Promise.resolve(this.githubStrategy(provider))).then((s) => {
        this.passport.use(provider.id, s);
      });
      pending.catch((err: unknown) => {
        this.strategies.delete(provider.id);
        this.logger.warn({ ...errorFields(err), provider: provider.id }, 'login provider: setting up failed');
      });
      this.strategies.set(provider.id, pending);
    }
    await pending;
  }

  private callbackUrl(id: string): string {
    return `${this.config.gateway.publicUrl}${callbackPath(id)}`;
  }

  private async oidcStrategy(provider: OidcLoginProvider): Promise<OAuth2Strategy> {
    const fetch = providerFetch([provider.issuer], this.config.outboundAllowlist);
    const metadata = await discover(fetch, provider.issuer);
    const algorithms = idTokenAlgorithms(metadata);
    const keys = remoteKeys(metadata.jwks_uri, fetch);
    const verify = (req: HttpRequest, _accessToken: string, _refreshToken: string, params: Record<string, unknown>, _profile: unknown, done: VerifyCallback) => {
      const state = loadedLoginState(req);
      if (!state) {
        done(new Error('login: the verify step ran without a loaded state'));
        return;
      }
      verifyIdToken(params.id_token, keys, { issuer: metadata.issuer, clientId: provider.clientId, nonce: state.nonce, algorithms }).then(
        (claims) => done(null, { providerId: provider.id, subject: claims.sub, profile: profileOfClaims(claims), idToken: params.id_token as string } satisfies VerifiedIdentity),
        (err: unknown) => (err instanceof LoginRefused ? done(null, false, { message: err.message }) : done(err as Error)),
      );
    };
    const strategy = this.oauth2Strategy(provider, metadata.authorization_endpoint, metadata.token_endpoint, verify);
    // The nonce the login route chose (passport passes authenticate's options here), checked in the ID token.
    strategy.authorizationParams = (options: { nonce?: string }) => (options.nonce ? { nonce: options.nonce } : {});
    useGuardedTokenExchange(strategy, {
      fetch, tokenUrl: metadata.token_endpoint, clientId: provider.clientId, clientSecret: provider.clientSecret, auth: tokenEndpointAuth(provider, metadata),
    });
    return strategy;
  }

  /** Code flow with PKCE S256 and `state` kept by the login state store; the profile comes from `verify`, not passport. */
  private oauth2Strategy(provider: LoginProvider, authorizationURL: string, tokenURL: string, verify: (...args: never[]) => void): OAuth2Strategy {
    return new OAuth2Strategy({
      authorizationURL,
      tokenURL,
      clientID: provider.clientId,
      clientSecret: provider.clientSecret ?? '',
      callbackURL: this.callbackUrl(provider.id),
      scope: provider.scopes,
      pkce: true,
      state: true,
      store: this.store as never,
      passReqToCallback: true,
      skipUserProfile: true,
    }, verify as never);
  }

  private githubStrategy(provider: GitHubLoginProvider): OAuth2Strategy {
    const fetch = providerFetch([provider.authorizationUrl, provider.tokenUrl, provider.apiUrl], this.config.outboundAllowlist);
    const verify = (_req: HttpRequest, accessToken: string, _refreshToken: string, _params: unknown, _profile: unknown, done: VerifyCallback) => {
      fetchGitHubIdentity(fetch, provider.apiUrl, accessToken).then(
        (identity) => done(null, { providerId: provider.id, ...identity } satisfies VerifiedIdentity),
        (err: unknown) => done(err as Error),
      );
    };
    const strategy = this.oauth2Strategy(provider, provider.authorizationUrl, provider.tokenUrl, verify);
    useGuardedTokenExchange(strategy, {
      fetch, tokenUrl: provider.tokenUrl, clientId: provider.clientId, clientSecret: provider.clientSecret, auth: 'client_secret_post',
    });
    return strategy;
  }
}
