import { Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import type { z } from 'zod';
import { AnswerElicitationCommand, AnswerElicitationResult, ListToolsCommand, ListToolsResult, McpBrokerSubjects } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { commandDef as def, sendCommand, type CommandDef } from './send-command.js';
import { CHAT_CLIENT, LOGGER } from './tokens.js';

export const McpBrokerCommand = {
  listTools: def(() => McpBrokerSubjects.listTools, ListToolsCommand, ListToolsResult),
  answerElicitation: def(() => McpBrokerSubjects.answerElicitation, AnswerElicitationCommand, AnswerElicitationResult),
} as const;

/** How long the gateway waits for the broker (it bounds each MCP server below this). */
export const MCP_BROKER_COMMAND_TIMEOUT_MS = 10_000;

/** Sends commands to the mcp-broker (see sendCommand), over the same NATS client as chat's commands. */
@Injectable()
export class McpBrokerCommands {
  constructor(
    @Inject(CHAT_CLIENT) private readonly client: ClientProxy,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  send<C extends z.ZodType, R extends z.ZodType>(cmd: CommandDef<C, R>, payload: Omit<z.input<C>, 'correlationId'>): Promise<z.output<R>> {
    return sendCommand({ client: this.client, logger: this.logger, timeoutMs: MCP_BROKER_COMMAND_TIMEOUT_MS, service: 'MCP broker' }, cmd, payload);
  }
}
