import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@harness/config';
import { DomainError, type UserProfile } from '@harness/contracts';
import { SessionCommand } from '../auth/session-verifier.js';
import { CONFIG } from '../core/tokens.js';
import { AuthCommands } from '../mcp-oauth/auth-commands.js';

/** How long a user's profile (for e-mail entries) is trusted, and how many are kept. */
export const PROFILE_CACHE_TTL_MS = 30_000;
export const PROFILE_CACHE_ENTRIES = 1_000;
const PROFILE_TIMEOUT_MS = 5_000;

/**
 * Who is an admin: HARNESS_ADMIN_USERS names user ids or e-mail addresses. An id entry matches that user id; an entry
 * with `@` also matches a user whose e-mail equals it (case-insensitively) and whose provider said it is verified. The
 * profile is the session's (cookie requests) or asked of the auth service (`user-get`), cached briefly, and only when
 * some entry could be an e-mail and the id itself did not match.
 */
@Injectable()
export class AdminPolicy {
  private readonly entries: Set<string>;
  private readonly emails: Set<string>;
  private readonly profiles = new Map<string, { user: UserProfile | null; until: number }>();

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(AuthCommands) private readonly auth: AuthCommands,
  ) {
    this.entries = new Set(config.gateway.adminUsers);
    this.emails = new Set(config.gateway.adminUsers.filter((e) => e.includes('@')).map((e) => e.toLowerCase()));
  }

  /** `profile`: the user's profile when the caller has it already (a session's). */
  async isAdmin(userId: string, profile?: UserProfile | null): Promise<boolean> {
    if (this.entries.has(userId)) return true;
    if (this.emails.size === 0) return false;
    const user = profile === undefined ? await this.profileOf(userId) : profile;
    return matchesAdminEmail(user, this.emails);
  }

  /** Throws 403 `forbidden` unless the user is an admin. */
  async requireAdmin(userId: string, what = 'this endpoint', profile?: UserProfile | null): Promise<void> {
    if (!(await this.isAdmin(userId, profile))) throw new DomainError('forbidden', `${what} is for admin users only`);
  }

  /** The user's profile from the auth service (null: never signed in), cached for PROFILE_CACHE_TTL_MS. */
  async profileOf(userId: string, now = Date.now()): Promise<UserProfile | null> {
    const cached = this.profiles.get(userId);
    if (cached && cached.until > now) return cached.user;
    const { user } = await this.auth.send(SessionCommand.getUser, { userId }, PROFILE_TIMEOUT_MS);
    this.profiles.delete(userId);
    this.profiles.set(userId, { user, until: now + PROFILE_CACHE_TTL_MS });
    while (this.profiles.size > PROFILE_CACHE_ENTRIES) this.profiles.delete(this.profiles.keys().next().value as string);
    return user;
  }
}

/** A verified e-mail of the user among the admin e-mail entries (lower-cased). */
export function matchesAdminEmail(user: UserProfile | null, adminEmails: ReadonlySet<string>): boolean {
  return Boolean(user?.email && user.emailVerified && adminEmails.has(user.email.toLowerCase()));
}
