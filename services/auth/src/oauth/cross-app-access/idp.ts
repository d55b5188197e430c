import type { OidcLoginProvider } from '@harness/config';
import { endpointAllowed } from '../checks.js';
import type { OAuthContext } from '../context.js';
import { oneLine } from '../errors.js';

export type IdpAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** What the token exchange needs of an enterprise IdP (a login provider with Cross-App Access). */
export interface IdpEndpoint {
  tokenEndpoint: string;
  authMethod: IdpAuthMethod;
}

const DISCOVERY_TTL_MS = 60 * 60_000;

export class XaaFailure extends Error {}

/**
 * The token endpoint of each Cross-App Access login provider, from its OpenID Connect discovery document (issuer equal
 * to the configured one, exactly; the endpoint https, or http on a host HARNESS_OUTBOUND_ALLOWLIST allows), fetched
 * through the SSRF guard and kept an hour. At most one entry per configured provider (HARNESS_LOGIN_PROVIDERS holds
 * at most 20), so the cache is bounded by configuration.
 */
export class IdpDirectory {
  private readonly cache = new Map<string, { endpoint: IdpEndpoint; until: number }>();

  constructor(private readonly ctx: OAuthContext) {}

  async endpointOf(provider: OidcLoginProvider): Promise<IdpEndpoint> {
    const now = this.ctx.now().getTime();
    const hit = this.cache.get(provider.id);
    if (hit && hit.until > now) return hit.endpoint;
    const url = `${provider.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let doc: Record<string, unknown>;
    try {
      const res = await this.ctx.fetchFn(url, { headers: { accept: 'application/json' } });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new XaaFailure(`its discovery document answered HTTP ${res.status}`);
      }
      doc = (await res.json()) as Record<string, unknown>;
    } catch (err) {
      throw err instanceof XaaFailure ? err : new XaaFailure(`its discovery document could not be read: ${oneLine(err instanceof Error ? err.message : String(err), 200)}`);
    }
    if (doc?.issuer !== provider.issuer) throw new XaaFailure('its discovery document names another issuer');
    const tokenEndpoint = doc.token_endpoint;
    if (typeof tokenEndpoint !== 'string' || !endpointAllowed(tokenEndpoint, this.ctx.outboundPolicy)) {
      throw new XaaFailure('its token endpoint is missing or not https');
    }
    const offered = Array.isArray(doc.token_endpoint_auth_methods_supported) ? (doc.token_endpoint_auth_methods_supported as unknown[]) : ['client_secret_basic'];
    const endpoint = { tokenEndpoint, authMethod: authMethodFor(provider, offered) };
    this.cache.set(provider.id, { endpoint, until: now + DISCOVERY_TTL_MS });
    return endpoint;
  }
}

/** As the gateway's sign-in does: the configured method, else basic when offered (the default), else post; none without a secret. */
export function authMethodFor(provider: Pick<OidcLoginProvider, 'tokenEndpointAuthMethod' | 'clientSecret'>, offered: readonly unknown[]): IdpAuthMethod {
  if (provider.tokenEndpointAuthMethod) return provider.tokenEndpointAuthMethod;
  if (!provider.clientSecret) return 'none';
  return offered.includes('client_secret_basic') || !offered.includes('client_secret_post') ? 'client_secret_basic' : 'client_secret_post';
}
