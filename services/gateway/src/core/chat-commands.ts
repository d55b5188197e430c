import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy, NatsRecordBuilder } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { firstValueFrom, timeout } from 'rxjs';
import { z } from 'zod';
import {
  ChatSubjects, CORRELATION_HEADER, type Reply, DeleteConversationCommand, DeleteConversationResult, DomainError, InterruptCommand, InterruptResult,
  RegenerateCommand, RegenerateResult, RemoveQueueItemCommand, RemoveQueueItemResult, replyOf, SendMessageCommand, SendMessageResult,
  SendNowCommand, SendNowResult,
} from '@harness/contracts';
import { currentCorrelationId, errorFields, type Logger } from '@harness/logging';
import { CHAT_CLIENT, GATEWAY_OPTIONS, LOGGER, type GatewayOptions } from './tokens.js';

/** A chat command: its subject and the schemas of what goes out and what comes back. */
export interface CommandDef<C extends z.ZodType, R extends z.ZodType> {
  /** Read when sending: the subject namespace is configured at boot, after this module is evaluated. */
  subject: () => string;
  command: C;
  result: R;
}
const def = <C extends z.ZodType, R extends z.ZodType>(subject: () => string, command: C, result: R): CommandDef<C, R> => ({ subject, command, result });

export const ChatCommand = {
  send: def(() => ChatSubjects.send, SendMessageCommand, SendMessageResult),
  interrupt: def(() => ChatSubjects.interrupt, InterruptCommand, InterruptResult),
  removeQueueItem: def(() => ChatSubjects.removeQueueItem, RemoveQueueItemCommand, RemoveQueueItemResult),
  sendNow: def(() => ChatSubjects.sendNow, SendNowCommand, SendNowResult),
  regenerate: def(() => ChatSubjects.regenerate, RegenerateCommand, RegenerateResult),
  deleteConversation: def(() => ChatSubjects.deleteConversation, DeleteConversationCommand, DeleteConversationResult),
} as const;

/**
 * Sends commands to the chat service over NATS request/reply (Nest's ClientProxy). The command is validated before it
 * leaves, the reply is validated when it arrives; a domain error in the reply becomes a DomainError with the same code;
 * no answer in time, or nobody listening, is 503.
 */
@Injectable()
export class ChatCommands {
  constructor(
    @Inject(CHAT_CLIENT) private readonly client: ClientProxy,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
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
      raw = await firstValueFrom(this.client.send(cmd.subject(), record).pipe(timeout(this.options.commandTimeoutMs)));
    } catch (err) {
      this.logger.warn({ subject: cmd.subject(), ...errorFields(err) }, 'chat command got no answer');
      throw new DomainError('service_unavailable', 'the chat service did not answer; try again');
    }
    const reply = replyOf(cmd.result).safeParse(raw);
    if (!reply.success) {
      this.logger.error({ subject: cmd.subject(), issues: reply.error.issues }, 'chat command reply does not match the contract');
      throw new DomainError('internal', 'internal error');
    }
    const answer = reply.data as Reply<z.output<R>>;
    if (!answer.ok) throw new DomainError(answer.error.code, answer.error.message, answer.error.details);
    return answer.data;
  }
}
