import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { DisplayMode, type SettingsBody } from '@harness/contracts';
import type { Database } from '@harness/db';
import { DATABASE } from '../core/tokens.js';

type Settings = z.infer<typeof SettingsBody>;
const DEFAULTS: Settings = { displayMode: 'standard' };
const present = (row: { displayMode: string } | null): Settings => {
  const mode = DisplayMode.safeParse(row?.displayMode);
  return { displayMode: mode.success ? mode.data : DEFAULTS.displayMode };
};

@Injectable()
export class GetSettings {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async execute(userId: string): Promise<Settings> {
    return present(await this.db.prisma.userSettings.findUnique({ where: { userId } }));
  }
}

@Injectable()
export class PutSettings {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async execute(userId: string, body: Settings): Promise<Settings> {
    const row = await this.db.prisma.userSettings.upsert({
      where: { userId },
      create: { userId, displayMode: body.displayMode },
      update: { displayMode: body.displayMode, updatedAt: new Date() },
    });
    return present(row);
  }
}
