import { Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import { SignJWT } from 'jose';
import type { Config } from '@harness/config';
import { ApiKeyVerifier } from '../../src/api-keys/api-key-verifier.js';
import { AuthGuard, Public } from '../../src/auth/auth.guard.js';
import type { Redis } from 'ioredis';
import { createLogger } from '@harness/logging';
import { ExternalTokenVerifier } from '../../src/auth/external-token.js';
import { RateLimits } from '../../src/limits/rate-limits.js';
import { Authenticator } from '../../src/auth/authenticate.js';
import { SessionVerifier } from '../../src/auth/session-verifier.js';
import type { AuthCommands } from '../../src/mcp-oauth/auth-commands.js';
import { verifyUserToken } from '../../src/auth/verify-token.js';

const SECRET = 'unit-test-secret-of-enough-length';
const key = new TextEncoder().encode(SECRET);
const token = (claims: { sub?: string; exp?: string | number }, secret = SECRET, alg = 'HS256') => {
  let jwt = new SignJWT({}).setProtectedHeader({ alg }).setIssuedAt();
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(new TextEncoder().encode(secret));
};
const unauthorized = (message?: RegExp) => expect.objectContaining({ code: 'unauthorized', ...(message ? { message: expect.stringMatching(message) } : {}) });

describe('verifyUserToken', () => {
  it('accepts a valid HS256 token and returns sub', async () => {
    await expect(verifyUserToken(`Bearer ${await token({ sub: 'alice@example.com', exp: '5m' })}`, key)).resolves.toBe('alice@example.com');
    await expect(verifyUserToken(`bearer ${await token({ sub: 'A.b-c_d', exp: '5m' })}`, key)).resolves.toBe('A.b-c_d');
  });

  it('refuses an expired token', async () => {
    await expect(verifyUserToken(`Bearer ${await token({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 60 })}`, key)).rejects.toEqual(unauthorized(/expired/));
  });

  it('refuses a token signed with another secret, or another algorithm', async () => {
    await expect(verifyUserToken(`Bearer ${await token({ sub: 'alice', exp: '5m' }, 'some-other-secret-value')}`, key)).rejects.toEqual(unauthorized());
    await expect(verifyUserToken(`Bearer ${await token({ sub: 'alice', exp: '5m' }, SECRET, 'HS384')}`, key)).rejects.toEqual(unauthorized());
  });

  it('refuses a bad or missing sub, a missing exp, and no token at all', async () => {
    for (const sub of ['', 'has space', 'x'.repeat(129), 'semi;colon']) {
      await expect(verifyUserToken(`Bearer ${await token({ sub, exp: '5m' })}`, key)).rejects.toEqual(unauthorized());
    }
    await expect(verifyUserToken(`Bearer ${await token({ exp: '5m' })}`, key)).rejects.toEqual(unauthorized());
    await expect(verifyUserToken(`Bearer ${await token({ sub: 'alice' })}`, key)).rejects.toEqual(unauthorized());
    await expect(verifyUserToken(undefined, key)).rejects.toEqual(unauthorized(/required/));
    await expect(verifyUserToken('Token abc', key)).rejects.toEqual(unauthorized());
  });
});

describe('AuthGuard', () => {
  // No auth service here: JWTs and malformed API keys are decided without asking it (the e2e test covers real keys).
  const config = { jwtSecret: SECRET, externalJwt: null, outboundAllowlist: [], gateway: { webOrigin: 'http://localhost:3000', publicUrl: 'http://localhost:3000' } } as unknown as Config;
  const noAuthService = null as unknown as AuthCommands;
  // The real class with no limit configured: it never touches Redis.
  const noRateLimits = new RateLimits(null as unknown as Redis, { namespace: 'unit', rates: {}, redisTimeoutMs: 100 }, createLogger('test', 'silent'));
  const guard = new AuthGuard(new Reflector(), new Authenticator(config, new ApiKeyVerifier(noAuthService), new SessionVerifier(noAuthService), new ExternalTokenVerifier(config, noAuthService), noRateLimits));
  class Routes {
    @Public() open() {}
    closed() {}
  }
  const ctx = (handler: () => void, headers: Record<string, string>) => {
    const req = { headers } as { headers: Record<string, string>; userId?: string };
    return {
      req,
      ctx: { getHandler: () => handler, getClass: () => Routes, switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext,
    };
  };

  it('sets the user id from a valid token', async () => {
    const { req, ctx: c } = ctx(Routes.prototype.closed, { authorization: `Bearer ${await token({ sub: 'bob', exp: '1m' })}` });
    await expect(guard.canActivate(c)).resolves.toBe(true);
    expect(req.userId).toBe('bob');
  });

  it('lets @Public() routes through without a token, and refuses the others', async () => {
    await expect(guard.canActivate(ctx(Routes.prototype.open, {}).ctx)).resolves.toBe(true);
    await expect(guard.canActivate(ctx(Routes.prototype.closed, {}).ctx)).rejects.toEqual(unauthorized());
  });

  it('refuses a malformed API key without asking the auth service', async () => {
    for (const bearer of ['hk_', 'hk_short', `hk_${'A'.repeat(44)}`, `hk_${'A'.repeat(42)}!`]) {
      await expect(guard.canActivate(ctx(Routes.prototype.closed, { authorization: `Bearer ${bearer}` }).ctx)).rejects.toEqual(unauthorized(/API key/));
    }
  });

  it('refuses a malformed session cookie without asking the auth service; a bearer wins over the cookie', async () => {
    await expect(guard.canActivate(ctx(Routes.prototype.closed, { cookie: 'harness_session=not-a-token' }).ctx)).rejects.toEqual(unauthorized(/session/));
    const both = ctx(Routes.prototype.closed, { cookie: 'harness_session=not-a-token', authorization: `Bearer ${await token({ sub: 'bob', exp: '1m' })}` });
    await expect(guard.canActivate(both.ctx)).resolves.toBe(true);
    expect(both.req.userId).toBe('bob');
  });
});
