import { createOutboundPolicy, guardedFetch, type FetchLike } from '@harness/outbound';

/** One provider call: headers within 10 s, the whole answer within 15 s and 1 MiB. */
const PROVIDER_TIMEOUT_MS = 10_000;
const PROVIDER_DEADLINE_MS = 15_000;
export const PROVIDER_MAX_BODY_BYTES = 1024 * 1024;

/**
 * The fetch of one login provider's calls (discovery, JWKS, token, user API): libs/outbound's guard, with the hosts the
 * operator configured for this provider (its issuer, or GitHub's URLs) allowed besides HARNESS_OUTBOUND_ALLOWLIST. The
 * provider is trusted configuration (it may sit on a private network), but what it answers is not: an endpoint its
 * discovery document names on another host still goes through the whole guard (public addresses, https).
 */
export function providerFetch(configuredUrls: readonly string[], allowlist: readonly string[]): FetchLike {
  const hosts = configuredUrls.map((u) => new URL(u).hostname.replace(/^\[|\]$/g, ''));
  const policy = createOutboundPolicy({ allowlist: [...allowlist, ...hosts] });
  return guardedFetch(policy, { timeoutMs: PROVIDER_TIMEOUT_MS, deadlineMs: PROVIDER_DEADLINE_MS, maxBodyBytes: PROVIDER_MAX_BODY_BYTES, maxRedirects: 0 });
}

/** A provider call answered with something other than what was asked (status, JSON): the sign-in fails with 502. */
export class ProviderError extends Error {}

/** GET (or POST) and parse a JSON answer; a non-2xx status or a body that is not JSON is a ProviderError. */
export async function fetchJson(fetch: FetchLike, url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { redirect: 'error', ...init });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProviderError(`${new URL(url).host} answered ${res.status} without JSON`);
  }
  return { status: res.status, body };
}
