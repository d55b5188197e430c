/** Scope strings (RFC 6749 §3.3): space-delimited, order-insensitive. */
export const parseScopes = (scope: string | undefined | null): string[] => [...new Set((scope ?? '').split(/\s+/).filter(Boolean))];

/** The union of scope sets, first-seen order kept. */
export const unionScopes = (...sets: (readonly string[] | undefined)[]): string[] => [...new Set(sets.flatMap((s) => s ?? []))];

/** A stable key of a scope set (the step-up cap counts attempts per user, server and this key). */
export const scopeKey = (scopes: readonly string[]): string => [...new Set(scopes)].sort().join(' ');

export interface ScopeInputs {
  /** `scope` of the server's 401/403 challenge (or of the step-up command). */
  challenge?: string;
  /** `scopes_supported` of the protected resource metadata. */
  resourceScopesSupported?: readonly string[];
  /** `scopes_supported` of the authorization server metadata (only to decide on `offline_access`). */
  authServerScopesSupported?: readonly string[];
  /** Scopes configured with a pre-registered client (a classic OAuth app without resource metadata). */
  configuredScopes?: readonly string[];
}

/**
 * The MCP scope selection strategy: the challenge's scope, else every `scopes_supported` of the resource, else the
 * pre-registered client's configured scopes, else none (the `scope` parameter is then omitted). `offline_access` is
 * added only when the authorization server lists it (and something else is requested): a refresh token is never
 * assumed.
 */
export function selectScopes(inputs: ScopeInputs): string[] {
  const fromChallenge = parseScopes(inputs.challenge);
  let scopes = fromChallenge.length
    ? fromChallenge
    : inputs.resourceScopesSupported?.length
      ? unionScopes(inputs.resourceScopesSupported)
      : unionScopes(inputs.configuredScopes);
  if (scopes.length && inputs.authServerScopesSupported?.includes('offline_access')) scopes = unionScopes(scopes, ['offline_access']);
  return scopes;
}

/**
 * Step-up (403 `insufficient_scope`): ask for the challenged scopes together with those granted or requested before,
 * so a new token does not lose what the old one could do.
 */
export const stepUpScopes = (challenged: readonly string[], previous: readonly string[]): string[] => unionScopes(previous, challenged);
