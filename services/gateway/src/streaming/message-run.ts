import { DomainError, type SendMessageResult } from '@harness/contracts';
import { RunFollower } from './run-follower.js';

/**
 * The stream of the run a sent message starts: from the event that recorded the message (`seq`: its `data-message`
 * when started, its `data-queue` when queued), following that run — or, when queued, the run of the queue item.
 */
export function messageRunStream(result: SendMessageResult, onlyRunEvents: boolean): { after: number; follow: RunFollower; live: boolean } {
  const target = result.status === 'started' && result.runId ? { runId: result.runId } : result.queueItemId ? { queueItemId: result.queueItemId } : null;
  if (!target) throw new DomainError('internal', `chat answered ${result.status} without a ${result.status === 'started' ? 'runId' : 'queueItemId'}`);
  // A replayed answer (same clientMessageId again) points at events stored long ago: read them back, not only live.
  return { after: result.seq - 1, follow: new RunFollower(target, { onlyRunEvents }), live: !result.replayed };
}

/** The stream of a run that is known up front (a regeneration, the active run). */
export const runStream = (runId: string, after: number, onlyRunEvents: boolean) => ({ after, follow: new RunFollower({ runId }, { onlyRunEvents }) });
