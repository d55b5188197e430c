import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { CreateHarnessBody } from '@harness/contracts';
import type { Keyring } from '@harness/crypto';
import type { Database } from '@harness/db';
import { DATABASE, KEYRING } from '../../core/tokens.js';
import { presentHarness, WITH_SERVERS, type HarnessResponse } from '../harness.presenter.js';
import { requestedServers, serverRows } from '../mcp-servers.js';

@Injectable()
export class CreateHarness {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(KEYRING) private readonly keyring: Keyring,
  ) {}

  async execute(userId: string, body: CreateHarnessBody): Promise<HarnessResponse> {
    const inputs = (requestedServers(body) ?? []).map(({ id: _ignored, ...s }) => s);
    const servers = serverRows(userId, inputs, this.keyring);
    const created = await this.db.prisma.harness.create({
      data: {
        id: randomUUID(),
        userId,
        name: body.name,
        model: body.model,
        systemPrompt: body.systemPrompt ?? '',
        mcpServers: { create: servers },
      },
      include: WITH_SERVERS,
    });
    return presentHarness(created);
  }
}
