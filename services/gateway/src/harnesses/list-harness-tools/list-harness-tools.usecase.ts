import { Inject, Injectable } from '@nestjs/common';
import { decodeNameCursor, type ListToolsResult, type PageQuery } from '@harness/contracts';
import type { Database } from '@harness/db';
import { McpBrokerCommand, McpBrokerCommands } from '../../core/mcp-broker-commands.js';
import { DATABASE } from '../../core/tokens.js';
import { findOwnedHarness } from '../owned-harness.js';
import { toolPage } from './tool-page.js';

/** The tools of a harness's MCP servers, listed by the mcp-broker (one page of them); a server that failed is in `errors`. */
@Injectable()
export class ListHarnessTools {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(McpBrokerCommands) private readonly broker: McpBrokerCommands,
  ) {}

  async execute(userId: string, harnessId: string, query: PageQuery): Promise<ListToolsResult & { nextCursor: string | null }> {
    const after = query.cursor ? decodeNameCursor(query.cursor) : undefined; // a bad cursor is 400 before any server is asked
    await findOwnedHarness(this.db.prisma, userId, harnessId);
    return toolPage(await this.broker.send(McpBrokerCommand.listTools, { userId, harnessId }), query.limit, after);
  }
}
