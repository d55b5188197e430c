import type { FetchLike } from '@harness/outbound';
import type OAuth2Strategy from 'passport-oauth2';
import { fetchJson } from './provider-fetch.js';

export type TokenEndpointAuth = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface TokenExchangeOptions {
  fetch: FetchLike;
  tokenUrl: string;
  clientId: string;
  clientSecret: string | undefined;
  auth: TokenEndpointAuth;
}

type TokenCallback = (err: { statusCode: number; data?: string } | Error | null, accessToken?: string, refreshToken?: string, params?: Record<string, unknown>) => void;

/** RFC 6749 §2.3.1: the client id and secret are form-urlencoded before they are joined for Basic. */
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** The token request's form and headers for the client authentication method (the secret never in two places). */
export function tokenRequest(options: Omit<TokenExchangeOptions, 'fetch' | 'tokenUrl'>, params: Record<string, string>): { body: URLSearchParams; headers: Record<string, string> } {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (options.auth === 'client_secret_basic' && options.clientSecret) {
    headers.authorization = basic(options.clientId, options.clientSecret);
  } else {
    body.set('client_id', options.clientId);
    if (options.auth === 'client_secret_post' && options.clientSecret) body.set('client_secret', options.clientSecret);
  }
  return { body, headers };
}

/**
 * passport-oauth2 drives the flow (state, PKCE, redirect, callback) but its token request goes through the `oauth`
 * package's own http client, with the secret always in the body. This replaces that one call on the strategy: the
 * request goes through libs/outbound's guarded fetch, authenticated as the provider expects, and answers passport in
 * the shape it expects (an error `{statusCode, data}` is turned into a TokenError by passport-oauth2).
 */
export function useGuardedTokenExchange(strategy: OAuth2Strategy, options: TokenExchangeOptions): void {
  const oauth2 = (strategy as unknown as { _oauth2: { getOAuthAccessToken: (code: string, params: Record<string, string>, cb: TokenCallback) => void } })._oauth2;
  oauth2.getOAuthAccessToken = (code, params, callback) => {
    const { body, headers } = tokenRequest(options, { ...params, code });
    fetchJson(options.fetch, options.tokenUrl, { method: 'POST', headers, body }).then(
      ({ status, body: answer }) => {
        const json = (answer ?? {}) as Record<string, unknown>;
        if (status < 200 || status > 299 || typeof json !== 'object' || json.error !== undefined) {
          callback({ statusCode: status, data: JSON.stringify(json) });
          return;
        }
        const { refresh_token: refresh, ...rest } = json;
        callback(null, typeof json.access_token === 'string' ? json.access_token : undefined, typeof refresh === 'string' ? refresh : undefined, rest);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  };
}
