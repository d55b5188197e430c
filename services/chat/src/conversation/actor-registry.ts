import { randomUUID } from 'node:crypto';
import { errors as natsErrors } from '@nats-io/transport-node';
import { DomainError, ownerSubject, type Reply } from '@harness/contracts';
import { errorFields } from '@harness/logging';
import { ActorClosedError, type ActorCommand } from './actor-command.js';
import { ConversationActor, type ActorDeps } from './conversation-actor.js';
import type { ForwardReply } from './forwarding.js';
import { RecentCommands } from './recent-commands.js';

const DISPATCH_DEADLINE_MS = 9_000;
const FORWARD_TIMEOUT_MS = 8_000;

/**
 * Routes a command to the conversation's owner: this replica when it holds (or can take) the run lease, else the
 * replica that does, over NATS. A dead owner's lease expires and the next command or the reaper takes over.
 */
export class ActorRegistry {
  private readonly actors = new Map<string, ConversationActor>();
  private readonly opening = new Map<string, Promise<ConversationActor | null>>();
  private reaper: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly recent = new RecentCommands();

  constructor(private readonly deps: Omit<ActorDeps, 'onClosed' | 'recent'>) {}

  get activeCount() { return this.actors.size; }

  async dispatch(command: ActorCommand): Promise<unknown> {
    // One id for every attempt of this command: an owner that already ran it answers with that run's outcome.
    const cmd: ActorCommand = { ...command, commandId: command.commandId ?? randomUUID() };
    const { conversationId, userId } = cmd.payload;
    const deadline = Date.now() + DISPATCH_DEADLINE_MS;
    for (let attempt = 0; ; attempt++) {
      if (this.stopping) throw new DomainError('service_unavailable', 'the chat service is shutting down');
      const actor = await this.local(conversationId, userId);
      if (actor) {
        try {
          return await actor.handle(cmd);
        } catch (err) {
          if (!(err instanceof ActorClosedError)) throw err;
        }
      } else {
        const reply = await this.forward(conversationId, cmd);
        if (reply === 'timeout') {
          // The owner may have carried it out: never send it again (a send would be stored twice), say so instead.
          throw new DomainError('service_unavailable', 'the chat service running this conversation did not answer in time; the command may have been carried out (check before retrying)');
        }
        if (reply && !('retry' in reply)) {
          if (reply.ok) return reply.data;
          throw new DomainError(reply.error.code, reply.error.message, reply.error.details);
        }
      }
      if (Date.now() > deadline) throw new DomainError('service_unavailable', 'the conversation is busy; try again');
      await new Promise((r) => setTimeout(r, Math.min(250, 20 * 2 ** attempt)));
    }
  }

  startReaper() {
    const tick = async () => {
      if (this.stopping) return;
      try {
        for (const id of await this.deps.leases.orphans(20)) {
          if (this.actors.has(id) || this.opening.has(id)) continue;
          const owner = await this.deps.pool.query<{ user_id: string }>('SELECT user_id FROM conversations WHERE id = $1', [id]);
          if (owner.rowCount) await this.local(id, owner.rows[0].user_id).catch(() => undefined);
        }
      } catch (err) {
        this.deps.logger.warn(errorFields(err), 'reaper pass failed');
      }
    };
    this.reaper = setInterval(() => void tick(), this.deps.config.chat.reaperIntervalMs);
    void tick();
  }

  async shutdown() {
    this.stopping = true;
    if (this.reaper) clearInterval(this.reaper);
    // Pending usage backfills would only fail against a stopped registry (and keep the process alive meanwhile).
    this.deps.backfill.stop();
    await Promise.allSettled([...this.opening.values()]);
    await Promise.allSettled([...this.actors.values()].map((a) => a.shutdown()));
  }

  /** This replica's actor for the conversation, acquiring the lease if it is free; null when another replica owns it. */
  private async local(conversationId: string, userId: string): Promise<ConversationActor | null> {
    const existing = this.actors.get(conversationId);
    if (existing && !existing.isClosed) return existing;
    let opening = this.opening.get(conversationId);
    if (!opening) {
      opening = this.open(conversationId, userId).finally(() => this.opening.delete(conversationId));
      this.opening.set(conversationId, opening);
    }
    return opening;
  }

  private async open(conversationId: string, userId: string): Promise<ConversationActor | null> {
    // The lease is taken only for a conversation that exists and is this user's; a local owner checks the user itself.
    const { visible, token } = await this.deps.leases.tryAcquire(conversationId, this.deps.config.replicaId, userId);
    if (!visible) throw new DomainError('not_found', 'conversation not found');
    if (token === null) return null;
    const actor = await ConversationActor.open(
      { ...this.deps, recent: this.recent, onClosed: (id, a) => this.actors.get(id) === a && this.actors.delete(id) },
      conversationId,
      userId,
      token,
    );
    this.actors.set(conversationId, actor);
    return actor;
  }

  /** The owner's reply; null when nobody owns it right now (try again: the lease decides); 'timeout' when it did not answer. */
  private async forward(conversationId: string, cmd: ActorCommand): Promise<ForwardReply | 'timeout' | null> {
    try {
      const msg = await this.deps.nats.request(ownerSubject(conversationId), JSON.stringify(cmd), { timeout: FORWARD_TIMEOUT_MS });
      return msg.json<ForwardReply>();
    } catch (err) {
      return isNoResponders(err) ? null : 'timeout';
    }
  }
}

export type { Reply };

/** No replica subscribes to the owner subject: the owner just released the conversation or died. */
function isNoResponders(err: unknown): boolean {
  if (err instanceof natsErrors.NoRespondersError) return true;
  if (err instanceof natsErrors.RequestError) return err.isNoResponders();
  return false;
}
