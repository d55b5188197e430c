import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { decryptSecret, encryptSecret, type Keyring } from '@harness/crypto';
import { appendSetCookie, readCookie } from '../http/cookies.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';

/** How long a sign-in may take, from the redirect to the provider to its callback. */
export const LOGIN_STATE_TTL_SECONDS = 600;
/** The cookie that ties a sign-in to the browser that started it. */
export const LOGIN_BINDING_COOKIE = 'harness_login';
const RANDOM_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** What the login route decided before passport redirects (kept with the state). */
export interface LoginContext {
  providerId: string;
  nonce: string;
  returnTo: string;
}
/** A login state as stored, and handed to the verify step at the callback. */
export interface LoginState extends LoginContext {
  verifier: string;
  browserHash: string;
}

const contexts = new WeakMap<object, LoginContext>();
const loaded = new WeakMap<object, LoginState>();
/** Set by the login route before passport.authenticate (passport calls the store with the request only). */
export const setLoginContext = (req: object, context: LoginContext): void => void contexts.set(req, context);
/** At the callback, after the store verified the state: what was stored with it. */
export const loadedLoginState = (req: object): LoginState | undefined => loaded.get(req);

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

type Stored = (err: Error | null, state?: string) => void;
type Verified = (err: Error | null, ok?: string | false, info?: { message: string }) => void;

/**
 * passport-oauth2's state store (`store` option, PKCE form), server-side in Redis instead of a session:
 * - `store`: a new `state` (256 random bits), and under `<namespace>:login:<sha256(state)>` the provider, the PKCE
 *   verifier, the nonce, returnTo and the hash of the browser's `harness_login` cookie, encrypted (the verifier is a
 *   secret), for LOGIN_STATE_TTL_SECONDS. The cookie (HttpOnly, SameSite=Lax, Path=/auth: sent to the login route too) is reused while
 *   valid, so sign-ins in two tabs both complete.
 * - `verify`: GETDEL (single use: a replayed callback finds nothing), then the callback must be for the same provider
 *   and come from the browser that started it (its cookie's hash): a callback URL sent to someone else signs nobody in.
 */
export class LoginStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyring: Keyring,
    private readonly namespace: string,
    private readonly secureCookie: boolean,
  ) {}

  private key(state: string): string {
    return `${this.namespace}:login:${sha256(state)}`;
  }

  private cookie(value: string, maxAge: number): string {
    return `${LOGIN_BINDING_COOKIE}=${value}; Path=/auth; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${this.secureCookie ? '; Secure' : ''}`;
  }

  store(req: HttpRequest & { res?: HttpResponse }, verifier: string, _state: unknown, _meta: unknown, callback: Stored): void {
    const context = contexts.get(req);
    if (!context || !req.res) {
      callback(new Error('login state store: no login context on the request'));
      return;
    }
    const current = readCookie(req.headers.cookie, LOGIN_BINDING_COOKIE);
    const binding = current !== undefined && RANDOM_VALUE.test(current) ? current : randomBytes(32).toString('base64url');
    const state = randomBytes(32).toString('base64url');
    const record: LoginState = { ...context, verifier, browserHash: sha256(binding) };
    const res = req.res;
    this.redis.set(this.key(state), encryptSecret(JSON.stringify(record), this.keyring), 'EX', LOGIN_STATE_TTL_SECONDS).then(
      () => {
        appendSetCookie(res, this.cookie(binding, LOGIN_STATE_TTL_SECONDS));
        callback(null, state);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }

  verify(req: HttpRequest & { params?: Record<string, string> }, providedState: unknown, _meta: unknown, callback: Verified): void {
    if (typeof providedState !== 'string' || !RANDOM_VALUE.test(providedState)) {
      callback(null, false, { message: 'the sign-in has no valid state: start again' });
      return;
    }
    this.redis.getdel(this.key(providedState)).then(
      (raw) => {
        if (raw === null) {
          callback(null, false, { message: 'this sign-in has expired or was already used: start again' });
          return;
        }
        let record: LoginState;
        try {
          record = JSON.parse(decryptSecret(raw, this.keyring)) as LoginState;
        } catch {
          // Written under a key no longer in the keyring (rotated within the 10 minutes): start again.
          callback(null, false, { message: 'this sign-in can no longer be read: start again' });
          return;
        }
        if (record.providerId !== req.params?.providerId) {
          callback(null, false, { message: 'this sign-in was started with another provider: start again' });
          return;
        }
        const binding = readCookie(req.headers.cookie, LOGIN_BINDING_COOKIE);
        const expected = Buffer.from(record.browserHash, 'hex');
        const actual = Buffer.from(binding !== undefined && RANDOM_VALUE.test(binding) ? sha256(binding) : '', 'hex');
        if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
          callback(null, false, { message: 'this sign-in was started in another browser: start it again here' });
          return;
        }
        loaded.set(req, record);
        callback(null, record.verifier);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }
}
