import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { encrypt, type OAuthContext } from './context.js';
import { parseScopes } from './scopes.js';
import type { NewTokens } from './store.js';

/**
 * A token response as stored: both tokens encrypted, expiry from `expires_in` (the SDK passes it along and tracks
 * nothing), scopes as granted (`scope` of the response) or else as requested (RFC 6749 §5.1: omitted means as
 * requested). A refresh response without a refresh token keeps the old one (`previousRefreshTokenEnc`).
 */
export function toStoredTokens(ctx: OAuthContext, tokens: OAuthTokens, requestedScopes: string[], previousRefreshTokenEnc: string | null = null): NewTokens {
  const expiresIn = typeof tokens.expires_in === 'number' && Number.isFinite(tokens.expires_in) && tokens.expires_in > 0 ? tokens.expires_in : undefined;
  const granted = parseScopes(tokens.scope);
  return {
    accessTokenEnc: encrypt(ctx, tokens.access_token),
    refreshTokenEnc: tokens.refresh_token ? encrypt(ctx, tokens.refresh_token) : previousRefreshTokenEnc,
    tokenType: tokens.token_type || 'Bearer',
    scopes: granted.length ? granted : requestedScopes,
    expiresAt: expiresIn === undefined ? null : new Date(ctx.now().getTime() + expiresIn * 1000),
  };
}

/** When the access token should be refreshed: within `skewMs` of its expiry. No expiry known: never by time. */
export function needsRefresh(expiresAt: Date | null, now: Date, skewMs: number): boolean {
  return expiresAt !== null && expiresAt.getTime() - skewMs <= now.getTime();
}
