import type {
  DeleteConversationCommand, InterruptCommand, RegenerateCommand, RemoveQueueItemCommand, SendMessageCommand, SendNowCommand, Usage,
} from '@harness/contracts';

/**
 * What a conversation's owner can be asked to do; forwarded between replicas as JSON. `commandId` (set once per
 * dispatch) lets the owner recognise the same command arriving twice.
 */
export type ActorCommand = ActorCommandBody & { commandId?: string };

type ActorCommandBody =
  | { type: 'send'; payload: SendMessageCommand }
  | { type: 'interrupt'; payload: InterruptCommand }
  | { type: 'remove-queue-item'; payload: RemoveQueueItemCommand }
  | { type: 'send-now'; payload: SendNowCommand }
  | { type: 'regenerate'; payload: RegenerateCommand }
  | { type: 'delete'; payload: DeleteConversationCommand }
  | { type: 'record-usage'; payload: { userId: string; conversationId: string; messageId: string; model: string; usage: Usage } }
  | { type: 'adopt'; payload: { userId: string; conversationId: string } };

/** The actor closed (lease lost, released or deleted) while the command waited: the registry routes it again. */
export class ActorClosedError extends Error {
  constructor() {
    super('conversation actor closed');
  }
}
