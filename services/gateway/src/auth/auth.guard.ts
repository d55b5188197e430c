import { createParamDecorator, Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Config } from '@harness/config';
import { CONFIG } from '../core/tokens.js';
import type { HttpRequest } from '../http/types.js';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import { authenticate } from './authenticate.js';

const PUBLIC = 'harness:public';
/** Routes outside /v1 (health, readiness, metrics) that need no token. */
export const Public = () => SetMetadata(PUBLIC, true);

/** Global guard: every route needs a valid user token (a JWT or an API key) unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly secret: Uint8Array;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly reflector: Reflector,
    @Inject(ApiKeyVerifier) private readonly apiKeys: ApiKeyVerifier,
  ) {
    this.secret = new TextEncoder().encode(config.jwtSecret);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<HttpRequest>();
    // Already verified before its body was read (authenticateBeforeBody).
    if (req.userId) return true;
    req.userId = await authenticate(req.headers.authorization, this.secret, this.apiKeys);
    return true;
  }
}

/** The authenticated user's id (the token's `sub`, or the user who created the API key). */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const id = ctx.switchToHttp().getRequest<HttpRequest>().userId;
  if (!id) throw new Error('CurrentUser used on a route without authentication');
  return id;
});
