import { Injectable } from '@nestjs/common';
import { DomainError, ElicitationId, type AnswerElicitationResult, type ElicitationAnswerBody } from '@harness/contracts';
import { ConversationAccess } from '../../conversations/conversation-access.js';
import { McpBrokerCommand, McpBrokerCommands } from '../../core/mcp-broker-commands.js';

/**
 * A user's answer to an MCP server's question (elicitation) in one of their conversations. The broker holds the
 * question: it checks the answer against the requested schema, refuses a second answer and wakes the waiting call.
 */
@Injectable()
export class AnswerElicitation {
  constructor(
    private readonly access: ConversationAccess,
    private readonly broker: McpBrokerCommands,
  ) {}

  async execute(userId: string, conversationId: string, elicitationId: string, body: ElicitationAnswerBody): Promise<AnswerElicitationResult> {
    await this.access.getOwned(userId, conversationId);
    // An id that cannot be one is as unknown as any other.
    if (!ElicitationId.safeParse(elicitationId).success) throw new DomainError('not_found', 'elicitation not found');
    return this.broker.send(McpBrokerCommand.answerElicitation, {
      userId, conversationId, elicitationId, action: body.action, ...(body.content !== undefined ? { content: body.content } : {}),
    });
  }
}
