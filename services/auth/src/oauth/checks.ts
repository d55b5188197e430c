import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { isAddressAllowlisted, isHostAllowlisted, type OutboundPolicy } from '@harness/outbound';
import { OAuthRefusal } from './errors.js';
import { sameIssuer } from './urls.js';

/** The fields of authorization server metadata these checks read (the rest is passed along untouched). */
export interface AuthServerMetadataLike {
  issuer: string;
  code_challenge_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
}

/**
 * PKCE S256 is required (MCP authorization, OAuth 2.1): an authorization server whose metadata does not advertise
 * `code_challenge_methods_supported` with `S256` is refused. The 2025-03-26 fallback is exempt when the list is
 * absent (those servers predate the requirement); a list without S256 is refused on every path.
 */
export function assertPkceS256(metadata: AuthServerMetadataLike, legacy: boolean): void {
  const methods = metadata.code_challenge_methods_supported;
  if (methods === undefined && legacy) return;
  if (!methods?.includes('S256')) {
    throw new OAuthRefusal(
      `The authorization server ${metadata.issuer} does not advertise PKCE with S256 (code_challenge_methods_supported), so Harness will not use it.`,
    );
  }
}

/**
 * RFC 8414 §3.3: the metadata's `issuer` must be the issuer the metadata URL was built from (else a server could
 * pass off another's endpoints). On the 2025-03-26 fallback the issuer is not known in advance (servers of that
 * version serve e.g. `<origin>/oauth` at the root well-known URL), so there `expectedIssuer` is the MCP server's URL
 * and the issuer must have its origin: a server must not claim another's issuer (Harness would then present that
 * issuer's pre-registered or stored client, code and verifier to the server's token endpoint).
 */
export function assertIssuer(metadataIssuer: string, expectedIssuer: string, legacy: boolean): void {
  if (legacy) {
    if (originOf(metadataIssuer) !== originOf(expectedIssuer)) {
      throw new OAuthRefusal(
        `The authorization server metadata of ${new URL(expectedIssuer).origin} names issuer ${JSON.stringify(metadataIssuer)}, which is not on the MCP server's origin; refusing it.`,
      );
    }
    return;
  }
  if (!sameIssuer(metadataIssuer, expectedIssuer)) {
    throw new OAuthRefusal(
      `The authorization server metadata names issuer ${JSON.stringify(metadataIssuer)}, but it was discovered as ${JSON.stringify(expectedIssuer)}; refusing it.`,
    );
  }
}

function originOf(url: string): string | undefined {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Whether an authorization server endpoint may be used: https, or plain http only where the SSRF guard allows it
 * (`libs/outbound`'s rule: the policy does not require https, or the allowlist names the host or covers its IP
 * literal). Decided without resolving or fetching: the authorization endpoint is opened by the user's browser.
 */
export function endpointAllowed(endpoint: string, policy: OutboundPolicy): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  if (!policy.requireHttps) return true;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? isAddressAllowlisted(policy, host) : isHostAllowlisted(policy, host);
}

/** The endpoints of authorization server metadata Harness uses or sends the user to. */
const ENDPOINT_FIELDS = ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'revocation_endpoint'] as const;

/** Refuses metadata with an endpoint that is neither https nor http on a host the outbound allowlist names. */
export function assertEndpointSchemes(metadata: Partial<Record<(typeof ENDPOINT_FIELDS)[number], unknown>> & { issuer: string }, policy: OutboundPolicy): void {
  for (const field of ENDPOINT_FIELDS) {
    const value = metadata[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !endpointAllowed(value, policy)) {
      throw new OAuthRefusal(
        `The authorization server ${metadata.issuer} advertises ${field} ${JSON.stringify(String(value).slice(0, 200))}, which is not https (plain http only for hosts in HARNESS_OUTBOUND_ALLOWLIST); refusing it.`,
      );
    }
  }
}

/**
 * RFC 9207 at the callback. When the authorization server advertises `authorization_response_iss_parameter_supported`,
 * `iss` must be present and equal (exact string) the expected issuer; when it does not, an `iss` that is present must
 * still match. Returns the reason to reject (the response's `error` fields are then ignored), or null.
 */
export function checkIssParameter(opts: { advertised: boolean; iss: string | undefined; expectedIssuer: string }): string | null {
  if (opts.iss === undefined) {
    return opts.advertised ? 'The authorization response has no iss parameter, though the authorization server requires one (RFC 9207); it was rejected.' : null;
  }
  if (opts.iss !== opts.expectedIssuer) {
    return `The authorization response came from issuer ${JSON.stringify(opts.iss)}, not the expected ${JSON.stringify(opts.expectedIssuer)} (RFC 9207); it was rejected.`;
  }
  return null;
}

