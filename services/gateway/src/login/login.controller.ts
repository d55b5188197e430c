import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import passportOAuth2 from 'passport-oauth2';
import type { Config } from '@harness/config';
import { hashSessionToken, isSessionToken, SESSION_COOKIE } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import { CurrentUser, Public } from '../auth/auth.guard.js';
import { appOrigins, csrfAllowed, csrfError } from '../auth/csrf.js';
import { SessionCommand, SessionVerifier } from '../auth/session-verifier.js';
import { CONFIG, LOGGER } from '../core/tokens.js';
import { appendSetCookie, readCookie } from '../http/cookies.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { RateLimits } from '../limits/rate-limits.js';
import { AuthCommands } from '../mcp-oauth/auth-commands.js';
import { sendLoginErrorPage } from './login-page.js';
import { LoginProviders, type VerifiedIdentity } from './login-providers.js';
import { loadedLoginState, setLoginContext } from './login-state-store.js';
import { safeReturnTo } from './return-to.js';
import { clearedSessionCookie, sessionCookie } from './session-cookie.js';

type ExpressRequest = HttpRequest & { query: Record<string, unknown>; params: Record<string, string>; ip?: string };
type Outcome = { err: unknown; user: VerifiedIdentity | false; info: { message?: string } | undefined };

const { TokenError, AuthorizationError } = passportOAuth2 as unknown as { TokenError: new () => Error & { code?: string }; AuthorizationError: new () => Error & { code?: string } };

/**
 * Signing people in (docs/api.md, "Sign-in, sessions and keys"): the providers, the redirect to one, its callback
 * (the auth service opens the session; the browser gets the `harness_session` cookie) and signing out.
 */
