import { Inject, Injectable } from '@nestjs/common';
import type { ListToolsResult } from '@harness/contracts';
import type { Database } from '@harness/db';
import { McpBrokerCommand, McpBrokerCommands } from '../../core/mcp-broker-commands.js';
import { DATABASE } from '../../core/tokens.js';
import { findOwnedHarness } from '../owned-harness.js';

/** The tools of a harness's MCP servers, listed by the mcp-broker; a server that failed is in `errors`. */
@Injectable()
export class ListHarnessTools {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(McpBrokerCommands) private readonly broker: McpBrokerCommands,
  ) {}

  async execute(userId: string, harnessId: string): Promise<ListToolsResult> {
    await findOwnedHarness(this.db.prisma, userId, harnessId);
    return this.broker.send(McpBrokerCommand.listTools, { userId, harnessId });
  }
}
