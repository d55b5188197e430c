import { errors, jwtVerify } from 'jose';
import { DomainError, UserId } from '@harness/contracts';

/** A user token: HS256 JWT with `exp`, `sub` = user id. Anything else is 401 unauthorized. Returns the user id. */
export async function verifyUserToken(authorization: string | undefined, secret: Uint8Array): Promise<string> {
  const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(authorization ?? '');
  if (!match) throw new DomainError('unauthorized', 'a bearer token is required');
  let sub: unknown;
  try {
    const { payload } = await jwtVerify(match[1], secret, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
    sub = payload.sub;
  } catch (err) {
    const expired = err instanceof errors.JWTExpired;
    throw new DomainError('unauthorized', expired ? 'the token has expired' : 'the token is not valid');
  }
  if (!UserId.safeParse(sub).success) throw new DomainError('unauthorized', 'the token subject is not a valid user id');
  return sub as string;
}
