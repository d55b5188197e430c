import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** An enterprise IdP an authorization server trusts: its issuer and where its signing keys are. */
export interface TrustedIdp {
  issuer: string;
  jwksUrl: string;
}

export interface VerifiedIdJag {
  issuer: string;
  subject: string;
  resource: string;
  jti: string;
  scope: string | undefined;
}

const MAX_USED_JTIS = 10_000;
const keySets = new Map<string, JWTVerifyGetKey>();
const keySetOf = (jwksUrl: string): JWTVerifyGetKey => {
  let set = keySets.get(jwksUrl);
  if (!set) {
    if (keySets.size >= 100) keySets.delete(keySets.keys().next().value!);
    set = createRemoteJWKSet(new URL(jwksUrl));
    keySets.set(jwksUrl, set);
  }
  return set;
};

const sameUrl = (a: string, b: string): boolean => a.replace(/\/$/, '') === b.replace(/\/$/, '');

/**
 * The authorization server's checks of an identity assertion grant (draft-ietf-oauth-identity-assertion-authz-grant,
 * RFC 7523 §3): `typ` oauth-id-jag+jwt, issued by a trusted IdP (signature by its JWKS, `iss`), for this
 * authorization server (`aud`), unexpired (`exp` required), for this resource, for the authenticating client
 * (`client_id`), with a `jti` not seen before. Throws with the reason.
 */
export async function verifyIdJag(
  assertion: string,
  o: { trusted: readonly TrustedIdp[]; issuer: string; resource: string; clientId: string; usedJtis: Map<string, number> },
): Promise<VerifiedIdJag> {
  let typ: unknown;
  let iss: unknown;
  try {
    typ = decodeProtectedHeader(assertion).typ;
    iss = decodeJwt(assertion).iss;
  } catch {
    throw new Error('not a JWT');
  }
  if (typ !== 'oauth-id-jag+jwt') throw new Error(`typ is ${String(typ)}, not oauth-id-jag+jwt`);
  const idp = o.trusted.find((t) => t.issuer === iss);
  if (!idp) throw new Error(`issuer ${String(iss)} is not a trusted IdP`);
  const { payload } = await jwtVerify(assertion, keySetOf(idp.jwksUrl), {
    issuer: idp.issuer,
    audience: [o.issuer, `${o.issuer}/`],
    typ: 'oauth-id-jag+jwt',
    requiredClaims: ['exp', 'sub', 'jti'],
    clockTolerance: 5,
  });
  if (typeof payload.resource !== 'string' || !sameUrl(payload.resource, o.resource)) throw new Error(`resource ${String(payload.resource)} is not this server's`);
  if (payload.client_id !== o.clientId) throw new Error('client_id differs from the authenticating client');
  const jti = payload.jti!;
  const now = Date.now();
  if ((o.usedJtis.get(jti) ?? 0) > now) throw new Error('jti already used');
  o.usedJtis.set(jti, payload.exp! * 1000 + 5_000);
  if (o.usedJtis.size > MAX_USED_JTIS) o.usedJtis.delete(o.usedJtis.keys().next().value!);
  return { issuer: idp.issuer, subject: payload.sub!, resource: payload.resource, jti, scope: typeof payload.scope === 'string' ? payload.scope : undefined };
}