/** The stored state of an authorization in flight, as the callback checks it. */
export interface StoredState {
  userId: string;
  expiresAt: Date;
  usedAt: Date | null;
  /** sha256 of the browser binding; null when the state was never bound (the broker's prompts). */
  bindingHash: string | null;
}

/** Why a callback's state is refused (the gateway answers 400). */
export type StateRefusal = 'unknown' | 'used' | 'expired' | 'other_user' | 'other_browser';

/**
 * The callback's state checks: known, not used before (single use), started by the signed-in user when the callback
 * knows one, bound to the browser the callback came from, not expired. The browser check goes before the expiry, so
 * only a state of this browser can be reported as merely expired (that answer may tell the opener, see
 * complete-authorization). Returns the refusal and a sentence for the page, or null.
 */
export function checkState(
  row: StoredState | undefined,
  opts: { now: Date; userId?: string; bindingHash?: string },
): { refused: StateRefusal; message: string } | null {
  if (!row) return { refused: 'unknown', message: 'This authorization is unknown (the link is invalid or too old). Start connecting again.' };
  if (row.usedAt) return { refused: 'used', message: 'This authorization was already completed (a state is used once). Start connecting again.' };
  if (opts.userId !== undefined && opts.userId !== row.userId) return { refused: 'other_user', message: 'This authorization was started by another user; it was rejected.' };
  if (!sameHash(row.bindingHash, opts.bindingHash)) {
    return {
      refused: 'other_browser',
      message: 'This authorization was not started in this browser, so it was rejected. Start connecting again from Harness in this browser.',
    };
  }
  if (row.expiresAt.getTime() <= opts.now.getTime()) return { refused: 'expired', message: 'This authorization expired before it was completed. Start connecting again.' };
  return null;
}

/** Two hex sha256 digests, compared in constant time; a missing one never matches. */
function sameHash(stored: string | null, given: string | undefined): boolean {
  if (!stored || !given || stored.length !== given.length) return false;
  return timingSafeEqual(Buffer.from(stored, 'utf8'), Buffer.from(given, 'utf8'));
}

/** The step-up cap: at most this many authorizations per user, server and requested scope set within the window. */
export const MAX_AUTHORIZATION_ATTEMPTS = 3;

/**
 * Refuses the attempt that goes over the cap (`attempts` counts this one). With the window's start, the refusal says
 * when the window ends (`retryAfterSeconds`, the gateway's Retry-After).
 */
export function assertAttemptAllowed(attempts: number, serverUrl: string, windowMs: number, window?: { windowStartsAt: Date; now: Date }): void {
  if (attempts > MAX_AUTHORIZATION_ATTEMPTS) {
    const minutes = Math.max(1, Math.round(windowMs / 60_000));
    const retryAfterSeconds = window ? Math.max(1, Math.ceil((window.windowStartsAt.getTime() + windowMs - window.now.getTime()) / 1000)) : undefined;
    throw new OAuthRefusal(
      `Authorization for ${serverUrl} was already attempted ${MAX_AUTHORIZATION_ATTEMPTS} times for these scopes in the last ${minutes} minutes; the server keeps asking for scopes it does not grant. Try again later.`,
      'rate_limited',
      retryAfterSeconds === undefined ? undefined : { retryAfterSeconds },
    );
  }
}

/** The next attempt count and window start for the cap, given the stored ones (a window older than `windowMs` restarts). */
export function nextAttempt(stored: { attempts: number; windowStartsAt: Date } | undefined, now: Date, windowMs: number): { attempts: number; windowStartsAt: Date } {
  if (!stored || now.getTime() - stored.windowStartsAt.getTime() >= windowMs) return { attempts: 1, windowStartsAt: now };
  return { attempts: stored.attempts + 1, windowStartsAt: stored.windowStartsAt };
}

/**
 * The per-user cap on authorizations in flight (HARNESS_OAUTH_MAX_PENDING_PER_USER): each start costs a round of
 * outbound requests (discovery, registration) and leaves a state behind. `inFlight` counts the pending states and the
 * starts in progress, this one excluded; `freeAt` is when the first of them runs out (Retry-After).
 */
export function assertPendingAllowed(inFlight: { count: number; freeAt: Date | null }, max: number, now: Date): void {
  if (inFlight.count < max) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(((inFlight.freeAt?.getTime() ?? now.getTime()) - now.getTime()) / 1000));
  throw new OAuthRefusal(
    `You have ${inFlight.count} authorizations in progress, the most allowed at once is ${max}. Complete one, or try again in ${retryAfterSeconds} seconds.`,
    'rate_limited',
    { retryAfterSeconds },
  );
}
