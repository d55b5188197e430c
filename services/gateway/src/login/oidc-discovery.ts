import { z } from 'zod';
import type { FetchLike } from '@harness/outbound';
import { fetchJson, ProviderError } from './provider-fetch.js';

const Endpoint = z.url({ protocol: /^https?$/ }).max(2_000);
/** The parts of an OpenID Provider's metadata the sign-in uses. */
export const OidcMetadata = z.object({
  issuer: z.string(),
  authorization_endpoint: Endpoint,
  token_endpoint: Endpoint,
  jwks_uri: Endpoint,
  id_token_signing_alg_values_supported: z.array(z.string()).max(50).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).max(50).optional(),
  code_challenge_methods_supported: z.array(z.string()).max(20).optional(),
});
export type OidcMetadata = z.infer<typeof OidcMetadata>;

/** Signature algorithms an ID token may use: asymmetric only (never `none`, never HS* with a key anyone can fetch). */
const ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

/** The ID token algorithms accepted from this provider: those it lists that are asymmetric; RS256 when it lists none. */
export function idTokenAlgorithms(metadata: OidcMetadata): string[] {
  const listed = metadata.id_token_signing_alg_values_supported;
  if (!listed) return ['RS256'];
  const allowed = listed.filter((alg) => ASYMMETRIC.has(alg));
  if (allowed.length === 0) throw new ProviderError('the provider lists no asymmetric ID token signing algorithm');
  return allowed;
}

/**
 * OpenID Connect Discovery 1.0: `${issuer}/.well-known/openid-configuration`, whose `issuer` must equal the
 * configured one exactly (§4.3), else the provider is refused (a mix-up or a misconfiguration).
 */
export async function discover(fetch: FetchLike, issuer: string): Promise<OidcMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const { status, body } = await fetchJson(fetch, url, { headers: { accept: 'application/json' } });
  if (status !== 200) throw new ProviderError(`discovery at ${url} answered ${status}`);
  const parsed = OidcMetadata.safeParse(body);
  if (!parsed.success) throw new ProviderError(`discovery at ${url}: ${parsed.error.issues[0]?.path.join('.')} is missing or invalid`);
  if (parsed.data.issuer !== issuer) throw new ProviderError(`discovery at ${url} names the issuer ${parsed.data.issuer}, not ${issuer}`);
  return parsed.data;
}
