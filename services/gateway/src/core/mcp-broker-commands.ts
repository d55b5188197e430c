import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy, NatsRecordBuilder } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { firstValueFrom, timeout } from 'rxjs';
import { z } from 'zod';
import { CORRELATION_HEADER, DomainError, ListToolsCommand, ListToolsResult, McpBrokerSubjects, replyOf, type Reply } from '@harness/contracts';
import { currentCorrelationId, errorFields, type Logger } from '@harness/logging';
import type { CommandDef } from './chat-commands.js';
import { CHAT_CLIENT, LOGGER } from './tokens.js';

const def = <C extends z.ZodType, R extends z.ZodType>(subject: () => string, command: C, result: R): CommandDef<C, R> => ({ subject, command, result });

export const McpBrokerCommand = {
  listTools: def(() => McpBrokerSubjects.listTools, ListToolsCommand, ListToolsResult),
} as const;

/** How long the gateway waits for the broker (it bounds each MCP server below this). */
export const MCP_BROKER_COMMAND_TIMEOUT_MS = 10_000;

/**
 * Sends commands to the mcp-broker over NATS request/reply, like ChatCommands: validated both ways, a domain error in
 * the reply becomes a DomainError with the same code, no answer in time (or nobody listening) is 503.
 */
@Injectable()
export class McpBrokerCommands {
  constructor(
    @Inject(CHAT_CLIENT) private readonly client: ClientProxy,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async send<C extends z.ZodType, R extends z.ZodType>(cmd: CommandDef<C, R>, payload: Omit<z.input<C>, 'correlationId'>): Promise<z.output<R>> {
    const correlationId = currentCorrelationId();
    const command = cmd.command.parse({ ...payload, correlationId });
    const h = natsHeaders();
    if (correlationId) h.set(CORRELATION_HEADER, correlationId);
    const record = new NatsRecordBuilder(command).setHeaders(h).build();
    let raw: unknown;
    try {
      raw = await firstValueFrom(this.client.send(cmd.subject(), record).pipe(timeout(MCP_BROKER_COMMAND_TIMEOUT_MS)));
    } catch (err) {
      this.logger.warn({ subject: cmd.subject(), ...errorFields(err) }, 'mcp-broker command got no answer');
      throw new DomainError('service_unavailable', 'the MCP broker did not answer; try again');
    }
    const reply = replyOf(cmd.result).safeParse(raw);
    if (!reply.success) {
      this.logger.error({ subject: cmd.subject(), issues: reply.error.issues }, 'mcp-broker reply does not match the contract');
      throw new DomainError('internal', 'internal error');
    }
    const answer = reply.data as Reply<z.output<R>>;
    if (!answer.ok) throw new DomainError(answer.error.code, answer.error.message, answer.error.details);
    return answer.data;
  }
}
