import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@harness/config';
import { CONFIG } from '../core/tokens.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';

/** The request that sets the cookie (CORS allows it with credentials, see app.ts). */
export const MCP_OAUTH_START_PATH = '/v1/mcp/oauth/start';
/** The cookie that ties an MCP OAuth flow to the browser that started it. */
export const BINDING_COOKIE = 'harness_oauth_binding';
/** 256 random bits, base64url: what this gateway issues, and the only cookie value it accepts back. */
const BINDING_VALUE = /^[A-Za-z0-9_-]{43}$/;

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/**
 * The browser binding of MCP OAuth flows: `POST /v1/mcp/oauth/start` (bearer-authenticated) gives the browser an opaque
 * random value in an HttpOnly cookie, the auth service stores its hash with the state, and the callback (a browser
 * navigation without a token) passes the cookie back: a state started by another browser is refused there.
 *
 * The cookie is reused while valid, and set again with its full lifetime on every start, so several popups of one
 * browser all complete. Path: the directory of the redirect URI (`/v1/mcp/oauth`), which holds start and callback.
 * SameSite=Lax: sent on the authorization server's top-level redirect back, never on cross-site subrequests.
 * Max-Age: the state lifetime. Secure when PUBLIC_URL is https.
 *
 * Once Harness has sign-in, the signed-in session is the binding: these two methods return the session's id instead,
 * and nothing else changes (the auth service only sees an opaque value).
 */
@Injectable()
export class BrowserBinding {
  private readonly attributes: string;

  constructor(@Inject(CONFIG) config: Config) {
    const redirectPath = new URL(config.oauth.redirectUrl).pathname;
    const path = redirectPath.slice(0, redirectPath.lastIndexOf('/')) || '/';
    const secure = new URL(config.gateway.publicUrl).protocol === 'https:' ? '; Secure' : '';
    this.attributes = `Path=${path}; Max-Age=${Math.ceil(config.oauth.stateTtlMs / 1000)}; HttpOnly; SameSite=Lax${secure}`;
  }

  /** At start: the browser's binding (its cookie's when valid, else a new one), (re)set on the response. */
  forStart(req: HttpRequest, res: HttpResponse): string {
    const binding = this.atCallback(req) ?? randomBytes(32).toString('base64url');
    res.setHeader('set-cookie', `${BINDING_COOKIE}=${binding}; ${this.attributes}`);
    return binding;
  }

  /** At the callback: the binding the browser carried, if it is one this gateway could have issued. */
  atCallback(req: HttpRequest): string | undefined {
    const value = readCookie(req.headers.cookie, BINDING_COOKIE);
    return value !== undefined && BINDING_VALUE.test(value) ? value : undefined;
  }
}
