import { isTerminalChunk, type ConversationEvent } from '@harness/contracts';

/**
 * Which events belong to the stream of one message's run (pure; fed events in order):
 *
 * - `{runId}`: the run is known (the message started it, or a regeneration): everything until that run's terminal
 *   chunk (`finish` / `abort` / `error`).
 * - `{queueItemId}`: the message was queued. Follow the conversation until the `data-message` that consumes that
 *   queue item; its run is then the event's `runId` (or, if the event has none, the next `start`). If the item
 *   disappears from a `data-queue` and the next event is not the `data-message` for it, the stream ends (`itemVanished`
 *   lets the driver give a grace period when no next event comes).
 *
 * `onlyRunEvents` (AI SDK streams): emit nothing but the run's own events, from its `start` on.
 */
export type RunTarget = { runId: string } | { queueItemId: string };

export interface FollowDecision {
  emit: boolean;
  done: boolean;
}

type State = 'queued' | 'awaiting-start' | 'in-run' | 'done';

export class RunFollower {
  private state: State;
  private runId: string | null;
  private readonly queueItemId: string | null;
  private started = false;
  private vanished = false;

  constructor(
    target: RunTarget,
    private readonly opts: { onlyRunEvents: boolean },
  ) {
    this.runId = 'runId' in target ? target.runId : null;
    this.queueItemId = 'queueItemId' in target ? target.queueItemId : null;
    this.state = this.runId ? 'in-run' : 'queued';
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Still waiting for a queued item that a `data-queue` no longer lists. */
  get itemVanished(): boolean {
    return this.state === 'queued' && this.vanished;
  }

  get followedRunId(): string | null {
    return this.runId;
  }

  /** The driver gave a vanished item its grace period: end. */
  giveUp(): void {
    this.state = 'done';
  }

  onEvent(ev: ConversationEvent): FollowDecision {
    const c = ev.chunk;
    const beforeRun = { emit: !this.opts.onlyRunEvents, done: false };
    switch (this.state) {
      case 'done':
        return { emit: false, done: true };
      case 'queued':
        if (c.type === 'data-message' && c.data.queueItemId === this.queueItemId) {
          this.runId = ev.runId;
          this.state = ev.runId ? 'in-run' : 'awaiting-start';
          return beforeRun;
        }
        // The chat service commits a drained item's `data-queue` and its `data-message` together, back to back: the
        // event right after the item left the queue tells whether it was consumed or removed.
        if (this.vanished) {
          this.state = 'done';
          return { emit: false, done: true };
        }
        if (c.type === 'data-queue') this.vanished = !c.data.items.some((i) => i.id === this.queueItemId);
        return beforeRun;
      case 'awaiting-start':
        if (c.type !== 'start') return beforeRun;
        this.runId = c.messageMetadata.runId;
        this.state = 'in-run';
        return this.inRun(ev);
      case 'in-run':
        return this.inRun(ev);
    }
  }

  private inRun(ev: ConversationEvent): FollowDecision {
    const c = ev.chunk;
    const isStart = c.type === 'start' && c.messageMetadata.runId === this.runId;
    const mine = isStart || ev.runId === this.runId;
    if (isStart) this.started = true;
    if (mine && isTerminalChunk(c)) {
      this.state = 'done';
      return { emit: true, done: true };
    }
    if (this.opts.onlyRunEvents) return { emit: mine && this.started, done: false };
    return { emit: true, done: false };
  }
}
