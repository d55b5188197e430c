import { SignJWT } from 'jose';

export const USER_ID_PATTERN = /^[A-Za-z0-9._@-]{1,128}$/;

/**
 * Signs a user token the way the API expects: HS256 with `secret`, `sub` = userId, `iat`, and `exp` after `ttl`
 * (a jose time span such as '1h', '30d', '15m'; default '1h'). Throws on a user id the API would reject.
 */
export async function signToken(secret: string, userId: string, ttl: string | number = '1h'): Promise<string> {
  if (!USER_ID_PATTERN.test(userId)) throw new Error(`invalid user id ${JSON.stringify(userId)}`);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(secret));
}
