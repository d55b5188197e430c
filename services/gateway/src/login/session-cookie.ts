import { SESSION_COOKIE } from '@harness/contracts';

/**
 * The browser's credential: `harness_session`, HttpOnly (no script reads it), SameSite=Lax (sent on top-level
 * navigations back from a provider, never on cross-site subrequests or posts), Path=/, Secure when PUBLIC_URL is
 * https, living until the session's absolute expiry.
 */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean, now = Date.now()): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now) / 1000));
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** Removes the cookie (sign-out, or a cookie that no longer verifies). */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
