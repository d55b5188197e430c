import { Controller, Get, Inject, Req } from '@nestjs/common';
import { AdminPolicy } from '../admin/admin-policy.js';
import { CurrentUser } from '../auth/auth.guard.js';
import type { HttpRequest } from '../http/types.js';

/** `GET /v1/me`: the signed-in user, for every kind of credential (a JWT user who never signed in is named by the id). */
@Controller('v1/me')
export class MeController {
  constructor(@Inject(AdminPolicy) private readonly admins: AdminPolicy) {}

  @Get()
  async me(@CurrentUser() userId: string, @Req() req: HttpRequest) {
    const user = req.credential?.kind === 'session' ? req.credential.user : await this.admins.profileOf(userId);
    return {
      id: userId,
      name: user?.name ?? userId,
      ...(user?.email ? { email: user.email, emailVerified: user.emailVerified } : {}),
      ...(user?.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
      admin: await this.admins.isAdmin(userId, user),
    };
  }
}
