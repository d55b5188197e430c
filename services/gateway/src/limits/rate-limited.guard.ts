import { Injectable, SetMetadata, UseGuards, applyDecorators, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { RateLimitClass } from '@harness/config';
import type { HttpRequest } from '../http/types.js';
import { RateLimits } from './rate-limits.js';

const RATE_LIMIT = 'harness:rate-limit';

/** Guard of @RateLimited routes: a route guard runs after the global authentication guard, so the user is known. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const cls = this.reflector.get<RateLimitClass | undefined>(RATE_LIMIT, ctx.getHandler());
    const userId = ctx.switchToHttp().getRequest<HttpRequest>().userId;
    if (!userId) throw new Error('RateLimited used on a route without authentication');
    if (cls) await this.limits.consume(userId, cls);
    return true;
  }
}

/** Counts each request of the route against the user's rate limit of `cls` (429 `rate_limited` past it). */
export const RateLimited = (cls: RateLimitClass) => applyDecorators(SetMetadata(RATE_LIMIT, cls), UseGuards(RateLimitGuard));
