import { createHash } from 'node:crypto';

/** 1..64 of letters, digits, dot, underscore, hyphen: safe in a URL, an e-mail local part and a log line. */
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;

export const USERNAME_RULE = '1 to 64 letters, digits, dots, underscores or hyphens';

export function isValidUsername(value: string): boolean {
  return USERNAME.test(value);
}

/**
 * The OIDC `sub` of a username: opaque like a real provider's, and derived (not stored) so the same username gets
 * the same subject across sign-ins and restarts of the tool.
 */
export function subjectFor(username: string): string {
  return `dev-${createHash('sha256').update(`harness-dev-idp:${username}`).digest('base64url').slice(0, 32)}`;
}

export interface DevIdentityClaims {
  sub: string;
  name: string;
  preferred_username: string;
  email: string;
  email_verified: true;
}

export function claimsFor(username: string): DevIdentityClaims {
  return {
    sub: subjectFor(username),
    name: username,
    preferred_username: username,
    email: `${username}@dev.local`,
    email_verified: true,
  };
}
