import { ClientMessageId, DomainError, type ChatRequestBody } from '@harness/contracts';

const noText = () =>
  new DomainError('validation_failed', 'messages: the last user message has no text', {
    issues: [{ path: 'messages', message: 'the last user message has no text' }],
  });

/** The text of the last user message of an AI SDK request (its text parts, joined). */
export function lastUserText(messages: ChatRequestBody['messages']): { text: string; messageId: string } {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) throw noText();
  const text = last.parts
    .filter((p): p is { type: 'text'; text: string } => p.type === 'text' && typeof (p as { text?: unknown }).text === 'string')
    .map((p) => p.text)
    .join('\n');
  if (text.trim() === '') throw noText();
  return { text, messageId: last.id };
}

/** The UI message id as the send's idempotency key when it can be one (1..200 characters, no NUL); else none. */
export const clientMessageIdOf = (uiMessageId: string): string | undefined => (ClientMessageId.safeParse(uiMessageId).success ? uiMessageId : undefined);

/** Regenerate the asked message if it is one of this conversation's assistant messages, else the last one. */
export function regenerationTarget(asked: string | undefined, assistantIdsNewestFirst: string[]): string {
  if (asked !== undefined && assistantIdsNewestFirst.includes(asked)) return asked;
  const last = assistantIdsNewestFirst[0];
  if (!last) throw new DomainError('nothing_to_regenerate', 'this conversation has no assistant message to regenerate');
  return last;
}
