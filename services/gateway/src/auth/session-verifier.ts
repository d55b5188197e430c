import { Inject, Injectable } from '@nestjs/common';
import { AuthSubjects, DomainError, EndAllSessionsCommand, EndSessionCommand, EndSessionsResult, GetUserCommand, GetUserResult, hashSessionToken,
  isSessionToken, SignInCommand, SignInResult, VerifySessionCommand, VerifySessionResult, type UserProfile } from '@harness/contracts';
import { commandDef as def } from '../core/send-command.js';
import { AuthCommands } from '../mcp-oauth/auth-commands.js';

/** The auth service's sign-in commands (it owns users, identities and sessions; the gateway never reads their tables). */
export const SessionCommand = {
  signIn: def(() => AuthSubjects.signIn, SignInCommand, SignInResult),
  verify: def(() => AuthSubjects.verifySession, VerifySessionCommand, VerifySessionResult),
  end: def(() => AuthSubjects.endSession, EndSessionCommand, EndSessionsResult),
  endAll: def(() => AuthSubjects.endAllSessions, EndAllSessionsCommand, EndSessionsResult),
  getUser: def(() => AuthSubjects.getUser, GetUserCommand, GetUserResult),
} as const;

/** A verification is on the request's path: one indexed lookup in the auth service, or the request is 503. */
const VERIFY_TIMEOUT_MS = 5_000;
/**
 * How long a positive verification is trusted on this replica. A sign-out through this replica drops it at once; one
 * through another replica (or an expiry) takes effect here within this window.
 */
export const SESSION_CACHE_TTL_MS = 5_000;
export const SESSION_CACHE_ENTRIES = 10_000;

export interface VerifiedSession {
  user: UserProfile;
  sessionId: string;
  tokenHash: string;
}

interface Entry {
  session: VerifiedSession;
  until: number;
}

/**
 * The `harness_session` cookie → its session, asked of the auth service (the token's SHA-256 only) unless a recent
 * answer is cached: a bounded map (oldest evicted first) of entries living at most SESSION_CACHE_TTL_MS and never past
 * the session's absolute expiry. Unknown, ended or expired sessions are 401.
 */
@Injectable()
export class SessionVerifier {
  private readonly cache = new Map<string, Entry>();

  constructor(@Inject(AuthCommands) private readonly auth: AuthCommands) {}

  /** `beforeRemote`: runs just before the auth service is asked (not for a cached session), and may refuse. */
  async verify(token: string, beforeRemote?: () => Promise<void>, now = Date.now()): Promise<VerifiedSession> {
    if (!isSessionToken(token)) throw new DomainError('unauthorized', 'the session is not valid; sign in again');
    const tokenHash = hashSessionToken(token);
    const cached = this.cache.get(tokenHash);
    if (cached && cached.until > now) return cached.session;
    this.cache.delete(tokenHash);
    await beforeRemote?.();
    const answer = await this.auth.send(SessionCommand.verify, { tokenHash }, VERIFY_TIMEOUT_MS);
    if (!answer.valid) throw new DomainError('unauthorized', 'the session has ended or expired; sign in again');
    const session = { user: answer.user, sessionId: answer.sessionId, tokenHash };
    const until = Math.min(now + SESSION_CACHE_TTL_MS, Date.parse(answer.expiresAt) || 0);
    if (until > now) {
      this.cache.set(tokenHash, { session, until });
      while (this.cache.size > SESSION_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    }
    return session;
  }

  /** Sessions ended through this replica stop working here at once. */
  forget(tokenHashes: readonly string[]): void {
    for (const hash of tokenHashes) this.cache.delete(hash);
  }

  get size(): number {
    return this.cache.size;
  }
}
