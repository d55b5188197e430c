import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@harness/config';
import { apiKeyOfAuthorization, DomainError, SESSION_COOKIE, type UserProfile } from '@harness/contracts';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import { CONFIG } from '../core/tokens.js';
import { readCookie } from '../http/cookies.js';
import type { HttpRequest } from '../http/types.js';
import { appOrigins, csrfAllowed, csrfError } from './csrf.js';
import { RateLimits } from '../limits/rate-limits.js';
import { ExternalTokenVerifier } from './external-token.js';
import { SessionVerifier } from './session-verifier.js';
import { verifyUserToken } from './verify-token.js';

/** How a request was authenticated: a bearer (JWT or API key), or the browser's session cookie. */
export type Credential = { kind: 'bearer' } | { kind: 'session'; user: UserProfile; sessionId: string; tokenHash: string };

export interface AuthenticateOptions {
  /** false only where the page's own script cannot send `X-Harness-Client` (Bull Board): the Origin check alone. */
  requireClientHeader?: boolean;
}

/**
 * The user of a request. `Authorization` wins when present (an API key `hk_…`, asked of the auth service, an
 * external IdP's access token (ExternalTokenVerifier), or an HS256 JWT), and is never subject to the CSRF check (a browser never adds it on its own). Otherwise the
 * `harness_session` cookie, verified by the auth service; a cookie request that changes state must pass the CSRF
 * check (csrfAllowed), else 403 `csrf_failed`. Sets `req.userId` and `req.credential`.
 */
@Injectable()
export class Authenticator {
  private readonly secret: Uint8Array;
  private readonly origins: Set<string>;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(ApiKeyVerifier) private readonly apiKeys: ApiKeyVerifier,
    @Inject(SessionVerifier) private readonly sessions: SessionVerifier,
    @Inject(ExternalTokenVerifier) private readonly external: ExternalTokenVerifier,
    @Inject(RateLimits) private readonly limits: RateLimits,
  ) {
    this.secret = new TextEncoder().encode(config.jwtSecret);
    this.origins = appOrigins(config.gateway.webOrigin, config.gateway.publicUrl);
  }

  async authenticate(req: HttpRequest, options: AuthenticateOptions = {}): Promise<string> {
    const authorization = req.headers.authorization;
    const cookie = authorization === undefined ? readCookie(req.headers.cookie, SESSION_COOKIE) : undefined;
    if (authorization !== undefined || cookie === undefined) {
      const key = apiKeyOfAuthorization(authorization);
      req.userId = key !== undefined ? await this.limitingFailures(req, (beforeRemote) => this.apiKeys.userOf(key, beforeRemote))
        : this.external.accepts(authorization) ? await this.external.verify(authorization)
          : await verifyUserToken(authorization, this.secret);
      req.credential = { kind: 'bearer' };
      return req.userId;
    }
    const session = await this.limitingFailures(req, (beforeRemote) => this.sessions.verify(cookie, beforeRemote));
    if (!csrfAllowed(req, this.origins, options.requireClientHeader ?? true)) {
      throw csrfError();
    }
    req.userId = session.user.id;
    req.credential = { kind: 'session', ...session };
    return req.userId;
  }

  /**
   * Credentials only the auth service can check (API keys, sessions) cost it a lookup each: an address whose guesses
   * it refused `authFailures` times in the window gets 429 for unknown ones, without asking it (cached credentials
   * still work). Each refusal counts against the address.
   */
  private async limitingFailures<T>(req: HttpRequest, verify: (beforeRemote: () => Promise<void>) => Promise<T>): Promise<T> {
    // Express's `ip` (it honours the app's `trust proxy` setting).
    const address = `ip:${(req as HttpRequest & { ip?: string }).ip ?? req.socket?.remoteAddress ?? 'unknown'}`;
    try {
      return await verify(() => this.limits.refuseIfExhausted(address, 'authFailures'));
    } catch (err) {
      if (err instanceof DomainError && err.code === 'unauthorized') await this.limits.count(address, 'authFailures');
      throw err;
    }
  }
}
