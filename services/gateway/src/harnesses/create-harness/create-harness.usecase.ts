import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@harness/config';
import type { CreateHarnessBody } from '@harness/contracts';
import type { Keyring } from '@harness/crypto';
import type { Database } from '@harness/db';
import { CONFIG, DATABASE, KEYRING } from '../../core/tokens.js';
import { assertBelowCap, CAP_LOCK_SQL, capLockKey } from '../../limits/user-caps.js';
import { presentHarness, WITH_SERVERS, type HarnessResponse } from '../harness.presenter.js';
import { requestedServers, serverRows } from '../mcp-servers.js';

@Injectable()
export class CreateHarness {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(KEYRING) private readonly keyring: Keyring,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async execute(userId: string, body: CreateHarnessBody): Promise<HarnessResponse> {
    const inputs = (requestedServers(body) ?? []).map(({ id: _ignored, ...s }) => s);
    const servers = serverRows(userId, inputs, this.keyring);
    const created = await this.db.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(CAP_LOCK_SQL, capLockKey('harnesses', userId));
      assertBelowCap('harnesses', await tx.harness.count({ where: { userId } }), this.config.limits.maxHarnessesPerUser);
      return tx.harness.create({
        data: {
          id: randomUUID(),
          userId,
          name: body.name,
          model: body.model,
          systemPrompt: body.systemPrompt ?? '',
          reasoningEffort: body.reasoning?.effort ?? null,
          mcpServers: { create: servers },
        },
        include: WITH_SERVERS,
      });
    });
    return presentHarness(created);
  }
}
