import { createParamDecorator, Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { HttpRequest } from '../http/types.js';
import { Authenticator } from './authenticate.js';

const PUBLIC = 'harness:public';
/** Routes that need no user (health, readiness, metrics, the sign-in flow). */
export const Public = () => SetMetadata(PUBLIC, true);

/** Global guard: every route needs a user (a JWT, an API key or the session cookie) unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<HttpRequest>();
    // Already verified before its body was read (authenticateBeforeBody).
    if (req.userId) return true;
    await this.authenticator.authenticate(req);
    return true;
  }
}

/** The authenticated user's id (the token's `sub`, the user who created the API key, or the session's user). */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const id = ctx.switchToHttp().getRequest<HttpRequest>().userId;
  if (!id) throw new Error('CurrentUser used on a route without authentication');
  return id;
});
