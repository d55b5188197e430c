import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@harness/config';
import { DomainError } from '@harness/contracts';
import { CONFIG } from '../core/tokens.js';

/** Who is an admin: the user ids named in HARNESS_ADMIN_USERS. */
@Injectable()
export class AdminPolicy {
  private readonly adminIds: Set<string>;

  constructor(@Inject(CONFIG) config: Config) {
    this.adminIds = new Set(config.gateway.adminUsers);
  }

  async isAdmin(userId: string): Promise<boolean> {
    return this.adminIds.has(userId);
  }

  /** Throws 403 `forbidden` unless the user is an admin. */
  async requireAdmin(userId: string, what = 'this endpoint'): Promise<void> {
    if (!(await this.isAdmin(userId))) throw new DomainError('forbidden', `${what} is for admin users only`);
  }
}
