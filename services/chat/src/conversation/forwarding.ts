import type { Msg } from '@nats-io/transport-node';
import { DomainError, type Reply } from '@harness/contracts';
import { ActorClosedError, type ActorCommand } from './actor-command.js';

/** A forwarded command's reply: the owner's answer, or `retry` when it stopped owning the conversation meanwhile. */
export type ForwardReply = Reply<unknown> | { retry: true };

const encoder = new TextEncoder();
export const encodeReply = (r: ForwardReply) => encoder.encode(JSON.stringify(r));

export async function handleForwarded(msg: Msg, handle: (cmd: ActorCommand) => Promise<unknown>): Promise<void> {
  let cmd: ActorCommand;
  try {
    cmd = msg.json<ActorCommand>();
  } catch {
    msg.respond(encodeReply({ ok: false, error: { code: 'validation_failed', message: 'forwarded command is not JSON' } }));
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
