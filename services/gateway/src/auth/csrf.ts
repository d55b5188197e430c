import { DomainError } from '@harness/contracts';

/** Methods that never change state: a cookie may authenticate them from anywhere (CORS still guards the answer). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The header the web app sends on every request: a cross-site form or a simple request cannot carry it. */
export const CLIENT_HEADER = 'x-harness-client';
export const CLIENT_HEADER_VALUE = 'web';

export interface CsrfRequest {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The app's origins: WEB_ORIGIN and PUBLIC_URL's origin (the web app is served by the gateway too). Compared as
 * serialized origins, so `http://localhost:3000/` and `http://localhost:3000` are one.
 */
export function appOrigins(webOrigin: string, publicUrl: string): Set<string> {
  return new Set([new URL(webOrigin).origin, new URL(publicUrl).origin]);
}

/**
 * May a cookie-authenticated request go on? Safe methods always; anything else only with `Origin` one of the app's
 * origins AND `X-Harness-Client: web` (the custom header forces a CORS preflight for any other origin, and Origin is
 * set by the browser, never by a page's script). `requireClientHeader: false` only for pages whose own script cannot
 * send the header (Bull Board): Origin alone.
 */
export function csrfAllowed(req: CsrfRequest, origins: ReadonlySet<string>, requireClientHeader = true): boolean {
  if (SAFE_METHODS.has((req.method ?? 'GET').toUpperCase())) return true;
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !origins.has(origin)) return false;
  return !requireClientHeader || req.headers[CLIENT_HEADER] === CLIENT_HEADER_VALUE;
}

/** 403 `csrf_failed`: what a cookie request that changes state lacked. */
export const csrfError = (): DomainError =>
  new DomainError('csrf_failed', 'a request signed in by cookie that changes state needs the app\'s Origin and the header X-Harness-Client: web');
