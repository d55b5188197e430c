import { customFetch, createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { FetchLike } from '@harness/outbound';
import type { IdentityProfile } from '@harness/contracts';

/** The sign-in is refused: the provider's answer does not prove who the person is (400 page). */
export class LoginRefused extends Error {}

export interface IdTokenCheck {
  issuer: string;
  clientId: string;
  nonce: string;
  algorithms: string[];
}

/** The JWKS of a provider, fetched (and refetched on an unknown `kid`, at most every 30 s) through the guarded fetch. */
export function remoteKeys(jwksUri: string, fetch: FetchLike) {
  return createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: 10_000,
    cooldownDuration: 30_000,
    [customFetch]: (url: string, init: RequestInit) => fetch(url, init),
  });
}

/**
 * The ID token (OIDC Core §3.1.3.7): signed by a key of the provider's JWKS with one of its asymmetric algorithms,
 * `iss` the issuer, `aud` containing the client id (and `azp` the client id when there are several audiences), `exp`
 * in the future, `nonce` the one this sign-in sent. Any failure is LoginRefused with the reason.
 */
export async function verifyIdToken(idToken: unknown, keys: ReturnType<typeof remoteKeys>, check: IdTokenCheck): Promise<JWTPayload & { sub: string }> {
  if (typeof idToken !== 'string' || idToken.length === 0) throw new LoginRefused('the provider sent no ID token');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, keys, {
      issuer: check.issuer, audience: check.clientId, algorithms: check.algorithms, requiredClaims: ['exp', 'iat', 'sub'], clockTolerance: 60,
    }));
  } catch (err) {
    throw new LoginRefused(`the provider's ID token was refused: ${reasonOf(err)}`);
  }
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== check.clientId) {
    throw new LoginRefused('the provider\'s ID token was refused: it names several audiences and another authorized party');
  }
  if (payload.nonce !== check.nonce) throw new LoginRefused('the provider\'s ID token was refused: its nonce is not the one this sign-in sent');
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
    throw new LoginRefused('the provider\'s ID token was refused: its subject is missing or too long');
  }
  return payload as JWTPayload & { sub: string };
}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'it has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `its "${err.claim}" claim is not valid`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key of the provider matches its signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'it is signed with an algorithm that is not allowed';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'it is malformed';
  if (err instanceof errors.JWKSTimeout) return 'the provider\'s keys could not be fetched in time';
  return 'it could not be verified';
}

const text = (value: unknown, max: number): string | null => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null);
/** http(s) URLs only (an avatar is shown in an `<img>`). */
export const webUrl = (value: unknown): string | null => {
  const s = text(value, 2_000);
  return s && /^https?:\/\//i.test(s) && URL.canParse(s) ? s : null;
};

/** What the ID token says about the person (OIDC standard claims), bounded as the contract wants. */
export function profileOfClaims(claims: JWTPayload): IdentityProfile {
  const email = text(claims.email, 320);
  return {
    name: text(claims.name, 200) ?? text(claims.preferred_username, 200),
    email,
    emailVerified: email !== null && claims.email_verified === true,
    avatarUrl: webUrl(claims.picture),
  };
}
