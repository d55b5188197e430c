import { Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import type { z } from 'zod';
import {
  ChatSubjects, DeleteConversationCommand, DeleteConversationResult, InterruptCommand, InterruptResult, RegenerateCommand, RegenerateResult,
  RemoveQueueItemCommand, RemoveQueueItemResult, SendMessageCommand, SendMessageResult, SendNowCommand, SendNowResult, SetBudgetCommand, SetBudgetResult, ResetBudgetCommand, ResetBudgetResult,
} from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { commandDef as def, sendCommand, type CommandDef } from './send-command.js';
import { CHAT_CLIENT, GATEWAY_OPTIONS, LOGGER, type GatewayOptions } from './tokens.js';

export type { CommandDef } from './send-command.js';

export const ChatCommand = {
  send: def(() => ChatSubjects.send, SendMessageCommand, SendMessageResult),
  interrupt: def(() => ChatSubjects.interrupt, InterruptCommand, InterruptResult),
  removeQueueItem: def(() => ChatSubjects.removeQueueItem, RemoveQueueItemCommand, RemoveQueueItemResult),
  sendNow: def(() => ChatSubjects.sendNow, SendNowCommand, SendNowResult),
  regenerate: def(() => ChatSubjects.regenerate, RegenerateCommand, RegenerateResult),
  deleteConversation: def(() => ChatSubjects.deleteConversation, DeleteConversationCommand, DeleteConversationResult),
  setBudget: def(() => ChatSubjects.setBudget, SetBudgetCommand, SetBudgetResult),
  resetBudget: def(() => ChatSubjects.resetBudget, ResetBudgetCommand, ResetBudgetResult),
} as const;

/** Sends commands to the chat service (see sendCommand). */
@Injectable()
export class ChatCommands {
  constructor(
    @Inject(CHAT_CLIENT) private readonly client: ClientProxy,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  send<C extends z.ZodType, R extends z.ZodType>(cmd: CommandDef<C, R>, payload: Omit<z.input<C>, 'correlationId'>): Promise<z.output<R>> {
    return sendCommand({ client: this.client, logger: this.logger, timeoutMs: this.options.commandTimeoutMs, service: 'chat service' }, cmd, payload);
  }
}