@Controller()
export class LoginController {
  private readonly secure: boolean;
  private readonly origins: Set<string>;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(LoginProviders) private readonly providers: LoginProviders,
    @Inject(AuthCommands) private readonly auth: AuthCommands,
    @Inject(SessionVerifier) private readonly sessions: SessionVerifier,
    @Inject(RateLimits) private readonly limits: RateLimits,
  ) {
    this.secure = new URL(config.gateway.publicUrl).protocol === 'https:';
    this.origins = appOrigins(config.gateway.webOrigin, config.gateway.publicUrl);
  }

  @Public()
  @Get('v1/auth/providers')
  list() {
    return { items: this.providers.list() };
  }

  /** Redirects to the provider (302). Counted per client IP: each start keeps a state in Redis for 10 minutes. */
  @Public()
  @Get('auth/login/:providerId')
  async login(@Param('providerId') providerId: string, @Req() req: ExpressRequest, @Res() res: HttpResponse): Promise<void> {
    const provider = this.providers.get(providerId);
    if (!provider) return sendLoginErrorPage(res, 404, 'There is no sign-in provider of this name.');
    await this.limits.consume(`ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`, 'logins');
    const returnTo = safeReturnTo(req.query.returnTo);
    try {
      await this.providers.ready(provider);
    } catch {
      return sendLoginErrorPage(res, 502, `${provider.name} cannot be reached right now. Try again in a moment.`);
    }
    const nonce = randomBytes(32).toString('base64url');
    setLoginContext(req, { providerId, nonce, returnTo });
    // Only the strategy's own parameters: a `code` or `error` in this URL must not turn it into a callback.
    Object.defineProperty(req, 'query', { value: {}, configurable: true });
    res.setHeader('cache-control', 'no-store');
    res.setHeader('referrer-policy', 'no-referrer');
    await new Promise<void>((resolve) => {
      const authenticate = this.providers.passport.authenticate(providerId, { session: false, nonce } as never, (err: unknown) => {
        this.logger.warn({ ...errorFields(err), provider: providerId }, 'sign-in: could not start');
        sendLoginErrorPage(res, 503, 'The sign-in could not be started. Try again in a moment.');
        resolve();
      });
      res.once('close', () => resolve());
      authenticate(req, res, (err?: unknown) => {
        if (err) sendLoginErrorPage(res, 503, 'The sign-in could not be started. Try again in a moment.');
        resolve();
      });
    });
  }

  /** The provider's redirect back: on success the session cookie and a 302 to returnTo; any failure, the error page. */
  @Public()
  @Get('auth/callback/:providerId')
  async callback(@Param('providerId') providerId: string, @Req() req: ExpressRequest, @Res() res: HttpResponse): Promise<void> {
    const provider = this.providers.get(providerId);
    if (!provider) return sendLoginErrorPage(res, 404, 'There is no sign-in provider of this name.');
    res.setHeader('referrer-policy', 'no-referrer');
    if (typeof req.query.code !== 'string' && typeof req.query.error !== 'string') {
      return sendLoginErrorPage(res, 400, 'The provider\'s answer carries no authorization code.', this.retryPath(providerId));
    }
    // RFC 9207: a provider that names itself in the redirect must be the one this callback is for (mix-up defence).
    if (provider.type === 'oidc' && req.query.iss !== undefined && req.query.iss !== provider.issuer) {
      return sendLoginErrorPage(res, 400, 'The answer comes from another issuer than this provider\'s.', this.retryPath(providerId));
    }
    try {
      await this.providers.ready(provider);
    } catch {
      return sendLoginErrorPage(res, 502, `${provider.name} cannot be reached right now. Try again in a moment.`);
    }
    const outcome = await new Promise<Outcome>((resolve) => {
      const authenticate = this.providers.passport.authenticate(providerId, { session: false }, (err: unknown, user: VerifiedIdentity | false, info: Outcome['info']) =>
        resolve({ err, user, info }));
      authenticate(req, res, (err?: unknown) => resolve({ err: err ?? new Error('passport called next'), user: false, info: undefined }));
    });
    if (outcome.err) return this.failed(res, providerId, provider.name, outcome.err);
    if (!outcome.user) {
      this.logger.info({ provider: providerId, reason: outcome.info?.message }, 'sign-in refused');
      return sendLoginErrorPage(res, 400, `The sign-in was refused: ${outcome.info?.message || 'the provider did not confirm who you are'}.`, this.retryPath(providerId));
    }
    const state = loadedLoginState(req);
    const identity = outcome.user;
    let signedIn;
    try {
      signedIn = await this.auth.send(SessionCommand.signIn, {
        providerId: identity.providerId, subject: identity.subject, profile: identity.profile, idToken: identity.idToken,
        userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 500) : undefined,
      });
    } catch (err) {
      this.logger.warn({ ...errorFields(err), provider: providerId }, 'sign-in: the auth service did not open a session');
      return sendLoginErrorPage(res, 503, 'Harness could not complete the sign-in right now. Try again in a moment.', this.retryPath(providerId));
    }
    this.sessions.forget(signedIn.endedTokenHashes);
    appendSetCookie(res, sessionCookie(signedIn.sessionToken, new Date(signedIn.expiresAt), this.secure));
    res.statusCode = 302;
    res.setHeader('location', state?.returnTo ?? '/');
    res.setHeader('cache-control', 'no-store');
    res.end();
  }

  /** Ends this browser's session (CSRF-checked like every cookie request that changes state) and clears the cookie. */
  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<void> {
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (token !== undefined && isSessionToken(token)) {
      if (!csrfAllowed(req, this.origins)) throw csrfError();
      const tokenHash = hashSessionToken(token);
      const { tokenHashes } = await this.auth.send(SessionCommand.end, { tokenHash });
      this.sessions.forget([tokenHash, ...tokenHashes]);
    }
    appendSetCookie(res, clearedSessionCookie(this.secure));
  }

  /** Ends every session of the user (signed in by cookie, CSRF-checked by the guard, or by a bearer). */
  @Post('auth/logout-all')
  @HttpCode(204)
  async logoutAll(@CurrentUser() userId: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<void> {
    const { tokenHashes } = await this.auth.send(SessionCommand.endAll, { userId });
    this.sessions.forget(tokenHashes);
    if (req.credential?.kind === 'session') appendSetCookie(res, clearedSessionCookie(this.secure));
  }

  private retryPath(providerId: string): string {
    return `/auth/login/${providerId}`;
  }

  private failed(res: HttpResponse, providerId: string, name: string, err: unknown): void {
    const retry = this.retryPath(providerId);
    if (err instanceof TokenError || err instanceof AuthorizationError) {
      this.logger.info({ provider: providerId, reason: err.code, message: err.message }, 'sign-in refused by the provider');
    }
    if (err instanceof TokenError && CLIENT_REFUSED.has(err.code ?? '')) {
      // Not the person's doing and not fixed by starting again: the operator's client id, secret or redirect URI.
      this.logger.warn({ provider: providerId, reason: err.code }, 'sign-in: the provider refused the gateway\'s client configuration');
      return sendLoginErrorPage(res, 502, `${name} refused Harness's client credentials (${err.code}): the sign-in is not set up correctly. Tell the operator.`, retry);
    }
    if (err instanceof TokenError) {
      return sendLoginErrorPage(res, 400, `${name} refused the authorization code (${err.code ?? 'error'}): it was already used or has expired. Start again.`, retry);
    }
    if (err instanceof AuthorizationError) {
      return sendLoginErrorPage(res, 400, `${name} refused the sign-in (${err.code ?? 'error'}${err.message ? `: ${err.message}` : ''}).`, retry);
    }
    this.logger.warn({ ...errorFields(err), provider: providerId }, 'sign-in: the provider failed');
    return sendLoginErrorPage(res, 502, `${name} did not answer as expected. Try again in a moment.`, retry);
  }
}

/**
 * Token endpoint errors that mean the gateway's client registration is wrong (RFC 6749 §5.2's, and GitHub's own
 * codes: it answers a wrong secret with `incorrect_client_credentials`, a wrong callback with `redirect_uri_mismatch`).
 */
const CLIENT_REFUSED = new Set(['invalid_client', 'unauthorized_client', 'incorrect_client_credentials', 'redirect_uri_mismatch']);
