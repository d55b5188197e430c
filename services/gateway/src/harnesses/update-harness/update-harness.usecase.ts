import { Inject, Injectable } from '@nestjs/common';
import type { PatchHarnessBody } from '@harness/contracts';
import type { Keyring } from '@harness/crypto';
import type { Database } from '@harness/db';
import { DATABASE, KEYRING } from '../../core/tokens.js';
import { presentHarness, WITH_SERVERS, type HarnessResponse } from '../harness.presenter.js';
import { requestedServers, serverRows } from '../mcp-servers.js';
import { findOwnedHarness } from '../owned-harness.js';

/** PATCH: the given fields change; a given server list replaces the stored one (servers named by id keep their token). */
@Injectable()
export class UpdateHarness {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(KEYRING) private readonly keyring: Keyring,
  ) {}

  async execute(userId: string, id: string, body: PatchHarnessBody): Promise<HarnessResponse> {
    const inputs = requestedServers(body);
    const updated = await this.db.prisma.$transaction(async (tx) => {
      const current = await findOwnedHarness(tx, userId, id);
      const servers = inputs === undefined ? undefined : serverRows(userId, inputs, this.keyring, current.mcpServers);
      return tx.harness.update({
        where: { id: current.id },
        data: {
          name: body.name,
          model: body.model,
          systemPrompt: body.systemPrompt,
          reasoningEffort: body.reasoning === undefined ? undefined : (body.reasoning?.effort ?? null),
          updatedAt: new Date(),
          ...(servers === undefined ? {} : { mcpServers: { deleteMany: {}, create: servers } }),
        },
        include: WITH_SERVERS,
      });
    });
    return presentHarness(updated);
  }
}
