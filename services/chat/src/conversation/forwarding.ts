import type { Msg } from '@nats-io/transport-node';
import { z } from 'zod';
import {
  DeleteConversationCommand, DomainError, InterruptCommand, RegenerateCommand, RemoveQueueItemCommand, SendMessageCommand, SendNowCommand, Usage,
  UserId, Uuid, type Reply,
} from '@harness/contracts';
import { ActorClosedError, type ActorCommand } from './actor-command.js';

const commandId = z.string().min(1).max(100).optional();
/** A command forwarded by another chat replica: checked like any command that crosses the network. */
const ForwardedCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('send'), payload: SendMessageCommand, commandId }),
  z.object({ type: z.literal('interrupt'), payload: InterruptCommand, commandId }),
  z.object({ type: z.literal('remove-queue-item'), payload: RemoveQueueItemCommand, commandId }),
  z.object({ type: z.literal('send-now'), payload: SendNowCommand, commandId }),
  z.object({ type: z.literal('regenerate'), payload: RegenerateCommand, commandId }),
  z.object({ type: z.literal('delete'), payload: DeleteConversationCommand, commandId }),
  z.object({
    type: z.literal('record-usage'),
    payload: z.object({ userId: UserId, conversationId: Uuid, messageId: Uuid, model: z.string().max(200), usage: Usage }),
    commandId,
  }),
  z.object({ type: z.literal('adopt'), payload: z.object({ userId: UserId, conversationId: Uuid }), commandId }),
]);

/** A forwarded command's reply: the owner's answer, or `retry` when it stopped owning the conversation meanwhile. */
export type ForwardReply = Reply<unknown> | { retry: true };

const encoder = new TextEncoder();
export const encodeReply = (r: ForwardReply) => encoder.encode(JSON.stringify(r));

export async function handleForwarded(msg: Msg, handle: (cmd: ActorCommand) => Promise<unknown>): Promise<void> {
  let cmd: ActorCommand;
  try {
    cmd = ForwardedCommand.parse(msg.json()) as ActorCommand;
  } catch {
    msg.respond(encodeReply({ ok: false, error: { code: 'validation_failed', message: 'the forwarded command does not match the contract' } }));
    return;
  }
  msg.respond(encodeReply(await toReply(() => handle(cmd))));
}

export async function toReply(fn: () => Promise<unknown>): Promise<ForwardReply> {
  try {
    return { ok: true, data: await fn() };
  } catch (err) {
    if (err instanceof ActorClosedError) return { retry: true };
    if (err instanceof DomainError) return { ok: false, error: err.toBody() };
    throw err;
  }
}
