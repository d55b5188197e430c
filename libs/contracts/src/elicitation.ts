import { z } from 'zod';
import { ElicitationStatus } from './ui-chunks.js';
import { subjectPrefix } from './subjects.js';
import { UserId, Uuid } from './commands.js';

/** What a user may answer to an MCP server's question (elicitation). */
export const ElicitationAction = z.enum(['accept', 'decline', 'cancel']);
export type ElicitationAction = z.infer<typeof ElicitationAction>;

const AnswerValue = z.union([z.string().max(10_000), z.number(), z.boolean(), z.array(z.string().max(1_000)).max(100)]);
/** Bounded here; checked against the requested schema by the broker, which holds it. */
export const ElicitationContentBody = z
  .record(z.string().min(1).max(64), AnswerValue)
  .refine((c) => Object.keys(c).length <= 32, { message: 'content has more than 32 fields' });

/** `POST /v1/conversations/:id/elicitations/:elicitationId`. */
export const ElicitationAnswerBody = z
  .object({ action: ElicitationAction, content: ElicitationContentBody.optional() })
  .strict()
  .refine((b) => b.content === undefined || b.action === 'accept', { message: 'content is only allowed with accept', path: ['content'] });
export type ElicitationAnswerBody = z.infer<typeof ElicitationAnswerBody>;

/** An elicitation id: `el_` and 32 hex characters (random). */
export const ElicitationId = z.string().regex(/^el_[0-9a-f]{32}$/, 'not an elicitation id');

/** gateway → mcp-broker: the user's answer; any broker replica checks it and hands it to the one waiting. */
export const AnswerElicitationCommand = z.object({
  userId: UserId,
  conversationId: Uuid,
  elicitationId: ElicitationId,
  action: ElicitationAction,
  content: ElicitationContentBody.optional(),
  correlationId: z.string().max(200).optional(),
});
export type AnswerElicitationCommand = z.infer<typeof AnswerElicitationCommand>;
export const AnswerElicitationResult = z.object({ elicitationId: z.string(), action: ElicitationAction });
export type AnswerElicitationResult = z.infer<typeof AnswerElicitationResult>;

/**
 * mcp-broker → chat, on the tool call's own subject (`elicitationSubject`): the replica running the run listens there
 * while the call runs and puts each message in the run's stream as a `data-elicitation` chunk.
 */
export const ElicitationToChat = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('open'),
    elicitationId: ElicitationId,
    serverName: z.string().max(200),
    message: z.string().max(4_000),
    requestedSchema: z.record(z.string(), z.unknown()),
    /** When it is cancelled unanswered (ms since the epoch): chat waits for the tool call at least that long. */
    expiresAt: z.number().int().positive(),
  }),
  z.object({ kind: z.literal('close'), elicitationId: ElicitationId, status: ElicitationStatus.exclude(['pending']) }),
]);
export type ElicitationToChat = z.infer<typeof ElicitationToChat>;
/** chat's answer: `delivered: false` when the run can no longer show it (stopped), and the broker cancels it. */
export const ElicitationToChatReply = z.object({ delivered: z.boolean() });
export type ElicitationToChatReply = z.infer<typeof ElicitationToChatReply>;

/** The subject of one tool call's elicitations (`callKey` = toolCallJobId of the call). */
export const elicitationSubject = (callKey: string) => `${subjectPrefix()}.chat.elicitation.${callKey}`;
